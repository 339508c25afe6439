//! `kubectl satoken inspect`: a context's token, its claims decoded WITHOUT trusting them,
//! and with `--verify` the API server's own answer about who it is and what it may do.

use std::io::Write;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::LifecycleError;
use crate::cli::{InspectArgs, InspectFormat};
use crate::credentials::Trust;
use crate::duration;
use crate::escape;
use crate::jwt::{self, Claims};
use crate::kubeconfig::{Chain, LoadingRules, Section};
use crate::record::TokenRecord;
use crate::services::issuing::rfc3339;
use crate::services::source;
use crate::services::verify;

fn when(ts: i64, now: Timestamp) -> String {
    let at = Timestamp::from_second(ts)
        .map(rfc3339)
        .unwrap_or_else(|_| ts.to_string());
    let delta = ts - now.as_second();
    if delta >= 0 {
        format!("{at} (in {})", duration::human(delta))
    } else {
        format!("{at} ({} ago)", duration::human(-delta))
    }
}

/// The claims as `key: value` lines, in a fixed order.
fn describe(context: &str, claims: &Claims, record: Option<&TokenRecord>, now: Timestamp) -> Vec<(String, String)> {
    let mut lines = vec![("Context".to_string(), context.to_string())];
    let mut add = |k: &str, v: String| lines.push((k.to_string(), v));
    add("Subject", claims.sub.clone().unwrap_or_else(|| "<none>".into()));
    if let Some(iss) = &claims.iss {
        add("Issuer", iss.clone());
    }
    if !claims.aud.0.is_empty() {
        add("Audiences", claims.aud.0.join(", "));
    }
    if let Some(iat) = claims.iat {
        add("Issued", when(iat, now));
    }
    add(
        "Expires",
        match claims.exp {
            Some(exp) if exp <= now.as_second() => format!("{} EXPIRED", when(exp, now)),
            Some(exp) => when(exp, now),
            None => "never".to_string(),
        },
    );
    if let Some(jti) = &claims.jti {
        add("Token ID", jti.clone());
    }
    if let Some((kind, object)) = claims.bound_object() {
        let uid = object.uid.as_deref().map(|u| format!(" (uid {u})")).unwrap_or_default();
        add(
            "Bound to",
            format!("{kind} {}{uid}", object.name.as_deref().unwrap_or_default()),
        );
    }
    if let Some(secret) = &claims.legacy_secret_name {
        add("Secret", secret.clone());
    }
    if let Some(record) = record {
        add("Type", record.token_type.as_str().to_string());
        if let Some(anchor) = &record.anchor_secret {
            add("Anchor", format!("Secret {anchor} (kubectl satoken revoke deletes it)"));
        }
        add("Source", record.source_context.clone());
    }
    lines
}

/// What `inspect` settles from its flags before any work starts.
struct InspectSettings {
    rules: LoadingRules,
    context: Option<String>,
    /// With --verify: the request timeout, and how far the file's user entry is trusted.
    verify: Option<(Option<Duration>, Trust)>,
    json: bool,
}

impl InspectSettings {
    fn new(args: &InspectArgs) -> Self {
        let explicit = args.file.clone().or_else(|| args.kubeconfig_args.kubeconfig.clone());
        let timeout = args.kubeconfig_args.request_timeout.to_std();
        // A file someone handed over is verified with its inline token alone.
        let trust = if args.file.is_some() {
            Trust::HandedOver
        } else {
            Trust::Operator
        };
        InspectSettings {
            rules: LoadingRules::from_env(explicit),
            context: args.context.clone(),
            verify: args.verify.then_some(((!timeout.is_zero()).then_some(timeout), trust)),
            json: args.output == Some(InspectFormat::Json),
        }
    }
}

pub async fn inspect(args: &InspectArgs, stdout: &mut impl Write) -> Result<(), LifecycleError> {
    let settings = InspectSettings::new(args);
    let chain = Chain::load(settings.rules.clone())?;
    let name = match settings.context.as_deref().or_else(|| chain.current_context()) {
        Some(name) => name.to_string(),
        None => return Err(LifecycleError::NoContext),
    };
    let context = chain
        .entry(Section::Contexts, &name)
        .ok_or_else(|| LifecycleError::NotFound(name.clone()))?;
    let record = TokenRecord::from_context(context.body);
    let namespace = context
        .body
        .get("namespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    let user = context.body.get("user").and_then(Value::as_str).unwrap_or_default();
    let token: SecretString = chain
        .entry(Section::Users, user)
        .and_then(|u| u.body.get("token").and_then(Value::as_str))
        .map(|t| SecretString::from(t.to_string()))
        .ok_or_else(|| LifecycleError::NoToken(name.clone()))?;
    let claims = jwt::claims(token.expose_secret()).map_err(crate::token::TokenError::from)?;
    let now = Timestamp::now();
    let mut lines = describe(&name, &claims, record.as_ref(), now);

    let mut verified = None;
    if let Some((timeout, trust)) = settings.verify {
        let kubeconfig = chain.to_kube()?;
        let client = source::client_for(kubeconfig, &name, timeout, trust).await?;
        let server = source::Source::resolve(&chain, Some(&name))?.cluster.server;
        let username = verify::whoami(&client, &server).await?;
        let namespace = namespace
            .or_else(|| claims.kubernetes.as_ref().and_then(|k| k.namespace.clone()))
            .unwrap_or_else(|| "default".to_string());
        let rules = verify::rules(&client, &server, &namespace).await?;
        lines.push(("Verified as".to_string(), username.clone()));
        verified = Some((username, namespace, rules));
    }

    let text = if settings.json {
        let mut object = serde_json::Map::new();
        for (k, v) in &lines {
            object.insert(k.to_lowercase().replace(' ', "_"), json!(v));
        }
        if let Some((username, namespace, rules)) = &verified {
            object.insert(
                "verified".into(),
                json!({"username": username, "namespace": namespace, "rules": rules}),
            );
        }
        serde_json::to_string_pretty(&object)? + "\n"
    } else {
        let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
        let mut out: String = lines
            .iter()
            .map(|(k, v)| format!("{:<width$} {}\n", format!("{k}:"), escape::line(v)))
            .collect();
        if let Some((_, namespace, rules)) = &verified {
            out.push_str(&format!("May, in namespace {}:\n", escape::line(namespace)));
            for rule in rules {
                out.push_str(&format!("  {}\n", escape::line(rule)));
            }
        }
        out
    };
    stdout.write_all(text.as_bytes()).map_err(LifecycleError::Stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_the_claims_without_the_token() {
        let token = crate::jwt::encode_for_test(&json!({
            "iss": "https://kubernetes.default.svc.cluster.local",
            "sub": "system:serviceaccount:ns:sa",
            "aud": ["https://kubernetes.default.svc.cluster.local"],
            "iat": 1_000_000_000, "exp": 1_000_000_600, "jti": "j-1",
            "kubernetes.io": {"namespace": "ns", "secret": {"name": "anchor", "uid": "u-1"}}
        }));
        let claims = jwt::claims(&token).unwrap();
        let lines = describe("c", &claims, None, Timestamp::from_second(1_000_000_000).unwrap());
        let get = |k: &str| lines.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("Subject"), Some("system:serviceaccount:ns:sa"));
        assert_eq!(get("Expires"), Some("2001-09-09T01:56:40Z (in 10m)"));
        assert_eq!(get("Bound to"), Some("Secret anchor (uid u-1)"));
        assert_eq!(get("Token ID"), Some("j-1"));
        assert!(lines.iter().all(|(_, v)| !v.contains(&token)));
        let later = describe("c", &claims, None, Timestamp::from_second(1_000_003_600).unwrap());
        assert!(
            later
                .iter()
                .any(|(k, v)| k == "Expires" && v.ends_with("(50m ago) EXPIRED"))
        );
    }
}
