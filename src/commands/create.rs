//! `kubectl satoken [create] SERVICEACCOUNT...`: the shape of kubectl's `create token`:
//! options, a pure `validate`, `complete` (local files only), then `run` (the requests and
//! the output).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::cli::{CreateArgs, OutputFormat};
use crate::credentials::Trust;
use crate::duration::{self, GoDuration};
use crate::kubeconfig::{self, Chain, KubeconfigError, LoadingRules, Section};
use crate::names::{self, InvalidName};
use crate::progress;
use crate::services::issued_kubeconfig::EntryNames;
use crate::services::issuing::{self, IssueError, Issued, Placement, TokenPlan};
use crate::services::onboard::Onboarding;
use crate::services::source::{self, Source, SourceCluster, SourceError};
use crate::services::verify::{self, VerifyError};
use crate::token::TokenType;
use crate::token::{self, BoundObject, IssuedToken};

/// The API server's limits for `expirationSeconds` (validation.go): checked here first so a
/// bad value fails before any request, with the reason.
const MIN_EXPIRATION_SECONDS: i128 = 600;
const MAX_EXPIRATION_SECONDS: i128 = 1 << 32;

/// A flag problem, found before anything is read or sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ValidationError {
    #[error(transparent)]
    Name(#[from] InvalidName),
    #[error("{0}")]
    Flag(String),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Issue(#[from] IssueError),
    #[error("--verify: {0}; nothing was written")]
    Verify(#[source] VerifyError),
    #[error(
        "--verify: {error}; nothing was written, but Secret {secret} could not be deleted again ({why}): \
         delete it with: kubectl delete secret {secret} -n {namespace}"
    )]
    VerifyLeftSecret {
        error: Box<VerifyError>,
        secret: String,
        namespace: String,
        why: String,
    },
    #[error("{0}; pass --force to replace it")]
    OutputExists(KubeconfigError),
    #[error("cannot encode the kubeconfig as JSON")]
    Json(#[from] serde_json::Error),
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

fn flag(message: impl Into<String>) -> ValidationError {
    ValidationError::Flag(message.into())
}

/// One ServiceAccount to issue a kubeconfig for.
#[derive(Debug, Clone)]
struct Target {
    service_account: String,
    names: EntryNames,
}

/// Where the kubeconfig (or the token) goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File {
        path: PathBuf,
        force: bool,
    },
    /// One `SA.kubeconfig` per ServiceAccount, all or none.
    Dir {
        dir: PathBuf,
        force: bool,
    },
    /// Into the user's kubeconfig, where kubectl would put it.
    Merge(Placement),
}

/// What is printed or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    /// The bare token, on stdout only.
    Token,
}

/// Everything `run` needs, resolved from the flags and the local kubeconfig: settled
/// settings, never the flags themselves.
#[derive(Debug)]
pub struct CreateOptions {
    chain: Chain,
    source: Source,
    namespace: String,
    targets: Vec<Target>,
    /// The source cluster with --server and --certificate-authority applied.
    cluster: SourceCluster,
    onboarding: Onboarding,
    /// The token to issue; each target fills in its ServiceAccount.
    plan: TokenPlan,
    destination: Destination,
    format: Format,
    verify: bool,
    dry_run: bool,
    quiet: bool,
    request_timeout: Option<Duration>,
    /// Whether stdout is a terminal (a bare token then ends with a line break, as kubectl's).
    stdout_is_terminal: bool,
}

/// Checks the flags alone: no file is read, nothing is sent.
pub fn validate(args: &CreateArgs) -> Result<(), ValidationError> {
    for service_account in &args.service_accounts {
        names::check_subdomain("ServiceAccount name", service_account)?;
    }
    if let Some(twice) = args
        .service_accounts
        .iter()
        .enumerate()
        .find_map(|(i, sa)| args.service_accounts[..i].contains(sa).then_some(sa))
    {
        return Err(flag(format!(
            "ServiceAccount {twice:?} is named twice; name each ServiceAccount once (each gets one kubeconfig file)"
        )));
    }
    if args.service_accounts.len() > 1 && args.output_dir.is_none() {
        return Err(flag(
            "several ServiceAccounts need --output-dir DIR (one kubeconfig file each)",
        ));
    }
    if let Some(ns) = &args.connection.namespace {
        names::check_namespace(ns)?;
    }
    if args.connection.request_timeout.is_negative() {
        return Err(flag("--request-timeout must be greater than or equal to 0"));
    }
    match args.token_type {
        TokenType::Bound => {
            if args.secret_name.is_some() {
                return Err(flag("--secret-name applies to --type secret only"));
            }
            validate_bound(args)?;
        }
        TokenType::Secret => {
            if args.duration.is_some()
                || !args.audience.is_empty()
                || args.bound_object_kind.is_some()
                || args.bound_object_name.is_some()
                || args.bound_object_uid.is_some()
            {
                return Err(flag(
                    "--duration, --audience and --bound-object-* apply to --type bound only (a --type secret token never expires)",
                ));
            }
            if let Some(name) = &args.secret_name {
                names::check_subdomain("Secret name", name)?;
            }
            if args.secret_timeout.is_negative() || args.secret_timeout.is_zero() {
                return Err(flag("--secret-timeout must be greater than 0"));
            }
        }
    }
    if args.output == OutputFormat::Token && (args.merge || args.output_file.is_some() || args.output_dir.is_some()) {
        return Err(flag(
            "-o token prints only the token; it cannot be combined with --merge, --output-file or --output-dir",
        ));
    }
    let renamed = args.context_name.is_some() || args.cluster_name.is_some() || args.user_name.is_some();
    if args.output_dir.is_some() && renamed {
        return Err(flag(
            "--output-dir writes one file per ServiceAccount under the default names; drop --context-name, --cluster-name and --user-name",
        ));
    }
    if args.revocable && (args.token_type == TokenType::Secret || args.bound_object_kind.is_some()) {
        return Err(flag(
            "--revocable binds a bound token to a new anchor Secret: it cannot be combined with --type secret or --bound-object-kind",
        ));
    }
    for grant in &args.grant {
        if args.grant_cluster_wide && !grant.cluster_role {
            return Err(flag(format!(
                "--grant-cluster-wide needs clusterrole/NAME: role/{} is namespaced",
                grant.name
            )));
        }
    }
    if args.output == OutputFormat::Json && args.merge {
        return Err(flag("--merge writes your kubeconfig as YAML; drop -o json"));
    }
    if args.lock_timeout.is_negative() {
        return Err(flag("--lock-timeout must be greater than or equal to 0"));
    }
    for (name, value) in [
        ("--context-name", &args.context_name),
        ("--cluster-name", &args.cluster_name),
        ("--user-name", &args.user_name),
    ] {
        if value.as_deref() == Some("") {
            return Err(flag(format!("{name} must not be empty")));
        }
    }
    if let Some(server) = &args.server {
        let ok = server
            .parse::<http::Uri>()
            .is_ok_and(|u| matches!(u.scheme_str(), Some("https" | "http")) && u.host().is_some());
        if !ok {
            return Err(flag(format!(
                "--server {server:?} is not a URL such as https://k8s.example.com:6443"
            )));
        }
    }
    Ok(())
}

/// kubectl create token's checks, with its wording, plus the server's duration limits.
fn validate_bound(args: &CreateArgs) -> Result<(), ValidationError> {
    if let Some(d) = args.duration {
        if d.is_negative() {
            return Err(flag("--duration must be greater than or equal to 0"));
        }
        let secs = d
            .whole_seconds()
            .ok_or_else(|| flag("--duration cannot be expressed in units less than seconds"))?;
        if secs > 0 && secs < MIN_EXPIRATION_SECONDS {
            return Err(flag(format!(
                "--duration {d} is too short: the API server accepts 10m to 4294967296s; use 0s (or omit it) for the server's default of one hour"
            )));
        }
        if secs > MAX_EXPIRATION_SECONDS {
            return Err(flag(format!(
                "--duration {d} is too long: the API server accepts at most 4294967296s (2^32 seconds, about 136 years)"
            )));
        }
    }
    if args.audience.iter().any(String::is_empty) {
        return Err(flag("--audience must not be an empty string"));
    }
    if args.bound_object_kind.is_none() {
        if args.bound_object_name.is_some() {
            return Err(flag(
                "--bound-object-name can only be set if --bound-object-kind is provided",
            ));
        }
        if args.bound_object_uid.is_some() {
            return Err(flag(
                "--bound-object-uid can only be set if --bound-object-kind is provided",
            ));
        }
    } else if args.bound_object_name.as_deref().unwrap_or_default().is_empty() {
        return Err(flag(
            "--bound-object-name is required if --bound-object-kind is provided",
        ));
    }
    Ok(())
}

fn requested_seconds(args: &CreateArgs) -> Option<i64> {
    // Validated to fit: 0 means "the server's default", sent as null like kubectl does.
    args.duration
        .and_then(GoDuration::whole_seconds)
        .filter(|s| *s > 0)
        .map(|s| s as i64)
}

impl CreateOptions {
    /// Reads the kubeconfig chain and resolves the source context, the namespace and the
    /// entry names. Local files only.
    pub fn complete(args: CreateArgs) -> Result<Self, CreateError> {
        validate(&args)?;
        let chain = Chain::load_lean(LoadingRules::from_env(args.connection.kubeconfig.clone()))?;
        let source = Source::resolve(&chain, args.connection.context.as_deref())?;
        let namespace = match args.connection.namespace.clone().or_else(|| source.namespace.clone()) {
            Some(ns) => {
                names::check_namespace(&ns).map_err(ValidationError::from)?;
                ns
            }
            None => "default".to_string(),
        };
        let targets = args
            .service_accounts
            .iter()
            .map(|sa| {
                let context = args
                    .context_name
                    .clone()
                    .unwrap_or_else(|| names::default_entry_name(&source.cluster.name, &namespace, sa));
                let names = EntryNames {
                    cluster: args.cluster_name.clone().unwrap_or_else(|| context.clone()),
                    user: args.user_name.clone().unwrap_or_else(|| context.clone()),
                    context,
                };
                Target {
                    service_account: sa.clone(),
                    names,
                }
            })
            .collect();
        let mut cluster = source.cluster.clone();
        if let Some(server) = &args.server {
            cluster.server = server.clone();
        }
        // The handed-out kubeconfig will send its token to this server.
        source::warn_plain_http(&cluster.server, "the issued token and every request made with it");
        if let Some(path) = &args.certificate_authority {
            // An explicit CA means "verify with this one".
            cluster.ca_data = Some(source::read_ca_flag(path)?);
            cluster.insecure_skip_tls_verify = false;
        }
        let onboarding = Onboarding {
            create_service_account: args.create_serviceaccount,
            grants: args.grant.clone(),
            cluster_wide: args.grant_cluster_wide,
        };
        let plan = TokenPlan {
            namespace: namespace.clone(),
            service_account: String::new(),
            token_type: args.token_type,
            expiration_seconds: requested_seconds(&args),
            audiences: args.audience.clone(),
            bound_object: args.bound_object_kind.map(|kind| BoundObject {
                kind,
                name: args.bound_object_name.clone().unwrap_or_default(),
                uid: args.bound_object_uid.clone(),
            }),
            revocable: args.revocable,
            secret_name: args.secret_name.clone(),
            secret_timeout: args.secret_timeout.to_std(),
            source_context: source.context.clone(),
        };
        let destination = match (&args.output_file, &args.output_dir) {
            (Some(path), _) => Destination::File {
                path: path.clone(),
                force: args.force,
            },
            (None, Some(dir)) => Destination::Dir {
                dir: dir.clone(),
                force: args.force,
            },
            (None, None) if args.merge => Destination::Merge(Placement {
                set_current: args.set_current,
                overwrite: args.overwrite,
                lock_timeout: args.lock_timeout.to_std(),
            }),
            (None, None) => Destination::Stdout,
        };
        let format = match args.output {
            OutputFormat::Token => Format::Token,
            OutputFormat::Json => Format::Json,
            _ => Format::Yaml,
        };
        let timeout = args.connection.request_timeout;
        let options = CreateOptions {
            chain,
            source,
            namespace,
            targets,
            cluster,
            onboarding,
            plan,
            destination,
            format,
            verify: args.verify,
            dry_run: args.dry_run,
            quiet: args.quiet,
            request_timeout: (!timeout.is_zero()).then(|| timeout.to_std()),
            stdout_is_terminal: std::io::stdout().is_terminal(),
        };
        options.check_destination()?;
        Ok(options)
    }

    /// Refuses, before a token exists, what the write would refuse later.
    fn check_destination(&self) -> Result<(), CreateError> {
        let exists = |path: &Path| {
            Err(CreateError::OutputExists(KubeconfigError::Exists {
                path: path.to_path_buf(),
            }))
        };
        let placement = match &self.destination {
            Destination::File { path, force: false } if path.exists() => return exists(path),
            Destination::Dir { dir, force: false } => {
                for target in &self.targets {
                    let path = output_dir_file(dir, &target.service_account);
                    if path.exists() {
                        return exists(&path);
                    }
                }
                return Ok(());
            }
            Destination::Merge(placement) => *placement,
            _ => return Ok(()),
        };
        {
            // The files the merge may change: the destination, and those holding an entry
            // of the same name (replaced where it is). kubectl could write none it may not.
            let names = &self.targets[0].names;
            let mut files = vec![self.chain.rules.destination()];
            for (section, name) in [
                (Section::Clusters, &names.cluster),
                (Section::Users, &names.user),
                (Section::Contexts, &names.context),
            ] {
                files.extend(self.chain.entry(section, name).map(|e| e.file.to_path_buf()));
            }
            for file in &files {
                kubeconfig::check_can_merge_into(file)?;
            }
        }
        if !placement.overwrite {
            let names = &self.targets[0].names;
            // The merge refuses these too (under the lock); found here, no token is issued.
            for (section, name) in [
                (Section::Clusters, &names.cluster),
                (Section::Users, &names.user),
                (Section::Contexts, &names.context),
            ] {
                if let Some(entry) = self.chain.entry(section, name)
                    && !crate::record::is_managed(entry.body)
                {
                    let error = KubeconfigError::ForeignEntry {
                        section,
                        name: name.clone(),
                        file: entry.file.to_path_buf(),
                    };
                    return Err(IssueError::name_taken(error).into());
                }
            }
        }
        Ok(())
    }

    fn plan(&self, service_account: &str) -> TokenPlan {
        TokenPlan {
            service_account: service_account.to_string(),
            ..self.plan.clone()
        }
    }

    pub async fn run(self, stdout: &mut impl Write, stderr: &mut impl Write) -> Result<(), CreateError> {
        let client = self
            .source
            .client(&self.chain, self.request_timeout, Trust::Operator)
            .await?;
        if self.dry_run {
            return self.dry_run(&client, stdout, stderr).await;
        }
        for target in &self.targets {
            let (_, existed) = self
                .onboarding
                .ensure(&client, &self.namespace, &target.service_account, false)
                .await
                .map_err(|e| IssueError::from_token(e, &self.source))?;
            if !self.quiet {
                for line in existed {
                    let _ = writeln!(stderr, "{line}");
                }
            }
        }

        // The requests for several ServiceAccounts go out together.
        let waiting = match self.plan.token_type {
            TokenType::Secret => "Waiting for the tokens controller to fill the token Secret",
            TokenType::Bound => "Requesting the token",
        };
        let spinner = progress::Spinner::start(waiting, progress::enabled(self.quiet));
        let results = futures::future::join_all(self.targets.iter().map(|t| self.issue(&client, t))).await;
        drop(spinner);
        let mut issued = Vec::new();
        let mut failure = None;
        for result in results {
            match result {
                Ok(done) => issued.push(done),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        if let Some(e) = failure {
            // All or nothing: tokens already issued for the others are withdrawn where possible.
            self.withdraw(&client, &issued, stderr).await;
            return Err(e);
        }
        if !self.quiet {
            for one in &issued {
                report(stderr, &one.handout.token, Timestamp::now());
            }
        }
        match self.write(&issued, stdout, stderr) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.withdraw(&client, &issued, stderr).await;
                Err(e)
            }
        }
    }

    /// After a failure: every Secret the run created is deleted again, and the run says so.
    async fn withdraw(&self, client: &kube::Client, issued: &[Issued], stderr: &mut impl Write) {
        let done = issuing::withdraw(client, issued.iter().map(|i| &i.handout)).await;
        for (secret, namespace, e) in &done.failed {
            let _ = writeln!(
                stderr,
                "warning: {}; delete it with: kubectl delete secret {secret} -n {namespace}",
                crate::escape::foreign(&e.to_string()),
            );
        }
        if self.quiet {
            return;
        }
        if !done.deleted.is_empty() {
            let _ = writeln!(
                stderr,
                "Deleted again the Secret(s) this run created: {}.",
                done.deleted.join(", ")
            );
        }
        if !done.kept.is_empty() {
            let _ = writeln!(
                stderr,
                "The bound token(s) issued for {} cannot be withdrawn; they never reached a file, and they expire.",
                done.kept.join(", ")
            );
        }
    }

    /// Issues one token and builds its entries; with --verify, proves they work first.
    async fn issue(&self, client: &kube::Client, target: &Target) -> Result<Issued, CreateError> {
        let issued = self
            .plan(&target.service_account)
            .issue_entries(client, &self.source, target.names.clone(), &self.cluster)
            .await?;
        if self.verify {
            let expected = format!("system:serviceaccount:{}:{}", self.namespace, target.service_account);
            let document = issued.entries.document();
            if let Err(e) = verify::expect_identity(&document, &expected, self.request_timeout).await {
                // The error that matters is the verify's; a Secret that could not be deleted
                // again is named with it, never left unmentioned.
                let done = issuing::withdraw(client, [&issued.handout]).await;
                if let Some((secret, namespace, undo)) = done.failed.into_iter().next() {
                    return Err(CreateError::VerifyLeftSecret {
                        error: Box::new(e),
                        secret,
                        namespace,
                        why: crate::escape::foreign(&undo.to_string()),
                    });
                }
                return Err(CreateError::Verify(e));
            }
        }
        Ok(issued)
    }

    async fn dry_run(
        &self,
        client: &kube::Client,
        stdout: &mut impl Write,
        stderr: &mut impl Write,
    ) -> Result<(), CreateError> {
        let mut objects: Vec<Value> = Vec::new();
        for target in &self.targets {
            let sa = target.service_account.as_str();
            let (created, existed) = self
                .onboarding
                .ensure(client, &self.namespace, sa, true)
                .await
                .map_err(|e| IssueError::from_token(e, &self.source))?;
            objects.extend(created);
            if self.plan.revocable {
                let anchor = token::create_anchor(client, &self.namespace, sa, true)
                    .await
                    .map_err(|e| IssueError::from_token(e, &self.source))?;
                objects.push(crate::services::onboard::printable(&anchor));
            }
            if !self.quiet {
                for line in existed {
                    let _ = writeln!(stderr, "{line}");
                }
            }
        }
        let mut text = String::new();
        for object in &objects {
            text.push_str("---\n");
            text.push_str(&kubeconfig::to_yaml(object)?);
        }
        stdout.write_all(text.as_bytes()).map_err(CreateError::Stdout)?;
        if !self.quiet {
            let _ = writeln!(
                stderr,
                "Dry run: the server validated {} object(s); nothing was created and no token was issued.",
                objects.len()
            );
        }
        Ok(())
    }

    fn write(&self, issued: &[Issued], stdout: &mut impl Write, stderr: &mut impl Write) -> Result<(), CreateError> {
        if let Destination::Dir { dir, force } = &self.destination {
            // All files or none: each is staged before any replaces what was there.
            let mut files = Vec::new();
            for one in issued {
                let path = output_dir_file(dir, &one.handout.record.service_account);
                files.push((path, self.render(&one.entries.document())?.into_bytes()));
            }
            kubeconfig::write_all(&files, *force).map_err(output_exists)?;
            if !self.quiet {
                for (one, (path, _)) in issued.iter().zip(&files) {
                    let _ = writeln!(
                        stderr,
                        "Kubeconfig with context {:?} written to {}.",
                        one.entries.names.context,
                        display(path)
                    );
                }
            }
            return Ok(());
        }
        let Some(one) = issued.first() else {
            return Ok(());
        };
        if self.format == Format::Token {
            let token = one.handout.token.token.expose_secret();
            let line = if self.stdout_is_terminal {
                format!("{token}\n")
            } else {
                token.to_string()
            };
            return stdout.write_all(line.as_bytes()).map_err(CreateError::Stdout);
        }
        let context = &one.entries.names.context;
        match &self.destination {
            Destination::Merge(placement) => {
                let waiting = format!(
                    "Writing {} (waiting for its lock)",
                    self.chain.rules.destination().display()
                );
                let spinner = progress::Spinner::start(waiting, progress::enabled(self.quiet));
                let file = one.merge(&self.chain.rules, *placement);
                drop(spinner);
                let file = file?;
                if !self.quiet {
                    let _ = writeln!(stderr, "Context {context:?} written to {}.", display(&file));
                    if placement.set_current {
                        let _ = writeln!(stderr, "Switched to context {context:?}.");
                    }
                }
                Ok(())
            }
            Destination::File { path, force } => {
                let text = self.render(&one.entries.document())?;
                kubeconfig::write_new(path, text.as_bytes(), *force).map_err(output_exists)?;
                if !self.quiet {
                    let _ = writeln!(
                        stderr,
                        "Kubeconfig with context {context:?} written to {}.",
                        display(path)
                    );
                }
                Ok(())
            }
            Destination::Stdout | Destination::Dir { .. } => {
                let text = self.render(&one.entries.document())?;
                stdout.write_all(text.as_bytes()).map_err(CreateError::Stdout)
            }
        }
    }

    fn render(&self, document: &Value) -> Result<String, CreateError> {
        Ok(match self.format {
            Format::Json => serde_json::to_string_pretty(document)? + "\n",
            _ => kubeconfig::to_yaml(document)?,
        })
    }
}

fn output_dir_file(dir: &Path, service_account: &str) -> PathBuf {
    dir.join(format!("{service_account}.kubeconfig"))
}

fn output_exists(e: KubeconfigError) -> CreateError {
    match e {
        KubeconfigError::Exists { .. } => CreateError::OutputExists(e),
        e => e.into(),
    }
}

/// A foreign entry of the same name: say which flag picks another name.
fn display(path: &Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path));
    crate::escape::line(&path.display().to_string())
}

/// The one line on stderr after issuing: who, what, until when; and a warning when the
/// server granted less than was asked (managed clusters cap lifetimes silently).
fn report(stderr: &mut impl Write, issued: &IssuedToken, now: Timestamp) {
    // The subject comes from the token's claims, which the server wrote: shown escaped.
    let what = match &issued.secret_name {
        Some(secret) => format!(
            "{} token (Secret {})",
            issued.token_type.as_str(),
            crate::escape::line(secret)
        ),
        None => format!("{} token", issued.token_type.as_str()),
    };
    let expiry = match issued.expires {
        Some(at) => format!(
            "expires {} (in {})",
            at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            duration::human(at.as_second() - now.as_second())
        ),
        None => "never expires".to_string(),
    };
    let _ = writeln!(
        stderr,
        "Issued a {what} for {}, {expiry}.",
        crate::escape::line(&issued.subject)
    );
    if let Some((requested, granted)) = issued.shortened {
        let _ = writeln!(
            stderr,
            "warning: the server shortened the token's lifetime: requested {}, granted {}",
            GoDuration::from_secs(requested),
            GoDuration::from_secs(granted)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn args(extra: &[&str]) -> CreateArgs {
        let mut argv = vec!["kubectl-satoken", "ci"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().create
    }

    fn error(extra: &[&str]) -> String {
        validate(&args(extra)).unwrap_err().to_string()
    }

    #[test]
    fn accepts_what_the_server_accepts() {
        for ok in [
            &[][..],
            &["--duration", "0s"],
            &["--duration", "10m"],
            &["--duration", "4294967296s"],
        ] {
            assert_eq!(validate(&args(ok)), Ok(()), "{ok:?}");
        }
        assert_eq!(requested_seconds(&args(&["--duration", "0s"])), None);
        assert_eq!(requested_seconds(&args(&[])), None);
        assert_eq!(requested_seconds(&args(&["--duration", "1h30m"])), Some(5400));
    }

    #[test]
    fn rejects_durations_the_server_would_reject() {
        assert!(error(&["--duration", "5m"]).contains("too short: the API server accepts 10m to 4294967296s"));
        assert!(error(&["--duration", "599s"]).contains("too short"));
        assert!(error(&["--duration", "4294967297s"]).contains("too long"));
        assert_eq!(
            error(&["--duration=-1h"]),
            "--duration must be greater than or equal to 0"
        );
        assert_eq!(
            error(&["--duration", "1500ms"]),
            "--duration cannot be expressed in units less than seconds"
        );
    }

    #[test]
    fn uses_kubectl_create_token_wording() {
        assert_eq!(error(&["--audience", ""]), "--audience must not be an empty string");
        assert_eq!(
            error(&["--bound-object-name", "x"]),
            "--bound-object-name can only be set if --bound-object-kind is provided"
        );
        assert_eq!(
            error(&["--bound-object-uid", "x"]),
            "--bound-object-uid can only be set if --bound-object-kind is provided"
        );
        assert_eq!(
            error(&["--bound-object-kind", "Pod"]),
            "--bound-object-name is required if --bound-object-kind is provided"
        );
        assert_eq!(
            validate(&args(&["--bound-object-kind", "secret", "--bound-object-name", "s"])),
            Ok(())
        );
    }

    #[test]
    fn rejects_conflicting_and_malformed_flags() {
        assert!(error(&["--type", "secret", "--duration", "1h"]).contains("apply to --type bound only"));
        assert_eq!(
            error(&["--secret-name", "s"]),
            "--secret-name applies to --type secret only"
        );
        assert!(error(&["-o", "token", "--merge"]).starts_with("-o token prints only the token"));
        assert!(error(&["-o", "json", "--merge"]).contains("drop -o json"));
        // --grant is parsed by clap, with the grant's own message.
        let err = Cli::try_parse_from(["kubectl-satoken", "ci", "--grant", "view"]).unwrap_err();
        assert!(
            err.to_string().contains("expected role/NAME or clusterrole/NAME"),
            "{err}"
        );
        assert!(error(&["--grant", "role/x", "--grant-cluster-wide"]).contains("needs clusterrole/NAME"));
        assert!(error(&["--revocable", "--type", "secret"]).starts_with("--revocable binds a bound token"));
        assert!(error(&["--output-dir", "d", "--context-name", "x"]).contains("drop --context-name"));
        let several = Cli::try_parse_from(["kubectl-satoken", "a", "b"]).unwrap().create;
        assert!(
            validate(&several)
                .unwrap_err()
                .to_string()
                .contains("need --output-dir")
        );
        assert_eq!(error(&["--context-name", ""]), "--context-name must not be empty");
        let twice = Cli::try_parse_from(["kubectl-satoken", "ci", "b", "ci", "--output-dir", "d"])
            .unwrap()
            .create;
        assert!(
            validate(&twice)
                .unwrap_err()
                .to_string()
                .starts_with("ServiceAccount \"ci\" is named twice")
        );
        assert!(error(&["--server", "k8s.example.com"]).contains("is not a URL"));
        assert!(error(&["-n", "Bad_NS"]).starts_with("invalid namespace \"Bad_NS\""));
        let bad_sa = Cli::try_parse_from(["kubectl-satoken", "Bad"]).unwrap().create;
        assert!(
            validate(&bad_sa)
                .unwrap_err()
                .to_string()
                .starts_with("invalid ServiceAccount name \"Bad\"")
        );
    }

    #[test]
    fn reports_identity_expiry_and_shortening() {
        let jwt = crate::jwt::encode_for_test(
            &serde_json::json!({"sub": "system:serviceaccount:ns:sa", "iat": 1_000_000_000, "exp": 1_000_086_400}),
        );
        let issued = IssuedToken::new(jwt, TokenType::Bound, String::new(), Some(8760 * 3600)).unwrap();
        let mut err = Vec::new();
        report(&mut err, &issued, Timestamp::from_second(1_000_000_000).unwrap());
        let err = String::from_utf8(err).unwrap();
        assert_eq!(
            err,
            "Issued a bound token for system:serviceaccount:ns:sa, expires 2001-09-10T01:46:40Z (in 24h).\n\
             warning: the server shortened the token's lifetime: requested 8760h0m0s, granted 24h0m0s\n"
        );
    }
}
