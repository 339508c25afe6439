//! `kubectl satoken [create] SERVICEACCOUNT`: the shape of kubectl's `create token`: options,
//! a pure `validate`, `complete` (local files only), then `run` (the requests and the output).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use secrecy::ExposeSecret;

use crate::cli::{CreateArgs, OutputFormat, TokenType};
use crate::duration::{self, GoDuration};
use crate::kubeconfig::{self, Chain, KubeconfigError, LoadingRules, MergeRequest, Section};
use crate::names::{self, InvalidName};
use crate::source::{self, Source, SourceError};
use crate::standalone::{EntryNames, NewEntries, Provenance};
use crate::token::{self, BoundRequest, IssuedToken, SecretRequest, TokenError};

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
    Token(TokenError),
    #[error("cannot reach the API server {server} (context {context:?})")]
    Unreachable {
        server: String,
        context: String,
        #[source]
        source: kube::Error,
    },
    #[error("{error}; choose another name with --{flag}, or replace it with --overwrite")]
    NameTaken { flag: &'static str, error: KubeconfigError },
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

/// Everything `run` needs, resolved from the flags and the local kubeconfig.
#[derive(Debug)]
pub struct CreateOptions {
    args: CreateArgs,
    service_account: String,
    chain: Chain,
    source: Source,
    namespace: String,
    names: EntryNames,
    /// `certificate-authority-data` from --certificate-authority.
    ca_override: Option<String>,
}

/// Checks the flags alone: no file is read, nothing is sent.
pub fn validate(args: &CreateArgs) -> Result<(), ValidationError> {
    for service_account in &args.service_accounts {
        names::check_subdomain("ServiceAccount name", service_account)?;
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
    if args.output == OutputFormat::Token && (args.merge || args.output_file.is_some()) {
        return Err(flag(
            "-o token prints only the token; it cannot be combined with --merge or --output-file",
        ));
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
        let service_account = args.service_accounts.first().cloned().unwrap_or_default();
        let chain = Chain::load(LoadingRules::from_env(args.connection.kubeconfig.clone()))?;
        let source = Source::resolve(&chain, args.connection.context.as_deref())?;
        let namespace = match args.connection.namespace.clone().or_else(|| source.namespace.clone()) {
            Some(ns) => {
                names::check_namespace(&ns).map_err(ValidationError::from)?;
                ns
            }
            None => "default".to_string(),
        };
        let context = args
            .context_name
            .clone()
            .unwrap_or_else(|| names::default_entry_name(&source.cluster.name, &namespace, &service_account));
        let names = EntryNames {
            cluster: args.cluster_name.clone().unwrap_or_else(|| context.clone()),
            user: args.user_name.clone().unwrap_or_else(|| context.clone()),
            context,
        };
        let ca_override = args
            .certificate_authority
            .as_deref()
            .map(source::read_ca_flag)
            .transpose()?;
        let options = CreateOptions {
            args,
            service_account,
            chain,
            source,
            namespace,
            names,
            ca_override,
        };
        options.check_destination()?;
        Ok(options)
    }

    /// Refuses, before a token exists, what the write would refuse later.
    fn check_destination(&self) -> Result<(), CreateError> {
        if let Some(path) = &self.args.output_file
            && !self.args.force
            && path.exists()
        {
            return Err(CreateError::OutputExists(KubeconfigError::Exists {
                path: path.clone(),
            }));
        }
        if self.args.merge && !self.args.overwrite {
            for (section, name, flag) in [
                (Section::Clusters, &self.names.cluster, "cluster-name"),
                (Section::Users, &self.names.user, "user-name"),
                (Section::Contexts, &self.names.context, "context-name"),
            ] {
                if let Some(entry) = self.chain.entry(section, name)
                    && !kubeconfig::is_managed(entry.body)
                {
                    let source = KubeconfigError::ForeignEntry {
                        section,
                        name: name.clone(),
                        file: entry.file.to_path_buf(),
                    };
                    return Err(CreateError::NameTaken { flag, error: source });
                }
            }
        }
        Ok(())
    }

    pub async fn run(self, stdout: &mut impl Write, stderr: &mut impl Write) -> Result<(), CreateError> {
        let timeout = self.args.connection.request_timeout.whole_seconds().filter(|s| *s > 0);
        let timeout = timeout.map(|s| Duration::from_secs(s as u64));
        let client = self.source.client(&self.chain, timeout).await?;
        let issued = self.issue(&client).await?;
        if !self.args.quiet {
            report(stderr, &issued, Timestamp::now());
        }
        if self.args.output == OutputFormat::Token {
            let token = issued.token.expose_secret();
            let line = if std::io::stdout().is_terminal() {
                format!("{token}\n")
            } else {
                token.to_string()
            };
            return stdout.write_all(line.as_bytes()).map_err(CreateError::Stdout);
        }

        let mut cluster = self.source.cluster.clone();
        if let Some(server) = &self.args.server {
            cluster.server = server.clone();
        }
        if let Some(ca) = &self.ca_override {
            // An explicit CA means "verify with this one".
            cluster.ca_data = Some(ca.clone());
            cluster.insecure_skip_tls_verify = false;
        } else if cluster.ca_data.is_none() && !cluster.insecure_skip_tls_verify {
            cluster.ca_data = issued.secret_ca.as_ref().map(|pem| base64_encode(pem));
        }
        let provenance = Provenance {
            namespace: self.namespace.clone(),
            service_account: self.service_account.clone(),
            source_context: self.source.context.clone(),
            requested_seconds: requested_seconds(&self.args),
            audiences: self.args.audience.clone(),
        };
        let entries = NewEntries::new(self.names.clone(), &cluster, &issued, &provenance);

        if self.args.merge {
            let request = MergeRequest {
                entries: entries.into_entries(),
                set_current: self.args.set_current.then(|| self.names.context.clone()),
                overwrite: self.args.overwrite,
                lock_timeout: to_std(self.args.lock_timeout),
            };
            let report = kubeconfig::merge(&self.chain.rules, &request).map_err(|e| self.name_taken(e))?;
            if !self.args.quiet {
                let file = report
                    .written
                    .iter()
                    .find(|(s, _, _)| *s == Section::Contexts)
                    .map(|(_, _, f)| f.clone());
                let file = file.unwrap_or_else(|| self.chain.rules.destination());
                let _ = writeln!(
                    stderr,
                    "Context {:?} written to {}.",
                    self.names.context,
                    file.display()
                );
                if self.args.set_current {
                    let _ = writeln!(stderr, "Switched to context {:?}.", self.names.context);
                }
            }
            return Ok(());
        }

        let document = entries.document();
        let text = match self.args.output {
            OutputFormat::Json => serde_json::to_string_pretty(&document)? + "\n",
            _ => kubeconfig::to_yaml(&document)?,
        };
        match &self.args.output_file {
            Some(path) => {
                kubeconfig::write_new(path, text.as_bytes(), self.args.force).map_err(|e| match e {
                    KubeconfigError::Exists { .. } => CreateError::OutputExists(e),
                    e => e.into(),
                })?;
                if !self.args.quiet {
                    let _ = writeln!(
                        stderr,
                        "Kubeconfig with context {:?} written to {}.",
                        self.names.context,
                        display(path)
                    );
                }
                Ok(())
            }
            None => stdout.write_all(text.as_bytes()).map_err(CreateError::Stdout),
        }
    }

    async fn issue(&self, client: &kube::Client) -> Result<IssuedToken, CreateError> {
        let (ns, sa) = (self.namespace.as_str(), self.service_account.as_str());
        let result = match self.args.token_type {
            TokenType::Bound => {
                let request = BoundRequest {
                    expiration_seconds: requested_seconds(&self.args),
                    audiences: self.args.audience.clone(),
                    bound_object: self.args.bound_object_kind.map(|kind| token::BoundObject {
                        kind,
                        name: self.args.bound_object_name.clone().unwrap_or_default(),
                        uid: self.args.bound_object_uid.clone(),
                    }),
                };
                token::issue_bound(client, ns, sa, &request).await
            }
            TokenType::Secret => {
                let request = SecretRequest {
                    secret_name: self.args.secret_name.clone(),
                    timeout: to_std(self.args.secret_timeout),
                };
                token::issue_secret(client, ns, sa, &request).await
            }
        };
        result.map_err(|e| match e {
            TokenError::Api(source) if !matches!(source, kube::Error::Api(_)) => CreateError::Unreachable {
                server: self.source.cluster.server.clone(),
                context: self.source.context.clone(),
                source,
            },
            e => CreateError::Token(e),
        })
    }

    fn name_taken(&self, e: KubeconfigError) -> CreateError {
        match &e {
            KubeconfigError::ForeignEntry { section, .. } => CreateError::NameTaken {
                flag: match section {
                    Section::Clusters => "cluster-name",
                    Section::Users => "user-name",
                    Section::Contexts => "context-name",
                },
                error: e,
            },
            _ => e.into(),
        }
    }
}

fn to_std(d: GoDuration) -> Duration {
    Duration::from_secs(d.whole_seconds().unwrap_or(0).clamp(0, i128::from(u32::MAX)) as u64)
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn display(path: &std::path::Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| PathBuf::from(path))
        .display()
        .to_string()
}

/// The one line on stderr after issuing: who, what, until when; and a warning when the
/// server granted less than was asked (managed clusters cap lifetimes silently).
fn report(stderr: &mut impl Write, issued: &IssuedToken, now: Timestamp) {
    let what = match &issued.secret_name {
        Some(secret) => format!("{} token (Secret {secret})", issued.token_type.as_str()),
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
    let _ = writeln!(stderr, "Issued a {what} for {}, {expiry}.", issued.subject);
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
        assert_eq!(error(&["--context-name", ""]), "--context-name must not be empty");
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
