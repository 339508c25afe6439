//! What a context created by kubectl-satoken records about its token, in the context's
//! `kubectl-satoken` extension: enough for `list` to show it, `refresh` to issue the same
//! kind of token again, and `revoke` to find what to delete.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::token::{BoundObjectKind, TokenType};

/// Name of the `NamedExtension` that marks the kubeconfig entries this tool created.
pub const MARKER: &str = "kubectl-satoken";

/// Whether an entry body carries this tool's marker extension: the entries a merge may
/// replace or remove without `--overwrite` (the ownership rule handed to the merge).
pub fn is_managed(body: &Value) -> bool {
    body.get("extensions").and_then(Value::as_array).is_some_and(|list| {
        list.iter()
            .any(|ext| ext.get("name").and_then(Value::as_str) == Some(MARKER))
    })
}

/// `apiVersion` of the extension objects: kubectl keeps extensions it cannot decode, and an
/// explicit version lets the format change later without guessing.
pub const API_VERSION: &str = "kubectl-satoken/v1alpha1";
pub const CONTEXT_KIND: &str = "TokenContext";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    pub namespace: String,
    pub service_account: String,
    #[serde(with = "token_type")]
    pub token_type: TokenType,
    /// The Secret that holds a Secret-based token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// The anchor Secret a `--revocable` bound token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_secret: Option<String>,
    /// The lifetime asked for; absent: the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_object: Option<BoundObjectRecord>,
    /// RFC 3339; `None` (null): never.
    pub expires_at: Option<String>,
    /// The context the token was requested through: `refresh` uses it again.
    pub source_context: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundObjectRecord {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl BoundObjectRecord {
    pub fn kind(&self) -> Option<BoundObjectKind> {
        match self.kind.as_str() {
            "Node" => Some(BoundObjectKind::Node),
            "Pod" => Some(BoundObjectKind::Pod),
            "Secret" => Some(BoundObjectKind::Secret),
            _ => None,
        }
    }
}

mod token_type {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::token::TokenType;

    pub fn serialize<S: Serializer>(t: &TokenType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TokenType, D::Error> {
        match String::deserialize(d)?.as_str() {
            "bound" => Ok(TokenType::Bound),
            "secret" => Ok(TokenType::Secret),
            other => Err(serde::de::Error::custom(format!("unknown tokenType {other:?}"))),
        }
    }
}

impl TokenRecord {
    /// The extension list for a context body.
    pub fn to_extensions(&self) -> Value {
        let mut extension = serde_json::Map::new();
        extension.insert("apiVersion".into(), API_VERSION.into());
        extension.insert("kind".into(), CONTEXT_KIND.into());
        if let Ok(Value::Object(fields)) = serde_json::to_value(self) {
            extension.extend(fields);
        }
        serde_json::json!([{ "name": MARKER, "extension": extension }])
    }

    /// The record of a context body, if it has one this version understands.
    pub fn from_context(body: &Value) -> Option<TokenRecord> {
        let extension = body
            .get("extensions")?
            .as_array()?
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(MARKER))?
            .get("extension")?;
        if extension.get("kind").and_then(Value::as_str) != Some(CONTEXT_KIND) {
            return None;
        }
        serde_json::from_value(extension.clone()).ok()
    }

    /// The Secret this tool created for the token (its token Secret, or the anchor of a
    /// revocable token): a rotation replaces it and deletes the old one. A Secret the user
    /// chose to bind to is not ours to delete.
    pub fn owned_secret(&self) -> Option<&str> {
        match self.token_type {
            TokenType::Secret => self.secret_name.as_deref(),
            TokenType::Bound => self.anchor_secret.as_deref(),
        }
    }

    /// The Secret whose deletion ends this token, if any.
    pub fn revocation_secret(&self) -> Option<&str> {
        match self.token_type {
            TokenType::Secret => self.secret_name.as_deref(),
            TokenType::Bound => self.anchor_secret.as_deref().or_else(|| {
                self.bound_object
                    .as_ref()
                    .filter(|o| o.kind == "Secret")
                    .map(|o| o.name.as_str())
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TokenRecord {
        TokenRecord {
            namespace: "ns".into(),
            service_account: "sa".into(),
            token_type: TokenType::Secret,
            secret_name: Some("sa-token-x".into()),
            expires_at: None,
            source_context: "admin".into(),
            ..TokenRecord::default()
        }
    }

    #[test]
    fn round_trips_through_a_context_body() {
        let body = serde_json::json!({"cluster": "c", "extensions": record().to_extensions()});
        assert_eq!(TokenRecord::from_context(&body), Some(record()));
        let ext = &body["extensions"][0]["extension"];
        assert_eq!(ext["apiVersion"], API_VERSION);
        assert_eq!(ext["tokenType"], "secret");
        assert_eq!(ext["expiresAt"], Value::Null, "never expiring is written as null");
        assert!(ext.get("audiences").is_none());
    }

    #[test]
    fn foreign_or_other_kinds_have_no_record() {
        assert_eq!(TokenRecord::from_context(&serde_json::json!({"cluster": "c"})), None);
        let entry = serde_json::json!({"extensions": [{"name": MARKER, "extension": {"kind": "Entry"}}]});
        assert_eq!(TokenRecord::from_context(&entry), None);
    }

    #[test]
    fn knows_which_secret_revokes_the_token() {
        assert_eq!(record().revocation_secret(), Some("sa-token-x"));
        assert_eq!(record().owned_secret(), Some("sa-token-x"));
        let mut bound = TokenRecord {
            token_type: TokenType::Bound,
            ..record()
        };
        bound.secret_name = None;
        assert_eq!(bound.revocation_secret(), None);
        bound.anchor_secret = Some("anchor".into());
        assert_eq!(bound.revocation_secret(), Some("anchor"));
        bound.anchor_secret = None;
        bound.bound_object = Some(BoundObjectRecord {
            kind: "Secret".into(),
            name: "s".into(),
            uid: None,
        });
        assert_eq!(bound.revocation_secret(), Some("s"));
        bound.bound_object = Some(BoundObjectRecord {
            kind: "Pod".into(),
            name: "p".into(),
            uid: None,
        });
        assert_eq!(bound.revocation_secret(), None);
    }

    #[test]
    fn managed_marker() {
        assert!(is_managed(&serde_json::json!({"extensions": [
            {"name": "other", "extension": {}},
            {"name": MARKER, "extension": {"created": "x"}}
        ]})));
        assert!(!is_managed(&serde_json::json!({"extensions": [{"name": "other"}]})));
        assert!(!is_managed(&serde_json::json!({"token": "t"})));
        assert!(!is_managed(&serde_json::json!({"extensions": {"name": MARKER}})));
        assert!(!is_managed(&Value::Null));
    }
}
