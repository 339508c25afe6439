//! Asking the API server about a kubeconfig's own token: who it is (SelfSubjectReview, what
//! `kubectl auth whoami` does) and what it may do in a namespace (SelfSubjectRulesReview).

use std::time::Duration;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{SelfSubjectRulesReview, SelfSubjectRulesReviewSpec};
use kube::api::{Api, PostParams};
use serde_json::Value;

use crate::credentials::Trust;
use crate::services::source::{self, SourceError};

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

/// A client for a kubeconfig document's current context (the new standalone kubeconfig),
/// and that context's server for messages.
pub async fn document_client(doc: &Value, timeout: Option<Duration>) -> Result<(kube::Client, String), VerifyError> {
    let context = doc
        .get("current-context")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kubeconfig: kube::config::Kubeconfig = serde_json::from_value(doc.clone()).map_err(|e| {
        VerifyError::Config(SourceError::Client {
            context: context.clone(),
            source: Box::new(e),
        })
    })?;
    let client = source::client_for(kubeconfig, &context, timeout, Trust::Operator)
        .await
        .map_err(VerifyError::Config)?;
    Ok((client, document_server(doc, &context)))
}

fn api_error(server: &str) -> impl Fn(kube::Error) -> VerifyError + '_ {
    move |e| match e {
        kube::Error::Api(status) => VerifyError::Rejected {
            server: server.to_string(),
            message: status.message.clone(),
        },
        source => VerifyError::Unreachable {
            server: server.to_string(),
            source,
        },
    }
}

/// What `kubectl auth whoami` asks: a SelfSubjectReview with the client's credentials.
pub async fn self_review(client: &kube::Client) -> Result<SelfSubjectReview, kube::Error> {
    Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
}

/// Who the API server says the client's credentials are.
pub async fn whoami(client: &kube::Client, server: &str) -> Result<String, VerifyError> {
    let review = self_review(client).await.map_err(api_error(server))?;
    Ok(review
        .status
        .and_then(|s| s.user_info)
        .and_then(|u| u.username)
        .unwrap_or_default())
}

/// Fails unless the document authenticates as `expected`.
pub async fn expect_identity(doc: &Value, expected: &str, timeout: Option<Duration>) -> Result<(), VerifyError> {
    let (client, server) = document_client(doc, timeout).await?;
    let actual = whoami(&client, &server).await?;
    if actual == expected {
        Ok(())
    } else {
        Err(VerifyError::WrongIdentity {
            expected: expected.to_string(),
            actual,
        })
    }
}

/// What the client's identity may do in `namespace`: one line per rule, `verbs resources`.
pub async fn rules(client: &kube::Client, server: &str, namespace: &str) -> Result<Vec<String>, VerifyError> {
    let review = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec {
            namespace: Some(namespace.to_string()),
        },
        ..SelfSubjectRulesReview::default()
    };
    let review = Api::<SelfSubjectRulesReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .map_err(api_error(server))?;
    let status = review.status.unwrap_or_default();
    let join = |v: &Option<Vec<String>>| v.clone().unwrap_or_default().join(",");
    let mut lines: Vec<String> = status
        .resource_rules
        .iter()
        .map(|r| {
            let names = join(&r.resource_names);
            let names = if names.is_empty() {
                String::new()
            } else {
                format!(" ({names})")
            };
            let groups: Vec<String> = r
                .api_groups
                .clone()
                .unwrap_or_default()
                .iter()
                .map(|g| if g.is_empty() { "core".to_string() } else { g.clone() })
                .collect();
            format!(
                "{} {} [{}]{names}",
                r.verbs.join(","),
                join(&r.resources),
                groups.join(",")
            )
        })
        .collect();
    lines.extend(
        status
            .non_resource_rules
            .iter()
            .map(|r| format!("{} {}", r.verbs.join(","), join(&r.non_resource_urls))),
    );
    Ok(lines)
}

/// The server of a document's context, for messages.
fn document_server(doc: &Value, context: &str) -> String {
    let find = |list: &str, name: &str| {
        doc.get(list)?
            .as_array()?
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
    };
    find("contexts", context)
        .and_then(|c| c["context"]["cluster"].as_str().map(str::to_string))
        .and_then(|cluster| find("clusters", &cluster))
        .and_then(|c| c["cluster"]["server"].as_str().map(str::to_string))
        .unwrap_or_default()
}
