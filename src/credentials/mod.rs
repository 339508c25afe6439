//! What a kubeconfig user entry sends, settled before kube sees it: exec plugins run here
//! (`exec.rs`), a `tokenFile` read, the removed `gcp` and `azure` auth providers refused with
//! kubectl's words, every token checked to fit in an HTTP header (kube panics on one that does
//! not), and every secret remembered for [`crate::redact`]. kube is then handed only inline
//! credentials, so nothing it does can run a command or quote one.

mod exec;

use std::path::PathBuf;

use base64::Engine;
use kube::config::{AuthInfo, Kubeconfig};
use secrecy::{ExposeSecret, SecretString};

pub use exec::{Attended, ExecError};

/// Whose kubeconfig it is, which decides what a user entry may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The operator's own kubeconfig, used as kubectl would use it.
    Operator,
    /// The operator's kubeconfig, looked up for shell completion: plugins run without a
    /// terminal and are killed when the lookup is given up.
    Completion,
    /// A file someone handed over (`inspect --file F --verify`): only its inline token is
    /// sent, to its own server; nothing is run and no local credential is read.
    HandedOver,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "The gcp auth plugin has been removed.\nPlease use the \"gke-gcloud-auth-plugin\" kubectl/client-go credential plugin instead.\n\
         See https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke for further details"
    )]
    GcpRemoved,
    #[error(
        "The azure auth plugin has been removed.\nPlease use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.\n\
         See https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins for further details"
    )]
    AzureRemoved,
    #[error(
        "the token of user {user:?}{from} cannot be sent in an HTTP header: it holds a line break or another control character \
         (a `token: |` block scalar ends with a line break); write the token on one line, as `token: VALUE`"
    )]
    NotAHeader { user: String, from: &'static str },
    #[error(
        "refusing to use user {user:?} of the handed-over kubeconfig: its `{field}` would {what}; \
         verifying a file someone gave you sends its inline token only (remove `{field}` from a copy to verify the token)"
    )]
    HandedOver {
        user: String,
        field: &'static str,
        what: &'static str,
    },
    #[error("user {0:?} of the handed-over kubeconfig has no inline token to verify")]
    NoInlineToken(String),
    #[error("cannot read the {field} {path} of user {user:?}")]
    File {
        user: String,
        field: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the credential plugin of user {user:?} failed")]
    Exec {
        user: String,
        #[source]
        source: ExecError,
    },
}

/// A token, certificate or key file is a few KiB; client-go reads each whole.
const CREDENTIAL_FILE_LIMIT: u64 = 1024 * 1024;

/// The bytes of a credential file the user entry names, read with a limit (kube would read
/// `/dev/zero` until memory runs out).
fn read_credential_file(user: &str, field: &'static str, path: &str) -> Result<Vec<u8>, CredentialError> {
    let path = PathBuf::from(path);
    crate::read_limit::read_at_most(&path, CREDENTIAL_FILE_LIMIT).map_err(|source| CredentialError::File {
        user: user.to_string(),
        field,
        path,
        source,
    })
}

/// Settles the user entry of `context` in `kubeconfig` (the user entries of other contexts
/// are left alone: they are not used).
pub async fn settle(kubeconfig: &mut Kubeconfig, context: &str, trust: Trust) -> Result<(), CredentialError> {
    let found = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref());
    let (Some(user), cluster) = (found.and_then(|c| c.user.clone()), found.map(|c| c.cluster.clone())) else {
        return Ok(());
    };
    let cluster = cluster.and_then(|name| {
        kubeconfig
            .clusters
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.cluster.clone())
    });
    let Some(entry) = kubeconfig.auth_infos.iter_mut().find(|a| a.name == user) else {
        return Ok(());
    };
    let Some(auth) = entry.auth_info.as_mut() else {
        return Ok(());
    };
    if trust == Trust::HandedOver {
        *auth = handed_over(&user, auth)?;
    }
    refuse_removed_providers(auth)?;
    // kube sends an oidc provider's id-token as the bearer token.
    if let Some(id_token) = auth
        .auth_provider
        .as_ref()
        .filter(|p| p.name == "oidc")
        .and_then(|p| p.config.get("id-token"))
    {
        check_header(&user, id_token, " (the id-token of its oidc auth-provider)")?;
    }
    if let Some(exec) = auth.exec.take() {
        let attended = match trust {
            Trust::Completion => Attended::Background,
            _ => Attended::Terminal,
        };
        let credential =
            exec::run(&exec, cluster.as_ref(), attended)
                .await
                .map_err(|source| CredentialError::Exec {
                    user: user.clone(),
                    source,
                })?;
        match credential {
            exec::Credential::Token(token) => {
                check_header(&user, token.expose_secret(), " (from its credential plugin)")?;
                auth.token = Some(token);
            }
            exec::Credential::Certificate { cert, key } => {
                let encode = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem);
                auth.client_certificate_data = Some(encode(&cert));
                auth.client_key_data = Some(SecretString::from(encode(key.expose_secret())));
                crate::redact::remember(key.expose_secret());
                auth.client_certificate = None;
                auth.client_key = None;
            }
        }
    }
    if auth.token.is_none()
        && let Some(path) = auth.token_file.take()
    {
        // client-go trims what it reads from a token file.
        let bytes = read_credential_file(&user, "tokenFile", &path)?;
        let token = String::from_utf8_lossy(&bytes).trim().to_string();
        check_header(&user, &token, " (from its tokenFile)")?;
        auth.token = Some(SecretString::from(token));
    }
    if let Some(token) = &auth.token {
        check_header(&user, token.expose_secret(), "")?;
    }
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    // Inline data wins over a path, as in client-go.
    if let Some(path) = auth.client_certificate.take()
        && auth.client_certificate_data.is_none()
    {
        auth.client_certificate_data = Some(encode(&read_credential_file(&user, "client-certificate", &path)?));
    }
    if let Some(path) = auth.client_key.take()
        && auth.client_key_data.is_none()
    {
        let key = encode(&read_credential_file(&user, "client-key", &path)?);
        auth.client_key_data = Some(SecretString::from(key));
    }
    remember_secrets(auth);
    Ok(())
}

/// Only the inline token of a handed-over user entry, or a refusal naming what it would do.
fn handed_over(user: &str, auth: &AuthInfo) -> Result<AuthInfo, CredentialError> {
    let refuse = |field: &'static str, what: &'static str| {
        Err(CredentialError::HandedOver {
            user: user.to_string(),
            field,
            what,
        })
    };
    if auth.exec.is_some() {
        return refuse("exec", "run a command on this machine");
    }
    if auth.auth_provider.is_some() {
        return refuse("auth-provider", "run a command or send a credential it names");
    }
    if auth.token_file.is_some() {
        return refuse(
            "tokenFile",
            "read a token from this machine and send it to the file's server",
        );
    }
    if auth.client_certificate.is_some() {
        return refuse(
            "client-certificate",
            "read a certificate from this machine and present it to the file's server",
        );
    }
    if auth.client_key.is_some() {
        return refuse(
            "client-key",
            "read a private key from this machine and use it with the file's server",
        );
    }
    let token = auth
        .token
        .clone()
        .ok_or_else(|| CredentialError::NoInlineToken(user.to_string()))?;
    Ok(AuthInfo {
        token: Some(token),
        ..AuthInfo::default()
    })
}

/// kubectl refuses the in-tree `gcp` and `azure` providers since 1.26: they ran `cmd-path`.
fn refuse_removed_providers(auth: &AuthInfo) -> Result<(), CredentialError> {
    match auth.auth_provider.as_ref().map(|p| p.name.as_str()) {
        Some("gcp") => Err(CredentialError::GcpRemoved),
        Some("azure") => Err(CredentialError::AzureRemoved),
        _ => Ok(()),
    }
}

/// A bearer token must be a valid header value as it is: kube (tower-http) panics on one that
/// is not, and kubectl fails on it.
fn check_header(user: &str, token: &str, from: &'static str) -> Result<(), CredentialError> {
    match http::HeaderValue::from_str(&format!("Bearer {token}")) {
        Ok(_) if !token.chars().any(char::is_control) => Ok(()),
        _ => Err(CredentialError::NotAHeader {
            user: user.to_string(),
            from,
        }),
    }
}

/// Whether `token` can be sent as a bearer token.
pub fn is_header_safe(token: &str) -> bool {
    check_header("", token, "").is_ok()
}

fn remember_secrets(auth: &AuthInfo) {
    if let Some(token) = &auth.token {
        crate::redact::remember(token.expose_secret());
    }
    if let Some(password) = &auth.password {
        crate::redact::remember(password.expose_secret());
    }
    if let Some(key) = &auth.client_key_data {
        crate::redact::remember(key.expose_secret());
        // The PEM inside, line by line, as a server might quote it.
        if let Ok(pem) = base64::engine::general_purpose::STANDARD.decode(key.expose_secret()) {
            crate::redact::remember(&String::from_utf8_lossy(&pem));
        }
    }
    if let Some(provider) = &auth.auth_provider {
        for key in ["id-token", "refresh-token", "access-token", "client-secret"] {
            if let Some(value) = provider.config.get(key) {
                crate::redact::remember(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kubeconfig(user: serde_json::Value) -> Kubeconfig {
        serde_json::from_value(json!({
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "users": [{"name": "u", "user": user}],
        }))
        .unwrap()
    }

    fn settled(user: serde_json::Value, trust: Trust) -> Result<AuthInfo, CredentialError> {
        let mut config = kubeconfig(user);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(settle(&mut config, "x", trust))?;
        Ok(config.auth_infos[0].auth_info.clone().unwrap())
    }

    #[test]
    fn tokens_that_cannot_be_a_header_are_refused_not_panicked_on() {
        for bad in ["abc\n", "a\nb", "a\u{1}b", "a\rb"] {
            let err = settled(json!({"token": bad}), Trust::Operator).unwrap_err();
            assert!(matches!(err, CredentialError::NotAHeader { .. }), "{bad:?}: {err}");
        }
        assert!(settled(json!({"token": "abc.def-ghi_jkl"}), Trust::Operator).is_ok());
    }

    #[test]
    fn an_oidc_id_token_is_checked_like_a_token() {
        let err = settled(
            json!({"auth-provider": {"name": "oidc", "config": {"id-token": "id\ntoken"}}}),
            Trust::Operator,
        )
        .unwrap_err();
        assert!(matches!(err, CredentialError::NotAHeader { .. }), "{err}");
    }

    #[test]
    fn removed_providers_are_refused_without_running_anything() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let provider = |name: &str| json!({"auth-provider": {"name": name, "config": {"cmd-path": "/bin/touch", "cmd-args": marker.display().to_string()}}});
        let err = settled(provider("gcp"), Trust::Operator).unwrap_err();
        assert!(err.to_string().starts_with("The gcp auth plugin has been removed."));
        let err = settled(provider("azure"), Trust::Operator).unwrap_err();
        assert!(err.to_string().starts_with("The azure auth plugin has been removed."));
        assert!(!marker.exists());
    }

    #[test]
    fn a_handed_over_entry_sends_its_inline_token_only() {
        let token = "handed-over-token-123";
        for (user, field) in [
            (
                json!({"token": token, "exec": {"command": "/bin/true", "apiVersion": "client.authentication.k8s.io/v1"}}),
                "exec",
            ),
            (
                json!({"token": token, "auth-provider": {"name": "oidc", "config": {}}}),
                "auth-provider",
            ),
            (json!({"token": token, "tokenFile": "/etc/hostname"}), "tokenFile"),
            (
                json!({"token": token, "client-certificate": "/c.pem", "client-key": "/k.pem"}),
                "client-certificate",
            ),
            (json!({"token": token, "client-key": "/k.pem"}), "client-key"),
        ] {
            let err = settled(user, Trust::HandedOver).unwrap_err();
            assert!(
                matches!(err, CredentialError::HandedOver { field: f, .. } if f == field),
                "{err}"
            );
        }
        let auth = settled(
            json!({"token": token, "username": "u", "password": "p", "client-certificate-data": "Y2VydA==", "as": "admin"}),
            Trust::HandedOver,
        )
        .unwrap();
        assert_eq!(
            auth.token.as_ref().map(|t| t.expose_secret().to_string()),
            Some(token.into())
        );
        assert!(auth.client_certificate_data.is_none() && auth.password.is_none() && auth.impersonate.is_none());
        assert!(matches!(
            settled(json!({"client-certificate-data": "Y2VydA=="}), Trust::HandedOver),
            Err(CredentialError::NoInlineToken(_))
        ));
    }

    #[test]
    fn credential_files_are_read_with_a_limit() {
        let err = settled(
            json!({"client-certificate": "/dev/zero", "client-key": "/dev/zero"}),
            Trust::Operator,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the client-certificate /dev/zero"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, "CERT").unwrap();
        std::fs::write(&key, "KEY-0123456789").unwrap();
        let auth = settled(
            json!({"client-certificate": cert.display().to_string(), "client-key": key.display().to_string()}),
            Trust::Operator,
        )
        .unwrap();
        assert_eq!(auth.client_certificate_data.as_deref(), Some("Q0VSVA=="));
        assert!(auth.client_certificate.is_none() && auth.client_key.is_none());
        assert!(crate::redact::scrub("KEY-0123456789").contains("[REDACTED]"));
    }

    #[test]
    fn a_token_file_is_read_trimmed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "file-token-123\n").unwrap();
        let auth = settled(json!({"tokenFile": file.display().to_string()}), Trust::Operator).unwrap();
        assert_eq!(auth.token.unwrap().expose_secret(), "file-token-123");
        assert!(auth.token_file.is_none());
    }
}
