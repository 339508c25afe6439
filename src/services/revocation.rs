//! Saying truthfully when a token whose Secret was deleted stops working. The delete alone
//! does not end it: every API server caches a successful token authentication for a while
//! and keeps accepting the token until that entry expires, and managed clusters run several
//! servers behind a load balancer, each with its own cache. So: delete, confirm the Secret
//! is gone, wait out the cache, then probe with the token itself.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use secrecy::SecretString;
use serde_json::Value;

use crate::duration::GoDuration;
use crate::escape;
use crate::record::TokenRecord;
use crate::services::issued_kubeconfig::{EntryNames, NewEntries};
use crate::services::source::SourceCluster;
use crate::services::verify::{self, VerifyError};
use crate::token::TokenError;

/// How long an API server keeps accepting a token after a successful authentication, even
/// once its Secret is gone (FACTS.md, "API server token cache": seen accepted up to 10 s
/// after the delete, rejected at 11 s).
pub const TOKEN_CACHE: Duration = Duration::from_secs(10);
/// Slack on top of the cache: a server whose informer learns of the delete late may cache
/// the token as good once more just after the delete.
const CACHE_MARGIN: Duration = Duration::from_secs(2);
/// Probes after the wait. Each uses a new client, so a new connection: behind a load
/// balancer they may reach different API servers.
const PROBES: usize = 3;
const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// How often to look whether a terminating Secret (finalizers) is gone yet.
const GONE_POLL: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum RevocationError {
    #[error(
        "--wait-timeout {0} is too short: a deleted Secret's token may be accepted for 10s (the API servers' token cache), \
         and revoke waits that plus 2s before it checks; give at least 12s, or --no-wait to return at once"
    )]
    WaitTooShort(GoDuration),
    #[error(
        "Secret {namespace}/{name} still exists {waited} after the delete{finalizers}, and its token may work until \
         it is gone; see what holds it with: kubectl get secret {name} -n {namespace} -o yaml (or pass a longer --wait-timeout)"
    )]
    NotGone {
        namespace: String,
        name: String,
        waited: String,
        finalizers: String,
    },
    #[error(
        "the token of context {context:?} was still accepted by the API server {accepted} of {probes} times, \
         {after} after its Secret {namespace}/{name} was deleted (longer than the token cache of 10 s); \
         was the Secret re-created under the same name (which revives the same token)? check with: \
         kubectl get secret {name} -n {namespace}"
    )]
    StillAccepted {
        context: String,
        namespace: String,
        name: String,
        accepted: usize,
        probes: usize,
        after: String,
    },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Probe(#[from] VerifyError),
}

/// Deletes a Secret, telling a delete from a Secret that was already gone.
pub use crate::token::{Deletion, delete_secret as delete};

/// The flags' wait: `None` with --no-wait, else the checked --wait-timeout.
pub fn wait_bound(no_wait: bool, wait_timeout: GoDuration) -> Result<Option<Duration>, RevocationError> {
    if no_wait {
        return Ok(None);
    }
    let bound = wait_timeout.to_std();
    if wait_timeout.is_negative() || bound < TOKEN_CACHE + CACHE_MARGIN {
        return Err(RevocationError::WaitTooShort(wait_timeout));
    }
    Ok(Some(bound))
}

/// A Secret that was just deleted (or found gone), and how to probe its token.
pub struct Revoked {
    pub context: String,
    pub namespace: String,
    pub secret: String,
    /// Used to read the Secret back.
    client: kube::Client,
    /// A standalone kubeconfig: the context's own cluster entry and the token, nothing else
    /// (never the source's credentials, never impersonation). `None`: no token to probe.
    probe: Option<Value>,
    deleted_at: Instant,
}

impl Revoked {
    /// `deleted_at` is taken now: call right after the delete returned.
    pub fn new(
        client: &kube::Client,
        context: &str,
        record: &TokenRecord,
        secret: &str,
        cluster: &SourceCluster,
        token: Option<&SecretString>,
    ) -> Revoked {
        let probe = token.map(|token| {
            let names = EntryNames {
                context: "probe".to_string(),
                cluster: "probe".to_string(),
                user: "probe".to_string(),
            };
            NewEntries::new(names, cluster, token, record).document()
        });
        Revoked {
            context: context.to_string(),
            namespace: record.namespace.clone(),
            secret: secret.to_string(),
            client: client.clone(),
            probe,
            deleted_at: Instant::now(),
        }
    }
}

/// How the probes of one token went.
#[derive(Debug)]
pub struct Outcome {
    pub context: String,
    pub rejected: usize,
    pub probes: usize,
    /// Why the other probes got no answer (unreachable, a 5xx): the first such error.
    pub no_answer: Option<String>,
    pub after: Duration,
}

impl Outcome {
    /// `the API server rejected it 3 of 3 times, 12.4 s after the delete`, or what fell short.
    pub fn describe(&self) -> String {
        let after = seconds(self.after);
        if self.probes == 0 {
            return format!("the context holds no token to check it with; waited {after} after the delete");
        }
        let mut text = format!(
            "the API server rejected it {} of {} times, {after} after the delete",
            self.rejected, self.probes
        );
        if let Some(error) = &self.no_answer {
            text.push_str(&format!(
                "; {} probe(s) got no answer ({error})",
                self.probes - self.rejected
            ));
        }
        text
    }

    /// Every probe was answered with 401.
    pub fn proven(&self) -> bool {
        self.probes > 0 && self.rejected == self.probes
    }

    /// The line after the probes: proven, or what is known. `token`: `the token`, `the old token`.
    pub fn verdict(&self, token: &str) -> String {
        if self.proven() {
            format!(
                "Context {:?}: {token} no longer works: {}.",
                self.context,
                self.describe()
            )
        } else {
            format!(
                "warning: context {:?}: {token} should no longer work (its Secret is gone and the token cache has \
                 expired), but this was not confirmed: {}.",
                self.context,
                self.describe()
            )
        }
    }
}

/// `12.4 s`
pub fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// For each deleted Secret: polls until it is gone (a Secret with finalizers lingers),
/// then waits ONCE until the last of them has been gone for the cache time plus a margin,
/// then probes each token. Fails if a Secret is not gone within `bound` of its delete, or
/// if a probe is still accepted.
pub async fn confirm(
    revoked: &[Revoked],
    bound: Duration,
    request_timeout: Option<Duration>,
) -> Result<Vec<Outcome>, RevocationError> {
    let settle = TOKEN_CACHE + CACHE_MARGIN;
    let mut last_gone = None;
    for r in revoked {
        let gone = gone_at(r, r.deleted_at + bound.saturating_sub(settle)).await?;
        last_gone = last_gone.max(Some(gone));
    }
    if let Some(gone) = last_gone {
        tokio::time::sleep_until((gone + settle).into()).await;
    }
    let mut outcomes = Vec::new();
    for r in revoked {
        let probes = probe(r, request_timeout).await?;
        if probes.accepted > 0 {
            return Err(RevocationError::StillAccepted {
                context: r.context.clone(),
                namespace: r.namespace.clone(),
                name: r.secret.clone(),
                accepted: probes.accepted,
                probes: probes.probes,
                after: seconds(probes.after),
            });
        }
        outcomes.push(probes.into_outcome());
    }
    Ok(outcomes)
}

/// When a read of the Secret first returned NotFound.
async fn gone_at(r: &Revoked, deadline: Instant) -> Result<Instant, RevocationError> {
    let secrets: Api<Secret> = Api::namespaced(r.client.clone(), &r.namespace);
    loop {
        let current = secrets.get_opt(&r.secret).await.map_err(|e| {
            let verb = format!("get secret {:?} in namespace {:?}", r.secret, r.namespace);
            TokenError::from_api(e, &verb, &r.namespace, "")
        })?;
        let Some(secret) = current else {
            return Ok(Instant::now());
        };
        if Instant::now() >= deadline {
            let finalizers = secret.metadata.finalizers.unwrap_or_default();
            return Err(RevocationError::NotGone {
                namespace: r.namespace.clone(),
                name: r.secret.clone(),
                waited: seconds(r.deleted_at.elapsed()),
                finalizers: if finalizers.is_empty() {
                    String::new()
                } else {
                    format!(" (finalizers: {})", finalizers.join(", "))
                },
            });
        }
        tokio::time::sleep(GONE_POLL).await;
    }
}

/// The probes of one token, before they are judged.
struct Probes {
    context: String,
    probes: usize,
    rejected: usize,
    accepted: usize,
    no_answer: Option<String>,
    after: Duration,
}

impl Probes {
    fn into_outcome(self) -> Outcome {
        Outcome {
            context: self.context,
            rejected: self.rejected,
            probes: self.probes,
            no_answer: self.no_answer,
            after: self.after,
        }
    }
}

enum Answer {
    Rejected,
    Accepted,
    Unanswered(String),
}

async fn probe(r: &Revoked, request_timeout: Option<Duration>) -> Result<Probes, RevocationError> {
    let mut probes = Probes {
        context: r.context.clone(),
        probes: 0,
        rejected: 0,
        accepted: 0,
        no_answer: None,
        after: Duration::ZERO,
    };
    if let Some(doc) = &r.probe {
        for i in 0..PROBES {
            if i > 0 {
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
            probes.probes += 1;
            match ask(doc, request_timeout).await? {
                Answer::Rejected => probes.rejected += 1,
                Answer::Accepted => probes.accepted += 1,
                Answer::Unanswered(e) => {
                    probes.no_answer.get_or_insert(e);
                }
            }
        }
    }
    probes.after = r.deleted_at.elapsed();
    Ok(probes)
}

/// One SelfSubjectReview (what `kubectl auth whoami` sends) with the token, on a new client.
async fn ask(doc: &Value, request_timeout: Option<Duration>) -> Result<Answer, VerifyError> {
    let (client, _) = verify::document_client(doc, request_timeout).await?;
    Ok(match verify::self_review(&client).await {
        // 403: the token authenticated; it only may not ask.
        Ok(_) => Answer::Accepted,
        Err(kube::Error::Api(status)) if status.code == 403 => Answer::Accepted,
        Err(kube::Error::Api(status)) if status.code == 401 => Answer::Rejected,
        Err(kube::Error::Api(status)) => {
            Answer::Unanswered(escape::foreign(&format!("{} {}", status.code, status.reason)))
        }
        Err(e) => Answer::Unanswered(escape::foreign(&e.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_say_how_many_probes_were_rejected_and_when() {
        let outcome = Outcome {
            context: "c".into(),
            rejected: 3,
            probes: 3,
            no_answer: None,
            after: Duration::from_millis(12_440),
        };
        assert_eq!(
            outcome.describe(),
            "the API server rejected it 3 of 3 times, 12.4 s after the delete"
        );
        assert!(outcome.proven());
        assert_eq!(
            outcome.verdict("the token"),
            "Context \"c\": the token no longer works: the API server rejected it 3 of 3 times, 12.4 s after the delete."
        );
        let partial = Outcome {
            rejected: 2,
            no_answer: Some("503 Service Unavailable".into()),
            ..outcome
        };
        assert!(!partial.proven());
        assert!(
            partial
                .verdict("the old token")
                .starts_with("warning: context \"c\": the old token should no longer work")
        );
        assert!(
            partial
                .describe()
                .ends_with("; 1 probe(s) got no answer (503 Service Unavailable)")
        );
    }

    #[test]
    fn the_wait_must_cover_the_cache() {
        let secs = |s: i64| GoDuration::from_secs(s);
        assert_eq!(wait_bound(false, secs(30)).unwrap(), Some(Duration::from_secs(30)));
        assert_eq!(wait_bound(true, secs(30)).unwrap(), None);
        assert_eq!(wait_bound(false, secs(12)).unwrap(), Some(Duration::from_secs(12)));
        let err = wait_bound(false, secs(5)).unwrap_err().to_string();
        assert!(err.starts_with("--wait-timeout 5s is too short"), "{err}");
    }
}
