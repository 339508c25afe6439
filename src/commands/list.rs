//! `kubectl satoken list`: the contexts this tool created, when they expire, where they live.

use std::io::Write;

use k8s_openapi::jiff::Timestamp;
use secrecy::ExposeSecret;
use serde::Serialize;

use super::LifecycleError;
use crate::cli::{ListArgs, ListFormat};
use crate::duration;
use crate::escape;
use crate::jwt;
use crate::kubeconfig::{Chain, LoadingRules};
use crate::services::issuing::rfc3339;
use crate::services::managed::{Managed, managed_contexts};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRow {
    pub context: String,
    pub namespace: String,
    pub service_account: String,
    pub token_type: String,
    /// RFC 3339, or `None`: never.
    pub expires_at: Option<String>,
    pub expired: bool,
    /// "in 9m", "expired 3h ago", "never".
    #[serde(skip)]
    pub expires: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    pub source_context: String,
}

/// The expiry of a context's token: the token's own `exp` claim when it can be read (the
/// truth), else the one recorded when it was issued.
fn expiry(m: &Managed) -> Option<i64> {
    let from_token = m.token.as_ref().and_then(|t| jwt::claims(t.expose_secret()).ok());
    match from_token {
        Some(claims) => claims.exp,
        None => m
            .record
            .expires_at
            .as_deref()
            .and_then(|s| s.parse::<Timestamp>().ok())
            .map(|t| t.as_second()),
    }
}

pub fn rows(chain: &Chain, now: Timestamp) -> Vec<ListRow> {
    managed_contexts(chain)
        .iter()
        .map(|m| {
            let exp = expiry(m);
            let left = exp.map(|e| e - now.as_second());
            let expires = match left {
                None => "never".to_string(),
                Some(s) if s <= 0 => format!("expired {} ago", duration::human(-s)),
                Some(s) => format!("in {}", duration::human(s)),
            };
            ListRow {
                context: m.context.clone(),
                namespace: m.record.namespace.clone(),
                service_account: m.record.service_account.clone(),
                token_type: m.record.token_type.as_str().to_string(),
                expires_at: exp.and_then(|e| Timestamp::from_second(e).ok()).map(rfc3339),
                expired: left.is_some_and(|s| s <= 0),
                expires,
                file: m.file.display().to_string(),
                secret: m.record.revocation_secret().map(str::to_string),
                audiences: m.record.audiences.clone(),
                source_context: m.record.source_context.clone(),
            }
        })
        .collect()
}

fn table(rows: &[ListRow], wide: bool) -> String {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["CONTEXT", "SERVICEACCOUNT", "TYPE", "EXPIRES", "FILE"];
    if wide {
        header.extend(["SECRET", "AUDIENCES", "SOURCE"]);
    }
    lines.push(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        let mut line = vec![
            r.context.clone(),
            format!("{}/{}", r.namespace, r.service_account),
            r.token_type.clone(),
            r.expires.clone(),
            r.file.clone(),
        ];
        if wide {
            let audiences = if r.audiences.is_empty() {
                "<api server>".to_string()
            } else {
                r.audiences.join(",")
            };
            line.extend([
                r.secret.clone().unwrap_or_else(|| "<none>".into()),
                audiences,
                r.source_context.clone(),
            ]);
        }
        // Names and record fields come from a kubeconfig: shown escaped, one line each.
        lines.push(line.iter().map(|cell| escape::line(cell)).collect());
    }
    let columns = lines[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c + 1 == columns {
                    cell.clone()
                } else {
                    format!("{cell:<w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}

pub fn list(args: &ListArgs, stdout: &mut impl Write) -> Result<(), LifecycleError> {
    let chain = Chain::load(LoadingRules::from_env(args.kubeconfig.clone()))?;
    let rows = rows(&chain, Timestamp::now());
    let text = match args.output {
        Some(ListFormat::Json) => serde_json::to_string_pretty(&rows)? + "\n",
        Some(ListFormat::Wide) => table(&rows, true),
        None if rows.is_empty() => String::new(),
        None => table(&rows, false),
    };
    stdout.write_all(text.as_bytes()).map_err(LifecycleError::Stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::LoadingRules;
    use crate::record::TokenRecord;
    use crate::token::TokenType;
    use serde_json::json;

    fn chain_with(contexts: &[(&str, Option<i64>)]) -> (tempfile::TempDir, Chain) {
        let dir = tempfile::tempdir().unwrap();
        let mut users = Vec::new();
        let mut ctxs = Vec::new();
        for (name, exp) in contexts {
            let token = match exp {
                Some(exp) => crate::jwt::encode_for_test(&json!({"sub": "system:serviceaccount:ns:sa", "exp": exp})),
                None => crate::jwt::encode_for_test(&json!({"sub": "system:serviceaccount:ns:sa"})),
            };
            let record = TokenRecord {
                namespace: "ns".into(),
                service_account: "sa".into(),
                token_type: if exp.is_some() {
                    TokenType::Bound
                } else {
                    TokenType::Secret
                },
                secret_name: exp.is_none().then(|| "sa-token-x".to_string()),
                source_context: "admin".into(),
                ..TokenRecord::default()
            };
            users.push(json!({"name": name, "user": {"token": token}}));
            ctxs.push(
                json!({"name": name, "context": {"cluster": "c", "user": name, "extensions": record.to_extensions()}}),
            );
        }
        ctxs.push(json!({"name": "foreign", "context": {"cluster": "c", "user": "u"}}));
        let doc = json!({"apiVersion": "v1", "kind": "Config", "users": users, "contexts": ctxs});
        let path = dir.path().join("config");
        std::fs::write(&path, doc.to_string()).unwrap();
        let chain = Chain::load(LoadingRules::new(Some(path), None, None)).unwrap();
        (dir, chain)
    }

    #[test]
    fn shows_time_left_flags_expired_tokens_and_skips_foreign_contexts() {
        let now = Timestamp::from_second(1_000_000_000).unwrap();
        let (_dir, chain) = chain_with(&[
            ("fresh", Some(1_000_000_600)),
            ("old", Some(1_000_000_000 - 3 * 3600)),
            ("forever", None),
        ]);
        let rows = rows(&chain, now);
        let view: Vec<(&str, &str, bool)> = rows
            .iter()
            .map(|r| (r.context.as_str(), r.expires.as_str(), r.expired))
            .collect();
        assert_eq!(
            view,
            [
                ("fresh", "in 10m", false),
                ("old", "expired 3h ago", true),
                ("forever", "never", false)
            ]
        );
        assert_eq!(rows[2].secret.as_deref(), Some("sa-token-x"));

        let text = table(&rows, false);
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("CONTEXT   SERVICEACCOUNT   TYPE     EXPIRES")
        );
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("fresh     ns/sa            bound    in 10m")
        );
        assert!(
            table(&rows, true)
                .lines()
                .next()
                .unwrap()
                .ends_with("SECRET       AUDIENCES      SOURCE")
        );
    }
}
