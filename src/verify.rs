//! Asking the API server about a kubeconfig's own token: who it is (SelfSubjectReview, what
//! `kubectl auth whoami` does) and what it may do in a namespace (SelfSubjectRulesReview).

use std::time::Duration;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{SelfSubjectRulesReview, SelfSubjectRulesReviewSpec};
use kube::api::{Api, PostParams};
use serde_json::Value;

use crate::source::{self, SourceError};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the new kubeconfig is not usable")]
    Config(#[source] SourceError),
    #[error("the new kubeconfig does not work: cannot reach {server} with it (check --server and the CA)")]
    Unreachable {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("the new kubeconfig does not work: the API server at {server} rejected it: {message}")]
    Rejected { server: String, message: String },
    #[error("the new kubeconfig authenticates as {actual:?}, not as {expected:?}")]
    WrongIdentity { expected: String, actual: String },
}

/// Who the API server says a kubeconfig document's current context is.
pub async fn whoami(doc: &Value, timeout: Option<Duration>) -> Result<String, VerifyError> {
    let client = client(doc, timeout).await?;
    let server = server(doc);
    let review = Api::<SelfSubjectReview>::all(client)
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .map_err(|e| match e {
            kube::Error::Api(status) => VerifyError::Rejected {
                server: server.clone(),
                message: status.message.clone(),
            },
            source => VerifyError::Unreachable {
                server: server.clone(),
                source,
            },
        })?;
    Ok(review
        .status
        .and_then(|s| s.user_info)
        .and_then(|u| u.username)
        .unwrap_or_default())
}

/// Fails unless the document authenticates as `expected`.
pub async fn expect_identity(doc: &Value, expected: &str, timeout: Option<Duration>) -> Result<(), VerifyError> {
    let actual = whoami(doc, timeout).await?;
    if actual == expected {
        Ok(())
    } else {
        Err(VerifyError::WrongIdentity {
            expected: expected.to_string(),
            actual,
        })
    }
}

/// What the document's identity may do in `namespace`: one line per rule, `verbs resources`.
pub async fn rules(doc: &Value, namespace: &str, timeout: Option<Duration>) -> Result<Vec<String>, VerifyError> {
    let client = client(doc, timeout).await?;
    let server = server(doc);
    let review = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec {
            namespace: Some(namespace.to_string()),
        },
        ..SelfSubjectRulesReview::default()
    };
    let review = Api::<SelfSubjectRulesReview>::all(client)
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| match e {
            kube::Error::Api(status) => VerifyError::Rejected {
                server: server.clone(),
                message: status.message.clone(),
            },
            source => VerifyError::Unreachable {
                server: server.clone(),
                source,
            },
        })?;
    let status = review.status.unwrap_or_default();
    let mut lines: Vec<String> = status
        .resource_rules
        .iter()
        .map(|r| {
            let resources = r.resources.clone().unwrap_or_default().join(",");
            let names = r.resource_names.clone().unwrap_or_default();
            let names = if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(","))
            };
            format!("{} {resources}{names}", r.verbs.join(","))
        })
        .collect();
    lines.extend(status.non_resource_rules.iter().map(|r| {
        format!(
            "{} {}",
            r.verbs.join(","),
            r.non_resource_urls.clone().unwrap_or_default().join(",")
        )
    }));
    Ok(lines)
}

async fn client(doc: &Value, timeout: Option<Duration>) -> Result<kube::Client, VerifyError> {
    let kubeconfig: kube::config::Kubeconfig = serde_json::from_value(doc.clone()).map_err(|e| {
        VerifyError::Config(SourceError::Client {
            context: current(doc),
            source: Box::new(e),
        })
    })?;
    source::client_for(kubeconfig, &current(doc), timeout)
        .await
        .map_err(VerifyError::Config)
}

fn current(doc: &Value) -> String {
    doc.get("current-context")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The server of the document's current context, for messages.
fn server(doc: &Value) -> String {
    let context = current(doc);
    let find = |list: &str, name: &str| {
        doc.get(list)?
            .as_array()?
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
    };
    find("contexts", &context)
        .and_then(|c| c["context"]["cluster"].as_str().map(str::to_string))
        .and_then(|cluster| find("clusters", &cluster))
        .and_then(|c| c["cluster"]["server"].as_str().map(str::to_string))
        .unwrap_or_default()
}
