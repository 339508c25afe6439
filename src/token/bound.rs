use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};

use super::{BoundObjectKind, TokenType};
use super::{IssuedToken, TokenError};

/// What to ask the TokenRequest API for, already validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundRequest {
    /// `None`: the server's default (one hour).
    pub expiration_seconds: Option<i64>,
    /// Empty: the API server's own audiences, which is what a kubeconfig token needs.
    pub audiences: Vec<String>,
    pub bound_object: Option<BoundObject>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundObject {
    pub kind: BoundObjectKind,
    pub name: String,
    pub uid: Option<String>,
}

impl BoundRequest {
    fn to_api(&self) -> TokenRequest {
        TokenRequest {
            spec: Some(TokenRequestSpec {
                audiences: (!self.audiences.is_empty()).then(|| self.audiences.clone()),
                expiration_seconds: self.expiration_seconds,
                bound_object_ref: self.bound_object.as_ref().map(|o| BoundObjectReference {
                    api_version: Some("v1".to_string()),
                    kind: Some(o.kind.as_str().to_string()),
                    name: Some(o.name.clone()),
                    uid: o.uid.clone(),
                }),
                ..TokenRequestSpec::default()
            }),
            ..TokenRequest::default()
        }
    }
}

/// One request: POST serviceaccounts/NAME/token.
pub async fn issue_bound(
    client: &kube::Client,
    namespace: &str,
    service_account: &str,
    request: &BoundRequest,
) -> Result<IssuedToken, TokenError> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let response = api
        .create_token_request(service_account, &PostParams::default(), &request.to_api())
        .await
        .map_err(|e| {
            let verb = format!("create tokens for serviceaccount {service_account:?} in namespace {namespace:?}");
            TokenError::from_api(e, &verb, namespace, service_account)
        })?;
    let token = response
        .status
        .and_then(|s| s.token)
        .filter(|t| !t.is_empty())
        .ok_or(TokenError::Empty)?;
    let subject = format!("system:serviceaccount:{namespace}:{service_account}");
    Ok(IssuedToken::new(
        token,
        TokenType::Bound,
        subject,
        request.expiration_seconds,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omits_what_kubectl_omits() {
        let body = serde_json::to_value(BoundRequest::default().to_api()).unwrap();
        assert_eq!(body["spec"], serde_json::json!({}));
    }

    #[test]
    fn sends_duration_audiences_and_bound_object() {
        let request = BoundRequest {
            expiration_seconds: Some(600),
            audiences: vec!["vault".into()],
            bound_object: Some(BoundObject {
                kind: BoundObjectKind::Secret,
                name: "anchor".into(),
                uid: None,
            }),
        };
        let body = serde_json::to_value(request.to_api()).unwrap();
        assert_eq!(
            body["spec"],
            serde_json::json!({
                "audiences": ["vault"],
                "expirationSeconds": 600,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Secret", "name": "anchor"}
            })
        );
    }
}
