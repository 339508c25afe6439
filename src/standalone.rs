//! The kubeconfig entries this tool writes: a cluster entry with everything needed to reach
//! and trust the server (no file paths), a user entry with only the token, and a context that
//! records how the token was made (for later refreshes) in a `kubectl-satoken` extension.

use k8s_openapi::jiff::Timestamp;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::kubeconfig::{MARKER, Section};
use crate::source::SourceCluster;
use crate::token::IssuedToken;

/// `apiVersion` of the extension objects: kubectl keeps extensions it cannot decode, and an
/// explicit version lets the format change later without guessing.
const EXTENSION_API_VERSION: &str = "kubectl-satoken/v1alpha1";

/// Names of the three entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryNames {
    pub context: String,
    pub cluster: String,
    pub user: String,
}

/// How the token was requested, recorded on the context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub namespace: String,
    pub service_account: String,
    pub source_context: String,
    pub requested_seconds: Option<i64>,
    pub audiences: Vec<String>,
}

/// The new entries, each the body that goes under `cluster:`, `user:` or `context:`.
#[derive(Debug)]
pub struct NewEntries {
    pub names: EntryNames,
    cluster: Value,
    user: Value,
    context: Value,
}

fn marker(kind: &str, fields: Map<String, Value>) -> Value {
    let mut extension = Map::new();
    extension.insert("apiVersion".into(), json!(EXTENSION_API_VERSION));
    extension.insert("kind".into(), json!(kind));
    extension.extend(fields);
    json!([{ "name": MARKER, "extension": extension }])
}

fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl NewEntries {
    pub fn new(names: EntryNames, cluster: &SourceCluster, token: &IssuedToken, provenance: &Provenance) -> Self {
        let owned = || {
            let mut fields = Map::new();
            fields.insert("context".into(), json!(names.context));
            marker("Entry", fields)
        };

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
        c.insert("extensions".into(), owned());

        let user = json!({ "token": token.token.expose_secret(), "extensions": owned() });

        let mut info = Map::new();
        info.insert("namespace".into(), json!(provenance.namespace));
        info.insert("serviceAccount".into(), json!(provenance.service_account));
        info.insert("tokenType".into(), json!(token.token_type.as_str()));
        if let Some(secret) = &token.secret_name {
            info.insert("secretName".into(), json!(secret));
        }
        if let Some(seconds) = provenance.requested_seconds {
            info.insert("expirationSeconds".into(), json!(seconds));
        }
        if !provenance.audiences.is_empty() {
            info.insert("audiences".into(), json!(provenance.audiences));
        }
        info.insert(
            "expiresAt".into(),
            token.expires.map_or(Value::Null, |ts| json!(rfc3339(ts))),
        );
        info.insert("sourceContext".into(), json!(provenance.source_context));
        let context = json!({
            "cluster": names.cluster,
            "user": names.user,
            "namespace": provenance.namespace,
            "extensions": marker("TokenContext", info),
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
    pub fn into_entries(self) -> Vec<(Section, String, Value)> {
        vec![
            (Section::Clusters, self.names.cluster, self.cluster),
            (Section::Users, self.names.user, self.user),
            (Section::Contexts, self.names.context, self.context),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::TokenType;
    use crate::kubeconfig::is_managed;

    fn token() -> IssuedToken {
        let jwt = crate::jwt::encode_for_test(
            &json!({"sub": "system:serviceaccount:ns:sa", "exp": 1_000_003_600, "iat": 1_000_000_000}),
        );
        IssuedToken::new(jwt, TokenType::Bound, String::new(), Some(3600)).unwrap()
    }

    fn entries(cluster: SourceCluster) -> NewEntries {
        let names = EntryNames {
            context: "c/ns/sa".into(),
            cluster: "c/ns/sa".into(),
            user: "c/ns/sa".into(),
        };
        let provenance = Provenance {
            namespace: "ns".into(),
            service_account: "sa".into(),
            source_context: "admin".into(),
            requested_seconds: Some(3600),
            audiences: vec![],
        };
        NewEntries::new(names, &cluster, &token(), &provenance)
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
        let ctx = &doc["contexts"][0]["context"];
        assert_eq!(ctx["namespace"], "ns");
        let info = &ctx["extensions"][0]["extension"];
        assert_eq!(info["serviceAccount"], "sa");
        assert_eq!(info["tokenType"], "bound");
        assert_eq!(info["expiresAt"], "2001-09-09T02:46:40Z");
        assert_eq!(info["sourceContext"], "admin");
    }

    #[test]
    fn every_entry_is_marked() {
        for (_, _, body) in entries(cluster()).into_entries() {
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
