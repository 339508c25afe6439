//! The kubeconfig entries this tool writes: a cluster entry with everything needed to reach
//! and trust the server (no file paths), a user entry with only the token, and a context that
//! records how the token was made (`record::TokenRecord`) in a `kubectl-satoken` extension.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::kubeconfig::Section;
use crate::record::MARKER;
use crate::record::{API_VERSION, TokenRecord};
use crate::services::source::SourceCluster;

/// Names of the three entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryNames {
    pub context: String,
    pub cluster: String,
    pub user: String,
}

/// The new entries, each the body that goes under `cluster:`, `user:` or `context:`.
#[derive(Debug)]
pub struct NewEntries {
    pub names: EntryNames,
    cluster: Value,
    user: Value,
    context: Value,
}

/// The marker on the cluster and user entries: they belong to `context`.
fn owned_by(context: &str) -> Value {
    json!([{ "name": MARKER, "extension": { "apiVersion": API_VERSION, "kind": "Entry", "context": context } }])
}

impl NewEntries {
    pub fn new(names: EntryNames, cluster: &SourceCluster, token: &SecretString, record: &TokenRecord) -> Self {
        let mut c = Map::new();
        c.insert("server".into(), json!(cluster.server));
        if let Some(ca) = &cluster.ca_data {
            c.insert("certificate-authority-data".into(), json!(ca));
        }
        if cluster.insecure_skip_tls_verify {
            c.insert("insecure-skip-tls-verify".into(), json!(true));
        }
        if let Some(name) = &cluster.tls_server_name {
            c.insert("tls-server-name".into(), json!(name));
        }
        if let Some(url) = &cluster.proxy_url {
            c.insert("proxy-url".into(), json!(url));
        }
        c.insert("extensions".into(), owned_by(&names.context));
        let user = json!({ "token": token.expose_secret(), "extensions": owned_by(&names.context) });
        let context = json!({
            "cluster": names.cluster,
            "user": names.user,
            "namespace": record.namespace,
            "extensions": record.to_extensions(),
        });
        NewEntries {
            names,
            cluster: Value::Object(c),
            user,
            context,
        }
    }

    /// A standalone kubeconfig: these three entries only, current-context set to the new
    /// context. Keys in the order `kubectl config view --minify --flatten` prints them.
    pub fn document(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "clusters": [{ "cluster": self.cluster, "name": self.names.cluster }],
            "contexts": [{ "context": self.context, "name": self.names.context }],
            "current-context": self.names.context,
            "kind": "Config",
            "preferences": {},
            "users": [{ "name": self.names.user, "user": self.user }],
        })
    }

    /// The entries for merging into an existing kubeconfig.
    pub fn entries(&self) -> Vec<(Section, String, Value)> {
        vec![
            (Section::Clusters, self.names.cluster.clone(), self.cluster.clone()),
            (Section::Users, self.names.user.clone(), self.user.clone()),
            (Section::Contexts, self.names.context.clone(), self.context.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::is_managed;
    use crate::token::TokenType;

    fn entries(cluster: SourceCluster) -> NewEntries {
        let names = EntryNames {
            context: "c/ns/sa".into(),
            cluster: "c/ns/sa".into(),
            user: "c/ns/sa".into(),
        };
        let record = TokenRecord {
            namespace: "ns".into(),
            service_account: "sa".into(),
            token_type: TokenType::Bound,
            expiration_seconds: Some(3600),
            expires_at: Some("2001-09-09T02:46:40Z".into()),
            source_context: "admin".into(),
            ..TokenRecord::default()
        };
        NewEntries::new(names, &cluster, &SecretString::from("header.payload.sig"), &record)
    }

    fn cluster() -> SourceCluster {
        SourceCluster {
            name: "c".into(),
            server: "https://127.0.0.1:6443".into(),
            ca_data: Some("Q0E=".into()),
            insecure_skip_tls_verify: false,
            tls_server_name: Some("kubernetes".into()),
            proxy_url: Some("http://proxy:3128".into()),
        }
    }

    #[test]
    fn standalone_document_has_one_context_with_its_cluster_and_user() {
        let doc = entries(cluster()).document();
        assert_eq!(doc["current-context"], "c/ns/sa");
        let c = &doc["clusters"][0]["cluster"];
        assert_eq!(c["server"], "https://127.0.0.1:6443");
        assert_eq!(c["certificate-authority-data"], "Q0E=");
        assert_eq!(c["tls-server-name"], "kubernetes");
        assert_eq!(c["proxy-url"], "http://proxy:3128");
        assert!(c.get("insecure-skip-tls-verify").is_none());
        let user = doc["users"][0]["user"].as_object().unwrap();
        assert_eq!(user.keys().collect::<Vec<_>>(), ["token", "extensions"]);
        assert_eq!(user["token"], "header.payload.sig");
        let ctx = &doc["contexts"][0]["context"];
        assert_eq!(ctx["namespace"], "ns");
        let record = TokenRecord::from_context(ctx).unwrap();
        assert_eq!(record.service_account, "sa");
        assert_eq!(record.expires_at.as_deref(), Some("2001-09-09T02:46:40Z"));
        assert_eq!(record.source_context, "admin");
    }

    #[test]
    fn every_entry_is_marked() {
        for (_, _, body) in entries(cluster()).entries() {
            assert!(is_managed(&body));
        }
    }

    #[test]
    fn no_ca_stays_no_ca_and_insecure_is_carried() {
        let mut source = cluster();
        source.ca_data = None;
        source.insecure_skip_tls_verify = true;
        let doc = entries(source).document();
        let c = &doc["clusters"][0]["cluster"];
        assert!(c.get("certificate-authority-data").is_none());
        assert_eq!(c["insecure-skip-tls-verify"], true);
    }
}
