//! The binary's edge: parse, run, print an error once with its causes, pick the exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use kubectl_satoken::cli::{Cli, Command};
use kubectl_satoken::commands::create::{CreateError, CreateOptions};
use kubectl_satoken::commands::{self, completion};
use kubectl_satoken::{escape, redact};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "error: {}", escape::message(&message(&err)));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    kubectl_satoken::verbose::set_level(match &cli.command {
        None => cli.create.verbose,
        Some(Command::Create(args)) => args.verbose,
        Some(Command::Inspect(args)) => args.kubeconfig_args.verbose,
        Some(Command::Refresh(args)) => args.kubeconfig_args.verbose,
        Some(Command::Revoke(args)) => args.kubeconfig_args.verbose,
        Some(Command::List(_) | Command::Completion { .. } | Command::Complete { .. }) => 0,
    });
    match cli.command {
        Some(Command::Completion { shell }) => {
            let mut out = std::io::stdout().lock();
            completion::write(shell, &mut Cli::command(), &mut out)?;
            Ok(())
        }
        Some(Command::Complete { words }) => {
            completion::candidates::run(&words, &mut std::io::stdout().lock())?;
            Ok(())
        }
        Some(Command::Create(args)) => create(*args),
        Some(Command::List(args)) => Ok(commands::list(&args, &mut std::io::stdout().lock())?),
        Some(Command::Inspect(args)) => block_on(commands::inspect(&args, &mut std::io::stdout().lock())),
        Some(Command::Refresh(args)) => block_on(commands::refresh(&args, &mut messages())),
        Some(Command::Revoke(args)) => block_on(commands::revoke(&args, &mut messages())),
        None => create(cli.create),
    }
}

fn create(args: kubectl_satoken::cli::CreateArgs) -> anyhow::Result<()> {
    let options = CreateOptions::complete(args)?;
    // stderr is not locked for the whole run: the spinner thread writes to it too.
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), messages());
    block_on(options.run(&mut stdout, &mut stderr))?;
    stdout.flush().map_err(CreateError::Stdout)?;
    Ok(())
}

/// Where a command's messages go: stderr, each line scrubbed of secrets and escaped, since a
/// message may quote a server or a kubeconfig.
fn messages() -> escape::SafeLines<std::io::Stderr> {
    escape::SafeLines::new(std::io::stderr())
}

/// Runs one command's future on a single-threaded runtime: the work is a few requests.
fn block_on<E>(future: impl std::future::Future<Output = Result<(), E>>) -> anyhow::Result<()>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    Ok(runtime.block_on(future)?)
}

/// The error and its causes on one line, kubectl style. A cause whose words its parent's
/// message already ends with is said once: kube and hyper put their source's message inside
/// their own ("ServiceError: client error (Connect)", then "client error (Connect)").
///
/// A cause may quote a server (which may echo our headers, or send 64 MiB): every secret the
/// process knows is scrubbed from it, then it is cut to kubectl's length. The caller escapes
/// control characters.
fn message(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|parent| parent.ends_with(&text)) {
            parts.push(text);
        }
    }
    let parts: Vec<String> = parts
        .iter()
        .map(|part| escape::cut(&redact::scrub(part), escape::MAX_FOREIGN_TEXT))
        .collect();
    parts.join(": ")
}

/// A closed pipe (`kubectl satoken sa | head -1`) is the reader's choice, not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn each_cause_is_said_once() {
        // The shape of a TLS failure as kube reports it.
        let chain = Layer(
            "cannot reach the API server https://h (context \"c\")",
            Some(Box::new(Layer(
                "ServiceError: client error (Connect)",
                Some(Box::new(Layer(
                    "client error (Connect)",
                    Some(Box::new(Layer("invalid peer certificate: UnknownIssuer", None))),
                ))),
            ))),
        );
        assert_eq!(
            message(&anyhow::Error::new(chain)),
            "cannot reach the API server https://h (context \"c\"): ServiceError: client error (Connect): \
             invalid peer certificate: UnknownIssuer"
        );
        // Causes that differ all stay, in order.
        let chain = Layer("a", Some(Box::new(Layer("b", Some(Box::new(Layer("c", None)))))));
        assert_eq!(message(&anyhow::Error::new(chain)), "a: b: c");
    }
}
