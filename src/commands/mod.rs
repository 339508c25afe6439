//! The subcommands, each in the shape of kubectl's commands: options resolved from the flags
//! and the local files, then the run. They sit on the services (`crate::services`).

pub mod completion;
pub mod create;
mod inspect;
mod list;
mod refresh;
mod revoke;

use crate::kubeconfig::KubeconfigError;
use crate::services::issuing::IssueError;
use crate::services::managed::ManagedError;
use crate::services::revocation::RevocationError;
use crate::services::source::SourceError;
use crate::services::verify::VerifyError;
use crate::token::TokenError;

use std::time::Duration;

use crate::cli::{KubeconfigArgs, RevokeWaitArgs, WriteArgs};
use crate::kubeconfig::LoadingRules;
use crate::services::revocation;

pub use inspect::inspect;
pub use list::{ListRow, list, rows};
pub use refresh::refresh;
pub use revoke::revoke;

/// The errors of `list`, `inspect`, `refresh` and `revoke`.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Managed(#[from] ManagedError),
    #[error("context {0:?} does not exist; kubectl satoken list shows the contexts kubectl-satoken created")]
    NotFound(String),
    #[error("no context is set; name one, or pass --file KUBECONFIG")]
    NoContext,
    #[error("context {0:?} has no token in its user entry")]
    NoToken(String),
    #[error(
        "context {context:?} holds a plain bound token, which cannot be revoked before it expires ({expires}); \
         next time create it with --revocable (or --type secret), or delete the ServiceAccount to end all its tokens"
    )]
    NotRevocable { context: String, expires: String },
    #[error(
        "kubeconfig has no context kubectl-satoken created; create one with: kubectl satoken SERVICEACCOUNT --merge"
    )]
    NoneManaged,
    #[error("refresh of context {context:?} failed")]
    Refresh {
        context: String,
        #[source]
        source: Box<IssueError>,
    },
    #[error(transparent)]
    Revocation(#[from] RevocationError),
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("cannot encode JSON")]
    Json(#[from] serde_json::Error),
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

/// What `refresh` and `revoke` settle from their flags before any work starts.
#[derive(Debug, Clone)]
struct WriteSettings {
    rules: LoadingRules,
    request_timeout: Option<Duration>,
    /// How long to wait for a deleted Secret's token to be rejected (`None`: --no-wait).
    wait: Option<Duration>,
    lock_timeout: Duration,
    quiet: bool,
}

impl WriteSettings {
    fn new(kubeconfig: &KubeconfigArgs, wait: &RevokeWaitArgs, write: &WriteArgs) -> Result<Self, LifecycleError> {
        let timeout = kubeconfig.request_timeout.to_std();
        Ok(WriteSettings {
            rules: LoadingRules::from_env(kubeconfig.kubeconfig.clone()),
            request_timeout: (!timeout.is_zero()).then_some(timeout),
            wait: revocation::wait_bound(wait.no_wait, wait.wait_timeout)?,
            lock_timeout: write.lock_timeout.to_std(),
            quiet: write.quiet,
        })
    }
}
