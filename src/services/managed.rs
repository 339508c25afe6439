//! The contexts kubectl-satoken created, found by the record on them
//! (`record::TokenRecord`), with the entries they point to.

use std::path::PathBuf;

use secrecy::SecretString;
use serde_json::Value;

use crate::kubeconfig::{Chain, Section};
use crate::record::TokenRecord;
use crate::services::source::{Source, SourceCluster, SourceError};

/// A context looked up by name that is not one this tool created.
#[derive(Debug, thiserror::Error)]
pub enum ManagedError {
    #[error("context {0:?} does not exist; kubectl satoken list shows the contexts kubectl-satoken created")]
    NotFound(String),
    #[error(
        "context {name:?} (in {file}) was not created by kubectl-satoken; kubectl satoken list shows the ones it created"
    )]
    NotOurs { name: String, file: PathBuf },
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

impl Managed {
    /// The cluster the context itself uses (its entry as it is: a --server override, say),
    /// or the source's when that entry is gone.
    pub fn cluster(&self, source: &Source) -> Result<SourceCluster, SourceError> {
        match &self.cluster_body {
            Some(body) => SourceCluster::from_entry(&self.cluster, body, &self.file),
            None => Ok(source.cluster.clone()),
        }
    }
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
pub fn find_managed(chain: &Chain, name: &str) -> Result<Managed, ManagedError> {
    let entry = chain
        .entry(Section::Contexts, name)
        .ok_or_else(|| ManagedError::NotFound(name.to_string()))?;
    managed_entry(chain, name, entry.file.to_path_buf(), entry.body).ok_or_else(|| ManagedError::NotOurs {
        name: name.to_string(),
        file: entry.file.to_path_buf(),
    })
}
