//! Reading a ServiceAccount token's claims WITHOUT verifying its signature: only to report
//! who it names and when it expires. The API server is the one that decides.

use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    pub iss: Option<String>,
    /// `system:serviceaccount:NS:SA`
    pub sub: Option<String>,
    #[serde(default)]
    pub aud: Audiences,
    /// Expiry, seconds since the epoch; absent for Secret-based tokens.
    pub exp: Option<i64>,
    /// Issued at, seconds since the epoch; absent for Secret-based tokens.
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub jti: Option<String>,
    /// Bound tokens: the ServiceAccount and the object the token is bound to.
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: Option<KubernetesClaims>,
    /// Secret-based (legacy) tokens name their Secret in a claim of their own.
    #[serde(rename = "kubernetes.io/serviceaccount/secret.name")]
    pub legacy_secret_name: Option<String>,
}

/// `aud` is a string or a list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "AudienceForm")]
pub struct Audiences(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum AudienceForm {
    One(String),
    Many(Vec<String>),
}

impl From<AudienceForm> for Audiences {
    fn from(form: AudienceForm) -> Self {
        match form {
            AudienceForm::One(a) => Audiences(vec![a]),
            AudienceForm::Many(list) => Audiences(list),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KubernetesClaims {
    pub namespace: Option<String>,
    pub serviceaccount: Option<ObjectClaim>,
    pub pod: Option<ObjectClaim>,
    pub secret: Option<ObjectClaim>,
    pub node: Option<ObjectClaim>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ObjectClaim {
    pub name: Option<String>,
    pub uid: Option<String>,
}

impl Claims {
    /// The object a bound token is bound to: (kind, name, uid).
    pub fn bound_object(&self) -> Option<(&'static str, &ObjectClaim)> {
        let k = self.kubernetes.as_ref()?;
        [("Pod", &k.pod), ("Secret", &k.secret), ("Node", &k.node)]
            .into_iter()
            .find_map(|(kind, object)| object.as_ref().map(|o| (kind, o)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token is not a JWT ({0})")]
pub struct NotAJwt(pub(crate) &'static str);

/// Decodes the payload of a JWT. The error never contains the token.
pub fn claims(token: &str) -> Result<Claims, NotAJwt> {
    let mut parts = token.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err(NotAJwt("expected three dot-separated parts")),
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| NotAJwt("payload is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| NotAJwt("payload is not a JSON object of claims"))
}

#[cfg(test)]
pub(crate) fn encode_for_test(payload: &serde_json::Value) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.sig",
        b64(br#"{"alg":"RS256"}"#),
        b64(payload.to_string().as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_bound_and_legacy_claims() {
        let bound =
            encode_for_test(&json!({"sub": "system:serviceaccount:ns:sa", "exp": 200, "iat": 100, "aud": ["x"]}));
        let c = claims(&bound).unwrap();
        assert_eq!(
            (c.sub.as_deref(), c.exp, c.iat),
            (Some("system:serviceaccount:ns:sa"), Some(200), Some(100))
        );
        assert_eq!(c.aud, Audiences(vec!["x".into()]));
        let pinned = encode_for_test(
            &json!({"aud": "one", "kubernetes.io": {"namespace": "ns", "secret": {"name": "anchor", "uid": "u"}}}),
        );
        let c = claims(&pinned).unwrap();
        assert_eq!(c.aud, Audiences(vec!["one".into()]));
        let (kind, object) = c.bound_object().unwrap();
        assert_eq!((kind, object.name.as_deref()), ("Secret", Some("anchor")));
        let legacy = encode_for_test(&json!({
            "iss": "kubernetes/serviceaccount",
            "sub": "system:serviceaccount:ns:sa",
            "kubernetes.io/serviceaccount/secret.name": "sa-token-x"
        }));
        let c = claims(&legacy).unwrap();
        assert_eq!((c.exp, c.legacy_secret_name.as_deref()), (None, Some("sa-token-x")));
    }

    #[test]
    fn rejects_non_jwts_without_echoing_them() {
        for bad in ["secret-value", "a.b", "a.!!!.c", "a.e30.c.d"] {
            let err = claims(bad).unwrap_err().to_string();
            assert!(!err.contains(bad), "{err}");
        }
        // "e30" is base64url for "{}": valid, with no claims.
        assert_eq!(claims("a.e30.c").unwrap(), Claims::default());
    }
}
