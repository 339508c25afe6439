//! The life of the contexts kubectl-satoken created: `list`, `inspect`, `refresh`, `revoke`.
//! They find those contexts by the record on them (`record::TokenRecord`).

mod inspect;
mod list;
mod refresh;
mod revocation;
mod revoke;

use std::path::PathBuf;

use secrecy::SecretString;
use serde_json::Value;

use crate::create::CreateError;
use crate::kubeconfig::{Chain, KubeconfigError, Section};
use crate::record::TokenRecord;
use crate::source::SourceError;
use crate::token::TokenError;
use crate::verify::VerifyError;
use revocation::RevocationError;

pub use inspect::inspect;
pub use list::{ListRow, list, rows};
pub use refresh::refresh;
pub use revoke::revoke;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("context {0:?} does not exist; kubectl satoken list shows the contexts kubectl-satoken created")]
    NotFound(String),
    #[error(
        "context {name:?} (in {file}) was not created by kubectl-satoken; kubectl satoken list shows the ones it created"
    )]
    NotOurs { name: String, file: PathBuf },
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
        source: Box<CreateError>,
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
    #[error(transparent)]
    Create(#[from] CreateError),
    #[error("cannot encode JSON")]
    Json(#[from] serde_json::Error),
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

/// A context this tool created, with the entries it points to.
pub struct Managed {
    pub context: String,
    pub file: PathBuf,
    pub record: TokenRecord,
    pub cluster: String,
    pub user: String,
    /// The body of the context's cluster entry, if it exists.
    pub cluster_body: Option<Value>,
    pub token: Option<SecretString>,
}

fn str_of<'a>(body: &'a Value, key: &str) -> &'a str {
    body.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn managed_entry(chain: &Chain, name: &str, file: PathBuf, body: &Value) -> Option<Managed> {
    let record = TokenRecord::from_context(body)?;
    let (cluster, user) = (str_of(body, "cluster").to_string(), str_of(body, "user").to_string());
    let token = chain.entry(Section::Users, &user).and_then(|u| {
        u.body
            .get("token")
            .and_then(Value::as_str)
            .map(|t| SecretString::from(t.to_string()))
    });
    let cluster_body = chain.entry(Section::Clusters, &cluster).map(|c| c.body.clone());
    Some(Managed {
        context: name.to_string(),
        file,
        record,
        cluster,
        user,
        cluster_body,
        token,
    })
}

/// Every context of the chain that carries this tool's record, in chain order.
pub fn managed_contexts(chain: &Chain) -> Vec<Managed> {
    chain
        .names(Section::Contexts)
        .into_iter()
        .filter_map(|e| managed_entry(chain, e.name, e.file.to_path_buf(), e.body))
        .collect()
}

/// The named context, which must be one this tool created.
pub fn find_managed(chain: &Chain, name: &str) -> Result<Managed, LifecycleError> {
    let entry = chain
        .entry(Section::Contexts, name)
        .ok_or_else(|| LifecycleError::NotFound(name.to_string()))?;
    managed_entry(chain, name, entry.file.to_path_buf(), entry.body).ok_or_else(|| LifecycleError::NotOurs {
        name: name.to_string(),
        file: entry.file.to_path_buf(),
    })
}
