//! The path from a kubeconfig user entry to request headers, as a property shared by the
//! `user_entry_headers` fuzz target and its corpus replay in `tests/fuzz_regressions.rs`.
//!
//! Input: one user entry as YAML (or JSON). It is placed in a kubeconfig whose only cluster
//! is `https://127.0.0.1:1` (nothing listens there), loaded as the tool loads kubeconfigs,
//! and turned into a client both as a handed-over file and as the operator's own; the client
//! then sends one request. What must hold: nothing panics (kube's header code panicked on a
//! token with a line break), and a client is only built for a token that fits in a header.
//! Nothing here runs a command: `exec` and `tokenFile` (which could name a FIFO) are taken
//! out of the operator's copy, and a handed-over file refuses them by itself.

use std::sync::OnceLock;
use std::time::Duration;

use kubectl_satoken::credentials::{self, Trust};
use kubectl_satoken::kubeconfig::{Chain, LoadingRules};
use kubectl_satoken::services::source;
use serde_json::{Value, json};

/// One scratch directory and runtime for the whole run: made once, not per input.
fn scratch() -> &'static (tempfile::TempDir, tokio::runtime::Runtime) {
    static SCRATCH: OnceLock<(tempfile::TempDir, tokio::runtime::Runtime)> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("scratch dir");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        (dir, runtime)
    })
}

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(user) = serde_saphyr::from_str::<Value>(text) else {
        return;
    };
    let (dir, runtime) = scratch();
    let path = dir.path().join("config");
    for trust in [Trust::HandedOver, Trust::Operator] {
        let mut user = user.clone();
        if trust == Trust::Operator
            && let Some(map) = user.as_object_mut()
        {
            map.remove("exec");
            map.remove("tokenFile");
        }
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
            "users": [{"name": "u", "user": user}],
        });
        std::fs::write(&path, config.to_string()).expect("write kubeconfig");
        let Ok(chain) = Chain::load(LoadingRules::new(Some(path.clone()), None, None)) else {
            continue;
        };
        let Ok(kubeconfig) = chain.to_kube_for_context("x") else {
            continue;
        };
        let token = kubeconfig
            .auth_infos
            .first()
            .and_then(|a| a.auth_info.as_ref())
            .and_then(|a| a.token.as_ref())
            .map(|t| secrecy::ExposeSecret::expose_secret(t).to_string());
        let built = runtime.block_on(source::client_for(kubeconfig, "x", Some(Duration::from_secs(1)), trust));
        if let Ok(client) = built {
            if let Some(token) = token {
                assert!(
                    credentials::is_header_safe(&token),
                    "a client was built for a token that is no header"
                );
            }
            // The headers are made here; the connection is refused.
            let _ = runtime.block_on(client.apiserver_version());
        }
    }
}
