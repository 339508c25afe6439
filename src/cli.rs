//! The command line, defined once: the binary parses it, and the completion scripts in
//! `completions/` are generated from it.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::services::onboard::Grant;
use crate::token::{BoundObjectKind, TokenType};
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
    /// List the contexts kubectl-satoken created in the kubeconfig chain
    #[command(after_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Show a context's token: its claims, decoded without trusting them
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Issue a new token for contexts with the options recorded on them
    #[command(after_help = REFRESH_EXAMPLES)]
    Refresh(RefreshArgs),
    /// Revoke a context's token, wait until it is rejected, and remove the context
    #[command(after_help = REVOKE_EXAMPLES)]
    Revoke(RevokeArgs),
    /// Print a shell completion script for kubectl-satoken
    #[command(after_help = "Examples:\n  # bash, for this session\n  source <(kubectl-satoken completion bash)\n")]
    Completion {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Completion candidates for `kubectl satoken <TAB>` (called by kubectl_complete-satoken)
    #[command(name = "__complete", hide = true)]
    Complete {
        /// The words typed after `kubectl satoken`, the last one being completed
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

const LIST_EXAMPLES: &str = "\
Examples:
  # The contexts kubectl-satoken made, with their expiry and the file each lives in
  kubectl satoken list

  # Everything recorded on them, as JSON
  kubectl satoken list -o json
";

const INSPECT_EXAMPLES: &str = "\
Examples:
  # The current context's token: subject, audiences, expiry, bound object
  kubectl satoken inspect

  # A kubeconfig someone handed you, checked live against the API server
  kubectl satoken inspect --file ci.kubeconfig --verify
";

const REFRESH_EXAMPLES: &str = "\
Examples:
  # A new token for one context (a Secret-based one is rotated: new Secret, old one deleted;
  # refresh then waits about 12s until the old token is rejected, and checks that it is)
  kubectl satoken refresh prod/team-a/ci

  # Every context kubectl-satoken made (one wait at the end for all the old tokens)
  kubectl satoken refresh --all

  # Do not wait: the old token stops working within about 10s
  kubectl satoken refresh prod/team-a/ci --no-wait
";

const REVOKE_EXAMPLES: &str = "\
Examples:
  # Delete the token's Secret, wait until the API servers reject the token (about 12s: each
  # server accepts a token it saw for up to 10s after the delete), check that they do, and
  # remove the context
  kubectl satoken revoke prod/team-a/ci

  # Revoke but keep the (now useless) context
  kubectl satoken revoke prod/team-a/ci --keep-context

  # Return right after the delete: the token stops working within about 10s
  kubectl satoken revoke prod/team-a/ci --no-wait
";

/// Which kubeconfig chain to read and write, like kubectl's flags.
#[derive(Debug, Clone, Args)]
pub struct KubeconfigArgs {
    /// Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "0")]
    pub request_timeout: GoDuration,

    /// Log each API request (method, path, status, time) and lock events on stderr; never a
    /// token or a header value. -vv adds each response's audit ID
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How commands that rewrite the kubeconfig wait and talk.
#[derive(Debug, Clone, Args)]
pub struct WriteArgs {
    /// How long to wait for another writer's kubeconfig lock
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub lock_timeout: GoDuration,

    /// Print nothing on stderr but errors
    #[arg(short, long)]
    pub quiet: bool,
}

/// How `revoke` and `refresh` make sure a deleted Secret's token no longer works.
#[derive(Debug, Clone, Args)]
pub struct RevokeWaitArgs {
    /// How long to wait, after deleting a Secret, until its token is rejected: until the
    /// Secret is gone, then 10s (API servers cache a token that long) plus 2s, then 3 probes
    /// with the token itself; at least 12s
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub wait_timeout: GoDuration,

    /// Return right after the delete, without waiting and checking: the token stops working
    /// within about 10s
    #[arg(long, conflicts_with = "wait_timeout")]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// More columns: Secret, audiences, source context
    Wide,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Output format (default: a table)
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT")]
    pub output: Option<ListFormat>,
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// The context to inspect (default: current-context)
    #[arg(value_name = "CONTEXT")]
    pub context: Option<String>,

    /// Read this kubeconfig file alone (for example one handed to you). With --verify only its
    /// inline token is sent, to its own server; a user entry that would run a command (exec,
    /// auth-provider) or send a local credential (tokenFile, client-certificate, client-key) is
    /// refused
    #[arg(long, value_name = "KUBECONFIG", conflicts_with = "kubeconfig")]
    pub file: Option<PathBuf>,

    /// Also ask the API server who the token is (SelfSubjectReview) and what it may do in its
    /// namespace (SelfSubjectRulesReview)
    #[arg(long)]
    pub verify: bool,

    /// Output format (default: text)
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT")]
    pub output: Option<InspectFormat>,

    #[command(flatten)]
    pub kubeconfig_args: KubeconfigArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct RefreshArgs {
    /// The context to refresh
    #[arg(value_name = "CONTEXT", required_unless_present = "all", conflicts_with = "all")]
    pub context: Option<String>,

    /// Refresh every context kubectl-satoken created
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub kubeconfig_args: KubeconfigArgs,

    #[command(flatten)]
    pub wait: RevokeWaitArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// The context whose token to revoke
    #[arg(value_name = "CONTEXT")]
    pub context: String,

    /// Keep the context and its entries in the kubeconfig
    #[arg(long)]
    pub keep_context: bool,

    #[command(flatten)]
    pub kubeconfig_args: KubeconfigArgs,

    #[command(flatten)]
    pub wait: RevokeWaitArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

/// `--type`: the token kinds (`token::TokenType`), with their help.
impl ValueEnum for TokenType {
    fn value_variants<'a>() -> &'a [Self] {
        &[TokenType::Bound, TokenType::Secret]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            TokenType::Bound => PossibleValue::new("bound").help("A bound token from the TokenRequest API: it expires"),
            TokenType::Secret => PossibleValue::new("secret")
                .help("A long-lived token kept in a Secret of type kubernetes.io/service-account-token"),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
    /// Only the token (a newline only on a terminal, like kubectl create token)
    Token,
}

/// `--bound-object-kind`: kubectl create token's kinds, spelled as kubectl spells them.
impl ValueEnum for BoundObjectKind {
    fn value_variants<'a>() -> &'a [Self] {
        &[BoundObjectKind::Node, BoundObjectKind::Pod, BoundObjectKind::Secret]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
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
    /// Name of the ServiceAccount (several only with --output-dir)
    #[arg(value_name = "SERVICEACCOUNT", required = true, num_args = 1..)]
    pub service_accounts: Vec<String>,

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

    /// Bind the bound token to a new anchor Secret, so that `revoke` can end it early
    #[arg(long)]
    pub revocable: bool,

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
    #[arg(long, value_name = "PATH", conflicts_with_all = ["merge", "output_dir"])]
    pub output_file: Option<PathBuf>,

    /// Write one kubeconfig per ServiceAccount into this directory (DIR/SERVICEACCOUNT.kubeconfig, 0600)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath, conflicts_with = "merge")]
    pub output_dir: Option<PathBuf>,

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

    /// Before writing anything, check that the new kubeconfig itself reaches the server and
    /// authenticates as the ServiceAccount (SelfSubjectReview)
    #[arg(long)]
    pub verify: bool,

    /// Create the ServiceAccount if it does not exist
    #[arg(long)]
    pub create_serviceaccount: bool,

    /// Bind a role to the ServiceAccount: role/NAME or clusterrole/NAME (repeatable)
    #[arg(long, value_name = "ROLE", value_parser = clap::value_parser!(Grant))]
    pub grant: Vec<Grant>,

    /// With --grant clusterrole/NAME: a ClusterRoleBinding (every namespace) instead of a RoleBinding
    #[arg(long, requires = "grant")]
    pub grant_cluster_wide: bool,

    /// Print the objects --create-serviceaccount, --grant and --revocable would create, and stop
    #[arg(long)]
    pub dry_run: bool,

    /// Print nothing on stderr but errors
    #[arg(short, long)]
    pub quiet: bool,

    /// Log each API request (method, path, status, time) and lock events on stderr; never a
    /// token or a header value. -vv adds each response's audit ID
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
        assert_eq!(cli.create.service_accounts, ["ci"]);
        assert_eq!(cli.create.connection.namespace.as_deref(), Some("team-a"));

        let cli = Cli::try_parse_from(["kubectl-satoken", "create", "ci"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Create(ref a)) if a.service_accounts == ["ci"]));
    }

    #[test]
    fn waiting_defaults_are_the_documented_ones() {
        use std::time::Duration;
        let cli = Cli::try_parse_from(["kubectl-satoken", "ci"]).unwrap();
        assert_eq!(cli.create.lock_timeout.to_std(), Duration::from_secs(10));
        assert_eq!(cli.create.secret_timeout.to_std(), Duration::from_secs(30));
        let cli = Cli::try_parse_from(["kubectl-satoken", "refresh", "--all"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Refresh(a)) if a.write.lock_timeout.to_std() == Duration::from_secs(10))
        );
        for argv in [
            &["kubectl-satoken", "revoke", "c"][..],
            &["kubectl-satoken", "refresh", "--all"],
        ] {
            let wait = match Cli::try_parse_from(argv).unwrap().command {
                Some(Command::Revoke(a)) => a.wait,
                Some(Command::Refresh(a)) => a.wait,
                _ => unreachable!(),
            };
            assert_eq!(wait.wait_timeout.to_std(), Duration::from_secs(30), "--help says 30s");
            assert!(!wait.no_wait);
        }
        let cli = Cli::try_parse_from(["kubectl-satoken", "revoke", "c"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Revoke(a)) if a.wait.wait_timeout.to_std() == Duration::from_secs(30) && !a.wait.no_wait)
        );
        assert!(Cli::try_parse_from(["kubectl-satoken", "revoke", "c", "--no-wait", "--wait-timeout", "1m"]).is_err());
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
