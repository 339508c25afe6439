use k8s_openapi::jiff::Timestamp;
use secrecy::SecretString;

use super::TokenType;
use crate::jwt;

/// A token and what is known about it. The token itself is a `SecretString`: it never shows
/// up in `Debug` output or logs.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: SecretString,
    pub token_type: TokenType,
    /// `system:serviceaccount:NS:SA`, from the token's own claims.
    pub subject: String,
    /// `None`: the token does not expire.
    pub expires: Option<Timestamp>,
    /// The lifetime the server granted, when less than the one requested: (requested, granted) seconds.
    pub shortened: Option<(i64, i64)>,
    /// For Secret-based tokens: the Secret that holds it, and the CA it carries (PEM).
    pub secret_name: Option<String>,
    pub secret_ca: Option<Vec<u8>>,
    /// Whether issuing created that Secret (so a failure later should delete it again).
    pub secret_created: bool,
}

impl IssuedToken {
    pub(crate) fn new(
        token: String,
        token_type: TokenType,
        fallback_subject: String,
        requested_seconds: Option<i64>,
    ) -> Result<Self, jwt::NotAJwt> {
        // From here on no message may show it (a server could echo it back).
        crate::redact::remember(&token);
        if !crate::credentials::is_header_safe(&token) {
            return Err(jwt::NotAJwt(
                "it holds a line break or a control character, so no client could send it",
            ));
        }
        let claims = jwt::claims(&token)?;
        let expires = claims.exp.and_then(|exp| Timestamp::from_second(exp).ok());
        let granted = claims.exp.zip(claims.iat).map(|(exp, iat)| exp - iat);
        let shortened = requested_seconds
            .zip(granted)
            .filter(|(requested, granted)| granted < requested);
        Ok(IssuedToken {
            token: SecretString::from(token),
            token_type,
            subject: claims.sub.unwrap_or(fallback_subject),
            expires,
            shortened,
            secret_name: None,
            secret_ca: None,
            secret_created: false,
        })
    }
}
