use kube::core::Status;

use crate::jwt::NotAJwt;

/// Why no token was issued. Messages name the object and the fix; none contains a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "serviceaccount {name:?} not found in namespace {namespace:?}; create it with: kubectl create serviceaccount {name} -n {namespace}"
    )]
    ServiceAccountNotFound { namespace: String, name: String },

    #[error(
        "namespace {namespace:?} not found; create it and the ServiceAccount with: kubectl create namespace {namespace} && kubectl create serviceaccount {name} -n {namespace}"
    )]
    NamespaceNotFound { namespace: String, name: String },

    #[error("not allowed to {verb}: {message}; ask a cluster admin for RBAC permission, or use another --context")]
    Forbidden { verb: String, message: String },

    #[error("the server refused to {verb}: {message}")]
    Rejected { verb: String, message: String },

    #[error("failed to create token: no token in server response")]
    Empty,

    #[error(transparent)]
    NotAJwt(#[from] NotAJwt),

    #[error(
        "Secret {name:?} in namespace {namespace:?} exists but is not a token Secret of serviceaccount {service_account:?}; pick another --secret-name"
    )]
    SecretNotOurs {
        namespace: String,
        name: String,
        service_account: String,
    },

    #[error(
        "the tokens controller did not fill Secret {name:?} in namespace {namespace:?} within {waited}; is kube-controller-manager running with --service-account-private-key-file? {cleanup}"
    )]
    SecretNotFilled {
        namespace: String,
        name: String,
        waited: String,
        cleanup: &'static str,
    },

    #[error(
        "Secret {name:?} in namespace {namespace:?} was deleted before the tokens controller filled it (the controller deletes token Secrets whose ServiceAccount does not exist)"
    )]
    SecretDeleted { namespace: String, name: String },

    #[error(
        "the API server did not accept the credentials of the source context (401 Unauthorized: {message}); log in again, or use another --context"
    )]
    Unauthorized { message: String },

    #[error("the API server answered {code} {reason}: {message}")]
    Server { code: u16, reason: String, message: String },

    #[error("request to the API server failed")]
    Api(#[source] kube::Error),
}

impl TokenError {
    /// Maps an API error to the message a user can act on; `verb` says what was attempted.
    pub(crate) fn from_api(err: kube::Error, verb: &str, namespace: &str, service_account: &str) -> Self {
        match err {
            kube::Error::Api(status) => match status.code {
                403 => TokenError::Forbidden {
                    verb: verb.to_string(),
                    message: status.message.clone(),
                },
                404 if status_names(&status, "serviceaccounts") => TokenError::ServiceAccountNotFound {
                    namespace: namespace.to_string(),
                    name: service_account.to_string(),
                },
                404 if status_names(&status, "namespaces") => TokenError::NamespaceNotFound {
                    namespace: namespace.to_string(),
                    name: service_account.to_string(),
                },
                400 | 404 | 409 | 422 => TokenError::Rejected {
                    verb: verb.to_string(),
                    message: status.message.clone(),
                },
                401 => TokenError::Unauthorized {
                    message: status.message.clone(),
                },
                code => TokenError::Server {
                    code,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                },
            },
            other => TokenError::Api(other),
        }
    }
}

/// Whether a 404 is about a resource of this kind (`details.kind` is the plural resource).
fn status_names(status: &Status, resource: &str) -> bool {
    status.details.as_ref().is_some_and(|d| d.kind == resource)
}
