//! The source context: the cluster the user's kubeconfig points at, the CA it trusts for
//! that server, and a client that authenticates as the user (certificates, tokens, exec
//! plugins: whatever kube supports).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::credentials::{self, Trust};
use crate::kubeconfig::{Chain, Section};
use crate::read_limit::{CA_LIMIT, read_at_most};
use crate::response_limits::ResponseLimitLayer;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "no context is set in the kubeconfig ({files}); pass --context NAME or run: kubectl config use-context NAME"
    )]
    NoContext { files: String },

    #[error("context {0:?} does not exist; kubectl config get-contexts lists the contexts")]
    ContextNotFound(String),

    #[error(
        "context {context:?} (in {file}) has no cluster; set one with: kubectl config set-context {context} --cluster NAME"
    )]
    ContextWithoutCluster { context: String, file: PathBuf },

    #[error("context {context:?} refers to cluster {cluster:?}, which does not exist in the kubeconfig")]
    ClusterNotFound { context: String, cluster: String },

    #[error(
        "context {context:?} refers to user {user:?}, which does not exist in the kubeconfig; kubectl config get-users lists the users"
    )]
    UserNotFound { context: String, user: String },

    #[error("cluster {cluster:?} (in {file}) has no server; pass --server URL or fix the kubeconfig")]
    NoServer { cluster: String, file: PathBuf },

    #[error("cannot read the certificate-authority {path} of cluster {cluster:?} (named in {file})")]
    CaUnreadable {
        path: PathBuf,
        cluster: String,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read --certificate-authority {path}")]
    CaFlagUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the certificate-authority {path} of cluster {cluster:?} (named in {file}) holds no PEM certificate \
         (-----BEGIN CERTIFICATE-----); point it at the cluster's CA certificate"
    )]
    CaNotCertificate {
        path: PathBuf,
        cluster: String,
        file: PathBuf,
    },

    #[error(
        "the certificate-authority-data of cluster {cluster:?} (in {file}) is not {what}; fix the entry \
         or pass --certificate-authority FILE"
    )]
    CaDataNotCertificate {
        cluster: String,
        file: PathBuf,
        what: &'static str,
    },

    #[error(
        "--certificate-authority {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); \
         pass the file of the cluster's CA certificate"
    )]
    CaFlagNotCertificate { path: PathBuf },

    #[error("cannot use context {context:?} to connect")]
    Client {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The fields of the source cluster that the new kubeconfig carries over (never file paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCluster {
    pub name: String,
    pub server: String,
    /// base64 of the PEM, as `certificate-authority-data` holds it.
    pub ca_data: Option<String>,
    pub insecure_skip_tls_verify: bool,
    pub tls_server_name: Option<String>,
    pub proxy_url: Option<String>,
}

impl SourceCluster {
    /// The fields to carry over from a cluster entry `body` named `name`, found in `file`
    /// (a `certificate-authority` path is relative to it).
    pub fn from_entry(name: &str, body: &Value, file: &Path) -> Result<SourceCluster, SourceError> {
        let server = str_field(body, "server")
            .ok_or_else(|| SourceError::NoServer {
                cluster: name.to_string(),
                file: file.to_path_buf(),
            })?
            .to_string();
        // Whatever CA is carried over must be one: a path or data that holds something else
        // (`/proc/self/environ`, a key, junk) would be embedded in the new kubeconfig.
        let ca_data = match (
            str_field(body, "certificate-authority-data"),
            str_field(body, "certificate-authority"),
        ) {
            (Some(data), _) => {
                let not = |what| SourceError::CaDataNotCertificate {
                    cluster: name.to_string(),
                    file: file.to_path_buf(),
                    what,
                };
                // Line breaks are allowed, as Go's base64 decoder skips them.
                let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let pem = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| not("base64"))?;
                let Some(certificates) = certificates_of(&pem) else {
                    return Err(not("base64 of a PEM certificate (-----BEGIN CERTIFICATE-----)"));
                };
                Some(if certificates == pem {
                    data.to_string()
                } else {
                    base64::engine::general_purpose::STANDARD.encode(certificates)
                })
            }
            (None, Some(path)) => {
                let path = relative_to(file, path);
                let pem = read_at_most(&path, CA_LIMIT).map_err(|source| SourceError::CaUnreadable {
                    path: path.clone(),
                    cluster: name.to_string(),
                    file: file.to_path_buf(),
                    source,
                })?;
                let Some(certificates) = certificates_of(&pem) else {
                    return Err(SourceError::CaNotCertificate {
                        path,
                        cluster: name.to_string(),
                        file: file.to_path_buf(),
                    });
                };
                Some(base64::engine::general_purpose::STANDARD.encode(certificates))
            }
            (None, None) => None,
        };
        Ok(SourceCluster {
            name: name.to_string(),
            server,
            ca_data,
            insecure_skip_tls_verify: body
                .get("insecure-skip-tls-verify")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            tls_server_name: str_field(body, "tls-server-name").map(str::to_string),
            proxy_url: str_field(body, "proxy-url").map(str::to_string),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Source {
    pub context: String,
    /// The context's namespace, if it sets one.
    pub namespace: Option<String>,
    pub cluster: SourceCluster,
}

fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl Source {
    /// Finds the context (the given one, else current-context), its cluster, and that
    /// cluster's CA, reading a CA file relative to the kubeconfig that names it.
    pub fn resolve(chain: &Chain, context: Option<&str>) -> Result<Source, SourceError> {
        let context = match context.or_else(|| chain.current_context()) {
            Some(name) => name.to_string(),
            None => {
                let files: Vec<String> = chain.files.iter().map(|f| f.path.display().to_string()).collect();
                return Err(SourceError::NoContext {
                    files: files.join(", "),
                });
            }
        };
        let entry = chain
            .entry(Section::Contexts, &context)
            .ok_or_else(|| SourceError::ContextNotFound(context.clone()))?;
        let namespace = str_field(entry.body, "namespace").map(str::to_string);
        let cluster_name = str_field(entry.body, "cluster")
            .ok_or_else(|| SourceError::ContextWithoutCluster {
                context: context.clone(),
                file: entry.file.to_path_buf(),
            })?
            .to_string();
        // A named user that is missing would make the requests anonymous (kubectl asks
        // for a username and password instead): say so rather than fail on RBAC later.
        if let Some(user) = str_field(entry.body, "user")
            && chain.entry(Section::Users, user).is_none()
        {
            return Err(SourceError::UserNotFound {
                context: context.clone(),
                user: user.to_string(),
            });
        }
        let cluster = chain
            .entry(Section::Clusters, &cluster_name)
            .ok_or_else(|| SourceError::ClusterNotFound {
                context: context.clone(),
                cluster: cluster_name.clone(),
            })?;
        Ok(Source {
            context,
            namespace,
            cluster: SourceCluster::from_entry(&cluster_name, cluster.body, cluster.file)?,
        })
    }
    /// A client for the source context. It sends nothing until it is used.
    pub async fn client(
        &self,
        chain: &Chain,
        request_timeout: Option<Duration>,
        trust: Trust,
    ) -> Result<kube::Client, SourceError> {
        let kubeconfig = chain
            .to_kube_for_context(&self.context)
            .map_err(|e| SourceError::Client {
                context: self.context.clone(),
                source: Box::new(e),
            })?;
        client_for(kubeconfig, &self.context, request_timeout, trust).await
    }
}

/// A client for `context` of a kubeconfig. Its user entry is settled first (plugins run,
/// removed providers refused, tokens checked: [`credentials::settle`]); every response is
/// bounded in time and size ([`crate::response_limits`]).
pub async fn client_for(
    mut kubeconfig: kube::config::Kubeconfig,
    context: &str,
    request_timeout: Option<Duration>,
    trust: Trust,
) -> Result<kube::Client, SourceError> {
    let client_error = |source: Box<dyn std::error::Error + Send + Sync>| SourceError::Client {
        context: context.to_string(),
        source,
    };
    credentials::settle(&mut kubeconfig, context, trust)
        .await
        .map_err(|e| client_error(Box::new(e)))?;
    if trust != Trust::Completion {
        warn_if_plain_http(&kubeconfig, context);
    }
    let options = kube::config::KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| client_error(Box::new(e)))?;
    if let Some(timeout) = request_timeout {
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
    }
    let builder = kube::client::ClientBuilder::try_from(config).map_err(|e| client_error(Box::new(e)))?;
    Ok(builder
        .with_layer(&crate::verbose::RequestLogLayer)
        .with_layer(&ResponseLimitLayer {
            timeout: request_timeout,
        })
        .build())
}

/// A server reached over plain http sees the credentials in clear, as does anyone on the way:
/// kubectl says nothing, this tool warns (once per server).
fn warn_if_plain_http(kubeconfig: &kube::config::Kubeconfig, context: &str) {
    let cluster = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| kubeconfig.clusters.iter().find(|k| k.name == c.cluster))
        .and_then(|k| k.cluster.as_ref())
        .and_then(|k| k.server.clone());
    if let Some(server) = cluster {
        warn_plain_http(&server, &format!("the credentials of context {context:?}"));
    }
}

/// Warns on stderr, once per process, that `what` goes to `server` unencrypted.
pub fn warn_plain_http(server: &str, what: &str) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if !server.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")) {
        return;
    }
    let line = format!(
        "warning: {} uses plain http: {what} travel unencrypted, readable by anyone on the way; use an https:// server",
        crate::escape::line(server)
    );
    let Ok(mut warned) = WARNED.lock() else {
        return;
    };
    if !warned.contains(&line) {
        let _ = writeln!(std::io::stderr(), "{line}");
        warned.push(line);
    }
}

/// Reads a `--certificate-authority` file as `certificate-authority-data`: it must hold a
/// PEM certificate (never embed whatever a path names, such as `/proc/self/environ`).
pub fn read_ca_flag(path: &Path) -> Result<String, SourceError> {
    let pem = read_at_most(path, CA_LIMIT).map_err(|source| SourceError::CaFlagUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let certificates = certificates_of(&pem).ok_or_else(|| SourceError::CaFlagNotCertificate {
        path: path.to_path_buf(),
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(certificates))
}

/// The PEM certificates in `pem`, and nothing else: `CERTIFICATE` blocks whose body is base64
/// of a DER sequence (what client-go's and rustls's PEM readers take). Other blocks and text
/// around them are dropped, so a file that also holds a private key (a combined `cert+key`
/// file) never puts that key into a handed-out kubeconfig. `None`: no certificate at all.
fn certificates_of(pem: &[u8]) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut rest = text.as_ref();
    let mut found = String::new();
    while let Some(at) = rest.find(BEGIN) {
        let after = &rest[at + BEGIN.len()..];
        let end = after.find(END)?;
        let block = &after[..end];
        let body: String = block.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(body);
        // A DER certificate is a SEQUENCE (0x30) of more than a few bytes.
        if der.is_ok_and(|der| der.len() > 16 && der[0] == 0x30) {
            found.push_str(BEGIN);
            found.push_str(block);
            found.push_str(END);
            found.push('\n');
        }
        rest = &after[end + END.len()..];
    }
    if found.is_empty() {
        return None;
    }
    // The input as it was, when it held nothing else (the common case).
    Some(if found.trim_end() == text.trim() {
        pem.to_vec()
    } else {
        found.into_bytes()
    })
}

/// A path in a kubeconfig is relative to the file that holds it (client-go's rule).
fn relative_to(file: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    match file.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::LoadingRules;

    /// Writes the files; the first one is the kubeconfig.
    fn chain_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Chain) {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(name, text)| {
                let p = dir.path().join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, text).unwrap();
                p
            })
            .collect();
        let chain = Chain::load(LoadingRules::new(None, Some(paths[0].clone().into()), None)).unwrap();
        (dir, chain)
    }

    const CONFIG: &str = "
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team-a}
- name: nocluster
  context: {cluster: missing, user: u1}
- name: nouser
  context: {cluster: c1, user: missing-user}
users:
- name: u1
  user: {}
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: certs/ca.pem
    tls-server-name: api.internal
    proxy-url: socks5://127.0.0.1:1080
";

    /// A self-signed test CA (EC P-256), for the checks that a CA holds a certificate.
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBfDCCASGgAwIBAgIUGet4lh4Ofm7efQc1M9y4JXrzNEIwCgYIKoZIzj0EAwIw\n\
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjEyMDEwNDA2NDFaGA8yMTI2MTEwNzA0\n\
MDY0MVowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n\
A0IABAFBVLyeDUSai9+MUyJc4euMZNUZqYVWAMn3vCyxVZaFsxELPnPmr32X6QT4\n\
KPX2kv2yZ2Ilv8boM78xN4Y1SBijUzBRMB0GA1UdDgQWBBSDJLz46st/ef9H9cio\n\
DO/5f3XqljAfBgNVHSMEGDAWgBSDJLz46st/ef9H9cioDO/5f3XqljAPBgNVHRMB\n\
Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCni5XFtmv1StPubmmWXLPgfXvd\n\
A4lKiWq7vv75HYhSPAIhAPuf/lgNmKtR0tH5f30h5/DtVEo4s9DqeTZie+JSS2u9\n\
-----END CERTIFICATE-----\n\
";

    #[test]
    fn reads_server_ca_file_relative_to_its_kubeconfig_and_tls_settings() {
        let (_dir, chain) = chain_of(&[("kube/config", CONFIG), ("kube/certs/ca.pem", CA_PEM)]);
        let source = Source::resolve(&chain, None).unwrap();
        assert_eq!(source.context, "dev");
        assert_eq!(source.namespace.as_deref(), Some("team-a"));
        assert_eq!(
            source.cluster,
            SourceCluster {
                name: "c1".into(),
                server: "https://10.0.0.1:6443".into(),
                ca_data: Some(base64::engine::general_purpose::STANDARD.encode(CA_PEM)),
                insecure_skip_tls_verify: false,
                tls_server_name: Some("api.internal".into()),
                proxy_url: Some("socks5://127.0.0.1:1080".into()),
            }
        );
    }

    #[test]
    fn names_what_is_missing() {
        let (_dir, chain) = chain_of(&[("config", CONFIG)]);
        let err = Source::resolve(&chain, Some("nope")).unwrap_err().to_string();
        assert_eq!(
            err,
            "context \"nope\" does not exist; kubectl config get-contexts lists the contexts"
        );
        let err = Source::resolve(&chain, Some("nouser")).unwrap_err().to_string();
        assert!(
            err.contains("refers to user \"missing-user\", which does not exist"),
            "{err}"
        );
        let err = Source::resolve(&chain, Some("nocluster")).unwrap_err().to_string();
        assert!(err.contains("refers to cluster \"missing\""), "{err}");
        let err = Source::resolve(&chain, Some("dev")).unwrap_err().to_string();
        assert!(err.contains("cannot read the certificate-authority"), "{err}");
        let (_dir, chain) = chain_of(&[("config", "apiVersion: v1\nkind: Config\n")]);
        let err = Source::resolve(&chain, None).unwrap_err().to_string();
        assert!(err.starts_with("no context is set"), "{err}");
    }

    #[test]
    fn system_trust_and_insecure_are_carried_as_they_are() {
        let text = "clusters:\n- name: c\n  cluster: {server: 'https://x', insecure-skip-tls-verify: true}\ncontexts:\n- name: x\n  context: {cluster: c}\n";
        let (_dir, chain) = chain_of(&[("config", text)]);
        let source = Source::resolve(&chain, Some("x")).unwrap();
        assert_eq!(source.cluster.ca_data, None);
        assert!(source.cluster.insecure_skip_tls_verify);
        assert_eq!(source.namespace, None);
    }
    #[test]
    fn only_parseable_certificate_blocks_are_kept() {
        assert_eq!(certificates_of(CA_PEM.as_bytes()).as_deref(), Some(CA_PEM.as_bytes()));
        let bundle = format!(
            "# a bundle\n-----BEGIN EC PRIVATE KEY-----\nMHcC-private-key\n-----END EC PRIVATE KEY-----\n{CA_PEM}"
        );
        let kept = String::from_utf8(certificates_of(bundle.as_bytes()).unwrap()).unwrap();
        assert!(!kept.contains("PRIVATE KEY") && !kept.contains("MHcC-private-key") && !kept.contains("a bundle"));
        assert_eq!(kept.trim(), CA_PEM.trim());
        for junk in [
            "",
            "PEM",
            "HOME=/root\0PATH=/bin\0",
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQsIG5vdCBhIGNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nMIIBfDCCASGgAwIBAgIUGet4lh4Ofm7efQc1M9y4JXrzNEIw\n",
        ] {
            assert!(certificates_of(junk.as_bytes()).is_none(), "{junk:?}");
        }
    }

    /// A CA that is not one, from the flag, a source entry's file or its data: a clear error
    /// that names where it came from and never repeats what it holds.
    #[test]
    fn a_ca_that_holds_no_certificate_is_refused_without_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "MARKER-CONTENT=s3cr3t\n").unwrap();
        let err = read_ca_flag(&junk).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "--certificate-authority {} holds no PEM certificate (-----BEGIN CERTIFICATE-----); \
                 pass the file of the cluster's CA certificate",
                junk.display()
            )
        );
        assert!(read_ca_flag(Path::new("/proc/self/environ")).is_err());
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, CA_PEM).unwrap();
        assert_eq!(
            read_ca_flag(&good).unwrap(),
            base64::engine::general_purpose::STANDARD.encode(CA_PEM)
        );

        let file = dir.path().join("config");
        let entry = |body: Value| SourceCluster::from_entry("c", &body, &file);
        let err = entry(serde_json::json!({"server": "https://x", "certificate-authority": "junk.pem"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("certificate-authority") && err.contains("junk.pem"),
            "{err}"
        );
        assert!(
            err.contains("holds no PEM certificate") && !err.contains("MARKER"),
            "{err}"
        );
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let err =
            entry(serde_json::json!({"server": "https://x", "certificate-authority-data": b64("MARKER-CONTENT")}))
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("is not base64 of a PEM certificate") && !err.contains("MARKER"),
            "{err}"
        );
        let err = entry(serde_json::json!({"server": "https://x", "certificate-authority-data": "MARKER not base64"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cluster \"c\"") && err.contains("is not base64;"), "{err}");
        assert!(!err.contains("MARKER"), "{err}");
        // Data with line breaks, as Go's decoder takes it, is carried over as it is.
        let wrapped = b64(CA_PEM)
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let ok = entry(serde_json::json!({"server": "https://x", "certificate-authority-data": wrapped})).unwrap();
        assert_eq!(ok.ca_data.as_deref(), Some(wrapped.as_str()));
    }
}
