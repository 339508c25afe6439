use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};

use super::TokenError;

/// A small Secret that a `--revocable` bound token is bound to: deleting it ends the token.
fn anchor_secret(service_account: &str) -> Secret {
    Secret {
        metadata: ObjectMeta {
            generate_name: Some(format!("{service_account}-anchor-")),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_string(),
                "kubectl-satoken".to_string(),
            )])),
            annotations: Some(BTreeMap::from([(
                "kubectl-satoken/anchor-for".to_string(),
                service_account.to_string(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_string()),
        ..Secret::default()
    }
}

/// Creates the anchor Secret (with `dry_run`, only validated by the server) and returns it.
pub async fn create_anchor(
    client: &kube::Client,
    namespace: &str,
    service_account: &str,
    dry_run: bool,
) -> Result<Secret, TokenError> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let params = PostParams {
        dry_run,
        ..PostParams::default()
    };
    secrets
        .create(&params, &anchor_secret(service_account))
        .await
        .map_err(|e| {
            let verb = format!("create secrets in namespace {namespace:?}");
            TokenError::from_api(e, &verb, namespace, service_account)
        })
}

/// What deleting a Secret found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// NotFound: someone deleted it before (its token may still be cached by API servers).
    AlreadyGone,
}

/// Deletes a Secret; one that is already gone is not an error.
pub async fn delete_secret(client: &kube::Client, namespace: &str, name: &str) -> Result<Deletion, TokenError> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    match secrets.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(Deletion::Deleted),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Deletion::AlreadyGone),
        Err(e) => {
            let verb = format!("delete secret {name:?} in namespace {namespace:?}");
            Err(TokenError::from_api(e, &verb, namespace, ""))
        }
    }
}
