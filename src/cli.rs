//! The command line, defined once: the binary parses it, and the completion scripts in
//! `completions/` are generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::duration::GoDuration;

const CREATE_EXAMPLES: &str = "\
Examples:
  # A kubeconfig for ServiceAccount ci in namespace team-a, printed (bound token, 1 hour)
  kubectl satoken ci -n team-a > ci.kubeconfig

  # A one-year token for a teammate who reaches the API server at another address
  kubectl satoken ci -n team-a --duration 8760h --server https://k8s.example.com:6443 \\
      --output-file ci.kubeconfig

  # A long-lived Secret-based token (no expiry; revoke it by deleting the Secret)
  kubectl satoken ci -n team-a --type secret --output-file ci.kubeconfig

  # Merge the context into your kubeconfig and switch to it
  kubectl satoken ci -n team-a --merge --set-current

  # Only the token, like kubectl create token
  kubectl satoken ci -n team-a -o token
";

/// Create a ServiceAccount token and a standalone kubeconfig for it.
///
/// Since Kubernetes 1.24 a ServiceAccount gets no token Secret. kubectl satoken requests a
/// token (a bound token from the TokenRequest API, or a long-lived Secret-based one), takes
/// the server and CA that your kubeconfig trusts, and writes a kubeconfig context that holds
/// only that token: printed, written to a file, or merged into your kubeconfig.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-satoken",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = CREATE_EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// `kubectl satoken SA` means `kubectl satoken create SA`.
    #[command(flatten)]
    pub create: CreateArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a token for a ServiceAccount and a kubeconfig for it (the default command)
    #[command(after_help = CREATE_EXAMPLES)]
    Create(Box<CreateArgs>),
    /// Print a shell completion script for kubectl-satoken
    #[command(after_help = "Examples:\n  # bash, for this session\n  source <(kubectl-satoken completion bash)\n")]
    Completion {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenType {
    /// A bound token from the TokenRequest API: it expires
    Bound,
    /// A long-lived token kept in a Secret of type kubernetes.io/service-account-token
    Secret,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bound => "bound",
            TokenType::Secret => "secret",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
    /// Only the token (a newline only on a terminal, like kubectl create token)
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BoundObjectKind {
    #[value(name = "Node")]
    Node,
    #[value(name = "Pod")]
    Pod,
    #[value(name = "Secret")]
    Secret,
}

impl BoundObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BoundObjectKind::Node => "Node",
            BoundObjectKind::Pod => "Pod",
            BoundObjectKind::Secret => "Secret",
        }
    }
}

/// Where to connect: the same flags and meanings as kubectl's.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: current-context)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Namespace of the ServiceAccount (default: the context's namespace, else "default")
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "0")]
    pub request_timeout: GoDuration,
}

#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Name of the ServiceAccount
    #[arg(value_name = "SERVICEACCOUNT", required = true)]
    pub service_account: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Token type
    #[arg(long = "type", value_enum, default_value_t = TokenType::Bound)]
    pub token_type: TokenType,

    /// Requested lifetime of a bound token (10m to 4294967296s); 0s or unset = the server's
    /// default (one hour). The server may grant less: the granted expiry is reported
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<GoDuration>,

    /// Audience of a bound token; repeat for several (default: the API server's own)
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Vec<String>,

    /// Kind of an object to bind the token to: the token stops working when it is deleted
    #[arg(long, value_enum, value_name = "KIND", ignore_case = true)]
    pub bound_object_kind: Option<BoundObjectKind>,

    /// Name of the object to bind the token to (requires --bound-object-kind)
    #[arg(long, value_name = "NAME")]
    pub bound_object_name: Option<String>,

    /// UID of the object to bind the token to (default: the existing object's UID)
    #[arg(long, value_name = "UID")]
    pub bound_object_uid: Option<String>,

    /// Secret to hold a --type secret token: reused if it exists and belongs to the
    /// ServiceAccount, else created (default: a new Secret with a generated name)
    #[arg(long, value_name = "NAME")]
    pub secret_name: Option<String>,

    /// How long to wait for the tokens controller to fill a --type secret Secret
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub secret_timeout: GoDuration,

    /// Server URL for the new kubeconfig (default: the source context's server)
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// CA certificate file to embed in the new kubeconfig (default: the source cluster's CA)
    #[arg(long, value_name = "FILE")]
    pub certificate_authority: Option<PathBuf>,

    /// Name of the new context (default: CLUSTER/NAMESPACE/SERVICEACCOUNT)
    #[arg(long, value_name = "NAME")]
    pub context_name: Option<String>,

    /// Name of the new cluster entry (default: the context name)
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// Name of the new user entry (default: the context name)
    #[arg(long, value_name = "NAME")]
    pub user_name: Option<String>,

    /// Output format on stdout
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Yaml)]
    pub output: OutputFormat,

    /// Write the kubeconfig to this file (mode 0600) instead of stdout
    #[arg(long, value_name = "PATH", conflicts_with = "merge")]
    pub output_file: Option<PathBuf>,

    /// Replace an existing --output-file
    #[arg(long, requires = "output_file")]
    pub force: bool,

    /// Merge the entries into your kubeconfig, where kubectl would put them
    #[arg(long)]
    pub merge: bool,

    /// With --merge: also make the new context the current-context
    #[arg(long, requires = "merge")]
    pub set_current: bool,

    /// With --merge: replace entries of the same name that kubectl-satoken did not create
    #[arg(long, requires = "merge")]
    pub overwrite: bool,

    /// With --merge: how long to wait for another writer's kubeconfig lock
    #[arg(long, value_name = "DURATION", default_value = "10s", requires = "merge")]
    pub lock_timeout: GoDuration,

    /// Print nothing on stderr but errors
    #[arg(short, long)]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn create_is_the_default_subcommand() {
        let cli = Cli::try_parse_from(["kubectl-satoken", "ci", "-n", "team-a"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.create.service_account.as_deref(), Some("ci"));
        assert_eq!(cli.create.connection.namespace.as_deref(), Some("team-a"));

        let cli = Cli::try_parse_from(["kubectl-satoken", "create", "ci"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Create(ref a)) if a.service_account.as_deref() == Some("ci")));
    }

    #[test]
    fn requires_a_service_account() {
        let err = Cli::try_parse_from(["kubectl-satoken"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn rejects_conflicting_outputs() {
        for args in [
            &["kubectl-satoken", "ci", "--merge", "--output-file", "x"][..],
            &["kubectl-satoken", "ci", "--set-current"][..],
            &["kubectl-satoken", "ci", "--force"][..],
            &["kubectl-satoken", "ci", "--duration", "1d"][..],
            &["kubectl-satoken", "ci", "--type", "forever"][..],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?} should be rejected");
        }
    }
}
