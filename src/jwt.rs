//! Reading a ServiceAccount token's claims WITHOUT verifying its signature: only to report
//! who it names and when it expires. The API server is the one that decides.

use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// `system:serviceaccount:NS:SA`
    pub sub: Option<String>,
    /// Expiry, seconds since the epoch; absent for Secret-based tokens.
    pub exp: Option<i64>,
    /// Issued at, seconds since the epoch; absent for Secret-based tokens.
    pub iat: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server returned a token that is not a JWT ({0})")]
pub struct NotAJwt(&'static str);

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
        assert_eq!(
            claims(&bound).unwrap(),
            Claims {
                sub: Some("system:serviceaccount:ns:sa".into()),
                exp: Some(200),
                iat: Some(100)
            }
        );
        let legacy =
            encode_for_test(&json!({"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:ns:sa"}));
        assert_eq!(claims(&legacy).unwrap().exp, None);
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
