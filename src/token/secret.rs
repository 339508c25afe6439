use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams, WatchEvent, WatchParams};

use super::TokenType;
use super::{IssuedToken, TokenError};

const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const SA_NAME: &str = "kubernetes.io/service-account.name";
const SA_UID: &str = "kubernetes.io/service-account.uid";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRequest {
    /// Reuse or create this Secret; `None`: a new Secret with a server-generated name, so a
    /// deleted Secret's name (and with it its old token, seed S8) is never revived.
    pub secret_name: Option<String>,
    /// How long to wait for the tokens controller.
    pub timeout: Duration,
}

/// Creates (or reuses) a token Secret and waits, with a watch, until the tokens controller
/// has filled it. The Secret is never added to the ServiceAccount's `.secrets`.
pub async fn issue_secret(
    client: &kube::Client,
    namespace: &str,
    service_account: &str,
    request: &SecretRequest,
) -> Result<IssuedToken, TokenError> {
    let api_error = |verb: String| move |e| TokenError::from_api(e, &verb, namespace, service_account);
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    // Checked first so a missing ServiceAccount is reported as such, not as a Secret that vanished.
    let account = accounts.get(service_account).await.map_err(api_error(format!(
        "get serviceaccount {service_account:?} in namespace {namespace:?}"
    )))?;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);

    let existing = match &request.secret_name {
        Some(name) => secrets
            .get_opt(name)
            .await
            .map_err(api_error(format!("get secret {name:?} in namespace {namespace:?}")))?,
        None => None,
    };
    let (secret, created) = match existing {
        Some(secret) => {
            if !belongs_to(&secret, service_account) {
                return Err(TokenError::SecretNotOurs {
                    namespace: namespace.to_string(),
                    name: secret.metadata.name.unwrap_or_default(),
                    service_account: service_account.to_string(),
                });
            }
            (secret, false)
        }
        None => {
            let new = token_secret(
                service_account,
                account.metadata.uid.as_deref(),
                request.secret_name.as_deref(),
            );
            let created = secrets
                .create(&PostParams::default(), &new)
                .await
                .map_err(api_error(format!("create secrets in namespace {namespace:?}")))?;
            (created, true)
        }
    };
    let name = secret.metadata.name.clone().unwrap_or_default();

    let filled = match filled_token(&secret) {
        Some(_) => Ok(secret),
        None => match tokio::time::timeout(request.timeout, wait_filled(&secrets, &secret)).await {
            Ok(result) => result,
            Err(_) => Err(TokenError::SecretNotFilled {
                namespace: namespace.to_string(),
                name: name.clone(),
                waited: crate::duration::GoDuration::from_secs(request.timeout.as_secs() as i64).to_string(),
                cleanup: if created {
                    "The Secret was deleted again."
                } else {
                    "The Secret was left as it was."
                },
            }),
        },
    };
    let secret = match filled {
        Ok(secret) => secret,
        Err(e) => {
            if created {
                // Best effort: the error that matters is the one above.
                let _ = secrets.delete(&name, &DeleteParams::default()).await;
            }
            return Err(e);
        }
    };
    let token = filled_token(&secret).ok_or(TokenError::Empty)?;
    let token = String::from_utf8(token.to_vec()).map_err(|_| TokenError::Empty)?;
    let subject = format!("system:serviceaccount:{namespace}:{service_account}");
    let mut issued = IssuedToken::new(token, TokenType::Secret, subject, None)?;
    issued.secret_ca = secret
        .data
        .as_ref()
        .and_then(|d| d.get("ca.crt"))
        .map(|ca| ca.0.clone());
    issued.secret_name = Some(name);
    issued.secret_created = created;
    Ok(issued)
}

fn token_secret(service_account: &str, uid: Option<&str>, name: Option<&str>) -> Secret {
    let mut annotations = BTreeMap::from([(SA_NAME.to_string(), service_account.to_string())]);
    if let Some(uid) = uid {
        // Pins the Secret to this ServiceAccount object: the controller ignores it for a
        // re-created ServiceAccount of the same name.
        annotations.insert(SA_UID.to_string(), uid.to_string());
    }
    Secret {
        metadata: ObjectMeta {
            name: name.map(str::to_string),
            generate_name: name.is_none().then(|| format!("{service_account}-token-")),
            annotations: Some(annotations),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_string(),
                "kubectl-satoken".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some(TOKEN_TYPE.to_string()),
        ..Secret::default()
    }
}

fn belongs_to(secret: &Secret, service_account: &str) -> bool {
    secret.type_.as_deref() == Some(TOKEN_TYPE)
        && secret
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(SA_NAME))
            .map(String::as_str)
            == Some(service_account)
}

fn filled_token(secret: &Secret) -> Option<&[u8]> {
    secret
        .data
        .as_ref()?
        .get("token")
        .map(|t| t.0.as_slice())
        .filter(|t| !t.is_empty())
}

/// Watches the one Secret from the version we saw, so no update can slip between the create
/// and the watch; reconnects when the server ends the watch.
async fn wait_filled(secrets: &Api<Secret>, secret: &Secret) -> Result<Secret, TokenError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let mut version = secret.metadata.resource_version.clone().unwrap_or_default();
    let params = WatchParams::default().fields(&format!("metadata.name={name}"));
    loop {
        let mut stream = secrets.watch(&params, &version).await.map_err(TokenError::Api)?.boxed();
        while let Some(event) = stream.next().await {
            match event.map_err(TokenError::Api)? {
                WatchEvent::Added(s) | WatchEvent::Modified(s) => {
                    if filled_token(&s).is_some() {
                        return Ok(s);
                    }
                    version = s.metadata.resource_version.clone().unwrap_or(version);
                }
                WatchEvent::Deleted(_) => {
                    return Err(TokenError::SecretDeleted { namespace, name });
                }
                WatchEvent::Bookmark(b) => version = b.metadata.resource_version,
                // 410 Gone: our version is too old; the current state tells us where we are.
                WatchEvent::Error(_) => {
                    let current = secrets.get_opt(&name).await.map_err(TokenError::Api)?;
                    match current {
                        Some(s) if filled_token(&s).is_some() => return Ok(s),
                        Some(s) => version = s.metadata.resource_version.clone().unwrap_or_default(),
                        None => return Err(TokenError::SecretDeleted { namespace, name }),
                    }
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_secrets_get_a_generated_name_and_the_annotations() {
        let s = token_secret("ci", Some("u-1"), None);
        assert_eq!(s.metadata.name, None);
        assert_eq!(s.metadata.generate_name.as_deref(), Some("ci-token-"));
        let annotations = s.metadata.annotations.clone().unwrap();
        assert_eq!(annotations[SA_NAME], "ci");
        assert_eq!(annotations[SA_UID], "u-1");
        assert_eq!(s.type_.as_deref(), Some(TOKEN_TYPE));
        assert!(belongs_to(&s, "ci"));
        assert!(!belongs_to(&s, "other"));
    }

    #[test]
    fn a_named_secret_keeps_its_name() {
        let s = token_secret("ci", None, Some("ci-token"));
        assert_eq!(s.metadata.name.as_deref(), Some("ci-token"));
        assert_eq!(s.metadata.generate_name, None);
    }
}
