//! The secrets this process knows (the operator's token, password and client key, the token
//! it issues), so that no text it prints can carry one: a hostile or careless server may echo
//! a request's headers, or the new token, inside an error message.
//!
//! Values are remembered where they enter the process (a user entry turned into a client, a
//! token the server issued) and scrubbed from every message on its way to stderr. A
//! `Bearer`/`Basic` credential is scrubbed even when this process never saw it.

use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

/// What stands in for a scrubbed secret.
pub const REDACTED: &str = "[REDACTED]";

/// Shorter values are not scrubbed: they could not be told apart from ordinary words, and
/// real tokens and keys are far longer.
const MIN_SECRET_LEN: usize = 8;

static KNOWN: Mutex<Vec<SecretString>> = Mutex::new(Vec::new());

/// Remembers `secret` (and, for a multi-line value such as a PEM key, each long line of it,
/// since a message may quote a part).
pub fn remember(secret: &str) {
    let mut parts: Vec<&str> = vec![secret.trim()];
    if secret.contains('\n') {
        parts.extend(secret.lines().map(str::trim).filter(|l| !l.starts_with("-----")));
    }
    let Ok(mut known) = KNOWN.lock() else {
        return;
    };
    for part in parts {
        if part.len() >= MIN_SECRET_LEN && !known.iter().any(|k| k.expose_secret() == part) {
            known.push(SecretString::from(part.to_string()));
        }
    }
    // Longest first, so a secret that contains another is scrubbed whole.
    known.sort_by_key(|k| std::cmp::Reverse(k.expose_secret().len()));
}

/// `text` with every remembered secret, and every `Bearer`/`Basic` credential, replaced.
pub fn scrub(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(known) = KNOWN.lock() {
        for secret in known.iter() {
            let secret = secret.expose_secret();
            if out.contains(secret) {
                out = out.replace(secret, REDACTED);
            }
        }
    }
    scrub_schemes(&out)
}

/// Replaces what follows `Bearer ` or `Basic ` (any case) up to the next character that
/// cannot be part of a token.
fn scrub_schemes(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = ["bearer ", "basic "]
        .iter()
        .filter_map(|scheme| lower[at..].find(scheme).map(|i| (at + i, scheme.len())))
        .min()
    {
        let (start, len) = found;
        let value_start = start + len;
        let value_len = text[value_start..]
            .find(|c: char| !is_token_char(c))
            .unwrap_or(text.len() - value_start);
        out.push_str(&text[at..value_start]);
        if value_len > 0 && text[value_start..value_start + value_len] != *REDACTED {
            out.push_str(REDACTED);
        } else {
            out.push_str(&text[value_start..value_start + value_len]);
        }
        at = value_start + value_len;
    }
    out.push_str(&text[at..]);
    out
}

/// RFC 6750's b64token characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_secrets_and_credentials_in_headers_are_scrubbed() {
        remember("operator-token-0123456789");
        remember("short");
        let text = "Status 500: headers {authorization: Bearer eyJhbGciOi.x.y, x: operator-token-0123456789} short";
        assert_eq!(
            scrub(text),
            "Status 500: headers {authorization: Bearer [REDACTED], x: [REDACTED]} short"
        );
        assert_eq!(
            scrub("AUTHORIZATION: basic dXNlcjpwYXNz\n"),
            "AUTHORIZATION: basic [REDACTED]\n"
        );
        assert_eq!(scrub("a bearer of bad news"), "a bearer [REDACTED] bad news");
        assert_eq!(scrub("Bearer "), "Bearer ");
    }

    #[test]
    fn each_line_of_a_multi_line_secret_is_scrubbed() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
        remember(key);
        assert_eq!(scrub("leaked: BKcwggSjAgEAAoIBAQC7 ..."), "leaked: [REDACTED] ...");
        assert!(!scrub(key).contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"));
    }
}
