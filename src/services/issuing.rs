//! The issuing service that `create` and `refresh` share: a token issued from a plan
//! (create's flags, or the record on a context for `refresh`), the kubeconfig entries that
//! carry it, their merge into the user's kubeconfig, and, when a later step fails, the
//! withdrawal of what was issued.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use k8s_openapi::jiff::Timestamp;

use crate::kubeconfig::{self, KubeconfigError, LoadingRules, MergeReport, MergeRequest, Section};
use crate::record::{BoundObjectRecord, TokenRecord};
use crate::services::issued_kubeconfig::{EntryNames, NewEntries};
use crate::services::source::{Source, SourceCluster, SourceError};
use crate::token::TokenType;
use crate::token::{self, BoundObject, BoundRequest, IssuedToken, SecretRequest, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
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
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
}

impl IssueError {
    /// Names the server for errors that never reached an API answer.
    pub fn from_token(e: TokenError, source: &Source) -> IssueError {
        match e {
            TokenError::Api(err) if !matches!(err, kube::Error::Api(_)) => IssueError::Unreachable {
                server: source.cluster.server.clone(),
                context: source.context.clone(),
                source: err,
            },
            e => IssueError::Token(e),
        }
    }

    /// A foreign entry of the same name: say which flag picks another name.
    pub fn name_taken(e: KubeconfigError) -> IssueError {
        match &e {
            KubeconfigError::ForeignEntry { section, .. } => IssueError::NameTaken {
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

/// Where a merge puts new entries, and how it treats what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub set_current: bool,
    pub overwrite: bool,
    pub lock_timeout: Duration,
}

/// An issued token with the entries that carry it.
#[derive(Debug)]
pub struct Issued {
    pub handout: Handout,
    pub entries: NewEntries,
}

impl Issued {
    /// Merges the entries into the kubeconfig where kubectl would put them; says which file
    /// got the context.
    pub fn merge(&self, rules: &LoadingRules, placement: Placement) -> Result<PathBuf, IssueError> {
        let context = self.entries.names.context.clone();
        let request = MergeRequest {
            entries: self.entries.entries(),
            remove: Vec::new(),
            set_current: placement.set_current.then(|| context.clone()),
            overwrite: placement.overwrite,
            ours: crate::record::is_managed,
            lock_timeout: placement.lock_timeout,
        };
        let report: MergeReport = kubeconfig::merge(rules, &request).map_err(IssueError::name_taken)?;
        let file = report
            .written
            .iter()
            .find(|(s, _, _)| *s == Section::Contexts)
            .map(|(_, _, f)| f.clone());
        Ok(file.unwrap_or_else(|| rules.destination()))
    }
}

/// What withdrawing a run's tokens did.
#[derive(Debug, Default)]
pub struct Withdrawal {
    /// Secrets deleted again (token Secrets, anchors).
    pub deleted: Vec<String>,
    /// Plain bound tokens, which cannot be withdrawn: `SA (expires AT)`.
    pub kept: Vec<String>,
    /// Secrets that could not be deleted: (name, namespace, why).
    pub failed: Vec<(String, String, TokenError)>,
}

/// After a failure: deletes every Secret the run created; a plain bound token cannot be
/// withdrawn (it never reached a file, and it expires), so it is listed with its expiry.
pub async fn withdraw<'a>(client: &kube::Client, handouts: impl IntoIterator<Item = &'a Handout>) -> Withdrawal {
    let mut done = Withdrawal::default();
    for handout in handouts {
        match handout.undo(client).await {
            Ok(Some(name)) => done.deleted.push(name.to_string()),
            // A reused --secret-name Secret was there before: it stays as it was.
            Ok(None) if handout.record.token_type == TokenType::Secret => {}
            Ok(None) => done.kept.push(format!(
                "{} (expires {})",
                handout.record.service_account,
                handout.record.expires_at.as_deref().unwrap_or("never")
            )),
            Err(e) => done.failed.push((
                handout.record.owned_secret().unwrap_or_default().to_string(),
                handout.record.namespace.clone(),
                e,
            )),
        }
    }
    done
}

/// How to issue a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPlan {
    pub namespace: String,
    pub service_account: String,
    pub token_type: TokenType,
    pub expiration_seconds: Option<i64>,
    pub audiences: Vec<String>,
    /// An object the user chose to bind a bound token to.
    pub bound_object: Option<BoundObject>,
    /// Bind a bound token to a new anchor Secret (so it can be revoked).
    pub revocable: bool,
    /// Reuse or create this Secret for a Secret-based token (`None`: a new generated name).
    pub secret_name: Option<String>,
    pub secret_timeout: Duration,
    pub source_context: String,
}

/// An issued token, its record, and the Secret (token Secret or anchor) it created.
#[derive(Debug)]
pub struct Handout {
    pub token: IssuedToken,
    pub record: TokenRecord,
    created_secret: Option<String>,
}

pub fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl TokenPlan {
    /// The plan that issues the same kind of token again: same ServiceAccount, type,
    /// lifetime, audiences and bound object; a Secret-based token gets a NEW Secret and a
    /// revocable one a new anchor, so that deleting the old one ends only the old token.
    pub fn from_record(record: &TokenRecord, secret_timeout: Duration) -> TokenPlan {
        TokenPlan {
            namespace: record.namespace.clone(),
            service_account: record.service_account.clone(),
            token_type: record.token_type,
            expiration_seconds: record.expiration_seconds,
            audiences: record.audiences.clone(),
            bound_object: match &record.anchor_secret {
                Some(_) => None,
                None => record.bound_object.as_ref().and_then(|o| {
                    o.kind().map(|kind| BoundObject {
                        kind,
                        name: o.name.clone(),
                        uid: None,
                    })
                }),
            },
            revocable: record.anchor_secret.is_some(),
            secret_name: None,
            secret_timeout,
            source_context: record.source_context.clone(),
        }
    }

    /// Issues the token and builds the entries that carry it, named `names`, for `cluster`.
    pub async fn issue_entries(
        &self,
        client: &kube::Client,
        source: &Source,
        names: EntryNames,
        cluster: &SourceCluster,
    ) -> Result<Issued, IssueError> {
        let handout = self
            .issue(client)
            .await
            .map_err(|e| IssueError::from_token(e, source))?;
        let entries = handout.entries(names, cluster);
        Ok(Issued { handout, entries })
    }

    pub async fn issue(&self, client: &kube::Client) -> Result<Handout, TokenError> {
        let (ns, sa) = (self.namespace.as_str(), self.service_account.as_str());
        match self.token_type {
            TokenType::Secret => {
                let request = SecretRequest {
                    secret_name: self.secret_name.clone(),
                    timeout: self.secret_timeout,
                };
                let token = token::issue_secret(client, ns, sa, &request).await?;
                let created_secret = token.secret_created.then(|| token.secret_name.clone()).flatten();
                let record = self.record(&token, None);
                Ok(Handout {
                    token,
                    record,
                    created_secret,
                })
            }
            TokenType::Bound => {
                let mut request = BoundRequest {
                    expiration_seconds: self.expiration_seconds,
                    audiences: self.audiences.clone(),
                    bound_object: self.bound_object.clone(),
                };
                let anchor = if self.revocable {
                    let secret = token::create_anchor(client, ns, sa, false).await?;
                    let (name, uid) = (secret.metadata.name.unwrap_or_default(), secret.metadata.uid);
                    request.bound_object = Some(BoundObject {
                        kind: crate::token::BoundObjectKind::Secret,
                        name: name.clone(),
                        uid,
                    });
                    Some(name)
                } else {
                    None
                };
                match token::issue_bound(client, ns, sa, &request).await {
                    Ok(token) => {
                        let mut record = self.record(&token, anchor.clone());
                        record.bound_object = request.bound_object.as_ref().map(|o| BoundObjectRecord {
                            kind: o.kind.as_str().to_string(),
                            name: o.name.clone(),
                            uid: o.uid.clone(),
                        });
                        Ok(Handout {
                            token,
                            record,
                            created_secret: anchor,
                        })
                    }
                    Err(e) => {
                        if let Some(anchor) = &anchor {
                            // Best effort: the error that matters is the one above.
                            let _ = token::delete_secret(client, ns, anchor).await;
                        }
                        Err(e)
                    }
                }
            }
        }
    }

    fn record(&self, token: &IssuedToken, anchor_secret: Option<String>) -> TokenRecord {
        TokenRecord {
            namespace: self.namespace.clone(),
            service_account: self.service_account.clone(),
            token_type: self.token_type,
            secret_name: token.secret_name.clone(),
            anchor_secret,
            expiration_seconds: self.expiration_seconds,
            audiences: self.audiences.clone(),
            bound_object: None,
            expires_at: token.expires.map(rfc3339),
            source_context: self.source_context.clone(),
        }
    }
}

impl Handout {
    /// The kubeconfig entries for this token. A Secret-based token's `ca.crt` is used only
    /// when the source cluster trusts no CA of its own.
    pub fn entries(&self, names: EntryNames, cluster: &SourceCluster) -> NewEntries {
        let mut cluster = cluster.clone();
        if cluster.ca_data.is_none() && !cluster.insecure_skip_tls_verify {
            cluster.ca_data = self
                .token
                .secret_ca
                .as_ref()
                .map(|pem| base64::engine::general_purpose::STANDARD.encode(pem));
        }
        NewEntries::new(names, &cluster, &self.token.token, &self.record)
    }

    /// Deletes the Secret this handout created (token Secret or anchor): its token stops
    /// working. Says which Secret it deleted (`None`: it created none).
    pub async fn undo(&self, client: &kube::Client) -> Result<Option<&str>, TokenError> {
        match &self.created_secret {
            Some(name) => token::delete_secret(client, &self.record.namespace, name)
                .await
                .map(|_| Some(name.as_str())),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_plan_repeats_the_options_but_never_the_secret() {
        let record = TokenRecord {
            namespace: "ns".into(),
            service_account: "sa".into(),
            token_type: TokenType::Secret,
            secret_name: Some("sa-token-abc".into()),
            source_context: "admin".into(),
            ..TokenRecord::default()
        };
        let plan = TokenPlan::from_record(&record, Duration::from_secs(30));
        assert_eq!(
            plan.secret_name, None,
            "a rotation needs a new Secret: the old name would revive the old token"
        );
        assert_eq!(plan.token_type, TokenType::Secret);

        let revocable = TokenRecord {
            token_type: TokenType::Bound,
            secret_name: None,
            anchor_secret: Some("sa-anchor-x".into()),
            bound_object: Some(BoundObjectRecord {
                kind: "Secret".into(),
                name: "sa-anchor-x".into(),
                uid: None,
            }),
            expiration_seconds: Some(600),
            audiences: vec!["api".into()],
            ..record.clone()
        };
        let plan = TokenPlan::from_record(&revocable, Duration::from_secs(30));
        assert!(
            plan.revocable && plan.bound_object.is_none(),
            "a new anchor, not the old one"
        );
        assert_eq!(
            (plan.expiration_seconds, plan.audiences.clone()),
            (Some(600), vec!["api".to_string()])
        );

        let pod_bound = TokenRecord {
            anchor_secret: None,
            bound_object: Some(BoundObjectRecord {
                kind: "Pod".into(),
                name: "p".into(),
                uid: Some("u".into()),
            }),
            ..revocable
        };
        let plan = TokenPlan::from_record(&pod_bound, Duration::from_secs(30));
        assert_eq!(
            plan.bound_object.map(|o| (o.name, o.uid)),
            Some(("p".to_string(), None))
        );
    }
}
