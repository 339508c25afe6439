//! A hostile (or merely broken) API server for tests: a real TLS server on 127.0.0.1 that
//! records every request and answers each by a per-test script. It is not a mock of kube: the
//! binary under test talks to it over TCP and TLS exactly as it would to a cluster.
//!
//! HTTP/1.1 only (no ALPN), keep-alive, bodies by Content-Length (or chunked requests). The
//! replies cover what a hostile server can do: echo a request back in an error, send a huge
//! body, trickle one, hang, or close the connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

use super::{Home, Run, describe};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the client presented a TLS client certificate.
    pub client_cert: bool,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn authorization(&self) -> Option<&str> {
        self.header("authorization")
    }

    /// The request line and every header, one per line, as a server that echoes would show them.
    pub fn echo(&self) -> String {
        let mut text = format!("{} {} HTTP/1.1\n", self.method, self.target);
        for (k, v) in &self.headers {
            text.push_str(&format!("{}: {v}\n", k.to_ascii_lowercase()));
        }
        text
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A body with a status code and content type.
    Body {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// `len` bytes of text, streamed with a Content-Length, never built in memory.
    Huge {
        status: u16,
        content_type: String,
        len: u64,
    },
    /// Headers at once (with the body's Content-Length), then one byte of `body` every `every`.
    Trickle {
        status: u16,
        content_type: String,
        body: Vec<u8>,
        every: Duration,
    },
    /// Headers (announcing a body) and then nothing, ever.
    HeadersThenHang { status: u16, content_type: String },
    /// No answer, ever (the connection stays open).
    Hang,
    /// Close the connection without answering.
    Close,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::raw(status, "application/json", body.to_string())
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Body {
            status,
            content_type: content_type.to_string(),
            body: body.into(),
        }
    }

    pub fn huge(status: u16, content_type: &str, len: u64) -> Reply {
        Reply::Huge {
            status,
            content_type: content_type.to_string(),
            len,
        }
    }

    pub fn trickle(reply: Reply, every: Duration) -> Reply {
        match reply {
            Reply::Body {
                status,
                content_type,
                body,
            } => Reply::Trickle {
                status,
                content_type,
                body,
                every,
            },
            other => panic!("only a body can trickle, not {other:?}"),
        }
    }

    pub fn headers_then_hang(status: u16, content_type: &str) -> Reply {
        Reply::HeadersThenHang {
            status,
            content_type: content_type.to_string(),
        }
    }
}

type Script = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running hostile server; it stops answering when dropped.
pub struct Hostile {
    addr: SocketAddr,
    tls: bool,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    /// A TLS server (certificate for IP 127.0.0.1, signed by [`Pki::ca_pem`]).
    pub fn start(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        Hostile::listen(Some(server_config()), Arc::new(script))
    }

    /// A plain-HTTP server, same script machinery.
    pub fn plain(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        Hostile::listen(None, Arc::new(script))
    }

    fn listen(tls: Option<Arc<rustls::ServerConfig>>, script: Arc<Script>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let server = Hostile {
            addr,
            tls: tls.is_some(),
            requests: requests.clone(),
            stop: stop.clone(),
        };
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (tls, script, requests, stop) =
                            (tls.clone(), script.clone(), requests.clone(), stop.clone());
                        std::thread::spawn(move || {
                            let _ = stream.set_nonblocking(false);
                            serve(stream, tls, &*script, &requests, &stop);
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        server
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://127.0.0.1:PORT` (or `http://` for a plain server).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// A kubeconfig at `rel` in `home` whose context "hostile" (current, namespace "ns") points at
    /// this server with its CA inline, and whose user "hostile" is `user_yaml` (the body of the
    /// user entry, as YAML text: `token: |` block scalars, exec entries, ...). `extra_contexts`
    /// and `extra_users` are more list items (YAML or JSON text, each starting with `- `).
    pub fn kubeconfig_with(
        &self,
        home: &Home,
        rel: &str,
        user_yaml: &str,
        extra_contexts: &str,
        extra_users: &str,
    ) -> PathBuf {
        let path = home.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: hostile\n  cluster:\n    server: {}\n    \
             certificate-authority-data: {}\ncontexts:\n- name: hostile\n  context:\n    cluster: hostile\n    \
             user: hostile\n    namespace: ns\n{}current-context: hostile\nusers:\n- name: hostile\n  user:\n{}{}",
            self.url(),
            pki().ca_base64(),
            lines_ending(extra_contexts),
            indent(user_yaml, 4),
            lines_ending(extra_users),
        );
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }

    pub fn kubeconfig(&self, home: &Home, rel: &str, user_yaml: &str) -> PathBuf {
        self.kubeconfig_with(home, rel, user_yaml, "", "")
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

fn lines_ending(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// A context list item carrying this tool's record (so the tool treats it as its own).
/// `record` holds the TokenRecord fields (namespace, serviceAccount, tokenType, ...).
pub fn managed_context(name: &str, cluster: &str, user: &str, namespace: &str, record: &Value) -> String {
    let mut extension = json!({"apiVersion": "kubectl-satoken/v1alpha1", "kind": "TokenContext"});
    for (k, v) in record.as_object().expect("record is an object") {
        extension[k] = v.clone();
    }
    let item = json!({
        "name": name,
        "context": {
            "cluster": cluster,
            "user": user,
            "namespace": namespace,
            "extensions": [{"name": "kubectl-satoken", "extension": extension}],
        }
    });
    format!("- {item}\n")
}

/// A user list item (JSON text) whose body is `user`.
pub fn user_item(name: &str, user: &Value) -> String {
    format!("- {}\n", json!({"name": name, "user": user}))
}

// ---------------------------------------------------------------------------------------------
// Canned replies.

/// An unsigned but well-formed JWT (header.payload.signature, base64url) with `claims`.
pub fn jwt(claims: &Value) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let header = json!({"alg": "RS256", "kid": "hostile-test"});
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(b"not-a-real-signature")
    )
}

/// The claims of a bound token for `ns`/`sa`, valid for an hour from now.
pub fn bound_claims(ns: &str, sa: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    json!({
        "iss": "https://kubernetes.default.svc",
        "sub": format!("system:serviceaccount:{ns}:{sa}"),
        "aud": ["https://kubernetes.default.svc"],
        "iat": now, "nbf": now, "exp": now + 3600,
        "jti": "hostile-jti",
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sa, "uid": "0000-sa-uid"}},
    })
}

/// RFC 3339 for the `exp` claim of `claims`.
pub fn rfc3339(claims: &Value) -> String {
    let exp = claims["exp"].as_i64().expect("exp");
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{exp}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A TokenRequest answer (authentication.k8s.io/v1) carrying `token`.
pub fn token_request(token: &str, expiration: &str) -> Reply {
    Reply::json(
        201,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": 3600, "boundObjectRef": null},
            "status": {"token": token, "expirationTimestamp": expiration},
        }),
    )
}

/// A TokenRequest answer for a bound token of `ns`/`sa` with the default claims.
pub fn token_request_for(ns: &str, sa: &str) -> Reply {
    let claims = bound_claims(ns, sa);
    token_request(&jwt(&claims), &rfc3339(&claims))
}

/// A SelfSubjectReview answer naming `username`.
pub fn self_subject_review(username: &str) -> Reply {
    Reply::json(
        201,
        &json!({
            "kind": "SelfSubjectReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": username, "groups": ["system:authenticated"]}},
        }),
    )
}

/// A SelfSubjectRulesReview answer: may get pods.
pub fn rules_review() -> Reply {
    Reply::json(
        201,
        &json!({
            "kind": "SelfSubjectRulesReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "spec": {},
            "status": {
                "resourceRules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}],
                "nonResourceRules": [],
                "incomplete": false,
            },
        }),
    )
}

/// A ServiceAccount GET answer.
pub fn service_account(ns: &str, name: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "kind": "ServiceAccount",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "uid": "0000-sa-uid", "resourceVersion": "1"},
        }),
    )
}

/// A ServiceAccount list answer (what completion asks for).
pub fn service_account_list(ns: &str, names: &[&str]) -> Reply {
    let items: Vec<Value> = names
        .iter()
        .map(|n| json!({"metadata": {"name": n, "namespace": ns, "uid": format!("uid-{n}")}}))
        .collect();
    Reply::json(
        200,
        &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "items": items}),
    )
}

/// A Kubernetes Status error body.
pub fn status(code: u16, reason: &str, message: &str) -> Reply {
    Reply::json(
        code,
        &json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }),
    )
}

/// Answers the requests of a normal run of every command (TokenRequest, SelfSubjectReview as
/// `system:serviceaccount:NS:SA`, rules, ServiceAccount and Secret reads and deletes).
pub fn cluster_like(request: &Request) -> Reply {
    let path = request.path();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (request.method.as_str(), parts.as_slice()) {
        ("POST", ["api", "v1", "namespaces", ns, "serviceaccounts", sa, "token"]) => token_request_for(ns, sa),
        ("POST", [.., "selfsubjectreviews"]) => self_subject_review("system:serviceaccount:ns:sa"),
        ("POST", [.., "selfsubjectrulesreviews"]) => rules_review(),
        ("GET", ["api", "v1", "namespaces", ns, "serviceaccounts", sa]) => service_account(ns, sa),
        ("GET", ["api", "v1", "namespaces", ns, "serviceaccounts"]) => service_account_list(ns, &["sa"]),
        ("DELETE", ["api", "v1", "namespaces", _, "secrets", _]) => status(200, "", "deleted"),
        _ => status(404, "NotFound", &format!("the hostile server does not know {path}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates, made once per test binary with the openssl CLI.

pub struct Pki {
    pub ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    /// A client certificate and key signed by the same CA (PEM).
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl Pki {
    pub fn ca_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.ca_pem)
    }
    pub fn client_cert_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.client_cert_pem)
    }
    pub fn client_key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.client_key_pem)
    }
    /// The base64 lines of the client key PEM (what must never reach a terminal).
    pub fn client_key_lines(&self) -> Vec<String> {
        self.client_key_pem
            .lines()
            .filter(|l| !l.starts_with("-----") && !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make_pki)
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_pki() -> Pki {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-subj",
        "/CN=hostile-test-ca",
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(d, &ca);
    for (name, ext) in [
        (
            "server",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
        ),
        (
            "client",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        ),
    ] {
        std::fs::write(d.join(format!("{name}.ext")), ext).expect("write ext");
        let (key, csr, crt, extfile) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let subj = format!("/CN=hostile-{name}");
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-subj", &subj, "-keyout", &key, "-out", &csr]);
        openssl(d, &req);
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &extfile,
                "-out",
                &crt,
            ],
        );
    }
    let read = |f: &str| std::fs::read_to_string(d.join(f)).expect("read pem");
    let server_chain = CertificateDer::pem_slice_iter(read("server.crt").as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("server cert");
    let server_key = PrivateKeyDer::from_pem_slice(read("server.key").as_bytes()).expect("server key");
    Pki {
        ca_pem: read("ca.crt"),
        server_chain,
        server_key,
        client_cert_pem: read("client.crt"),
        client_key_pem: read("client.key"),
    }
}

fn server_config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let pki = pki();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut roots = rustls::RootCertStore::empty();
            for ca in CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
                roots.add(ca.expect("CA pem")).expect("add CA");
            }
            // Client certificates are asked for but optional: a test can see whether one was sent.
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .allow_unauthenticated()
                    .build()
                    .expect("client verifier");
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_client_cert_verifier(verifier)
                .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
                .expect("server cert");
            Arc::new(config)
        })
        .clone()
}

// ---------------------------------------------------------------------------------------------
// The connection loop.

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A stream with a read buffer, so requests can be parsed without losing bytes.
struct Conn {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
}

impl Conn {
    /// Reads more bytes into the buffer; false at end of stream or on error.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    fn line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Some(line);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    fn exact(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill() {
                return None;
            }
        }
        Some(self.buf.drain(..n).collect())
    }

    fn request(&mut self, client_cert: bool) -> Option<Request> {
        let first = self.line()?;
        let mut words = first.split(' ');
        let method = words.next()?.to_string();
        let target = words.next()?.to_string();
        let mut headers = Vec::new();
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':')?;
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        let mut request = Request {
            method,
            target,
            headers,
            body: Vec::new(),
            client_cert,
        };
        if let Some(len) = request.header("content-length") {
            let len: usize = len.parse().ok()?;
            request.body = self.exact(len)?;
        } else if request
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let size = usize::from_str_radix(self.line()?.split(';').next()?.trim(), 16).ok()?;
                if size == 0 {
                    while !self.line()?.is_empty() {}
                    break;
                }
                let chunk = self.exact(size)?;
                request.body.extend(chunk);
                self.line()?;
            }
        }
        Some(request)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn head(status: u16, content_type: &str, len: u64) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nAudit-Id: hostile\r\n\r\n",
        reason(status)
    )
    .into_bytes()
}

fn hang(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve(
    tcp: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    script: &Script,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let (stream, client_cert): (Box<dyn Stream>, bool) = match tls {
        Some(config) => {
            let Ok(conn) = rustls::ServerConnection::new(config) else {
                return;
            };
            let mut stream = rustls::StreamOwned::new(conn, tcp);
            while stream.conn.is_handshaking() {
                if stream.conn.complete_io(&mut stream.sock).is_err() {
                    return;
                }
            }
            let client_cert = stream.conn.peer_certificates().is_some_and(|c| !c.is_empty());
            (Box::new(stream), client_cert)
        }
        None => (Box::new(tcp), false),
    };
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    while let Some(request) = conn.request(client_cert) {
        let reply = script(&request);
        requests.lock().expect("requests lock").push(request);
        let out = &mut conn.stream;
        let sent = match reply {
            Reply::Body {
                status,
                content_type,
                body,
            } => out
                .write_all(&head(status, &content_type, body.len() as u64))
                .and_then(|()| out.write_all(&body))
                .and_then(|()| out.flush()),
            Reply::Huge {
                status,
                content_type,
                len,
            } => {
                let line = b"hostile server: this error body goes on and on and on and on and on\n";
                let block: Vec<u8> = line.iter().copied().cycle().take(64 * 1024).collect();
                let mut result = out.write_all(&head(status, &content_type, len));
                let mut left = len;
                while result.is_ok() && left > 0 && !stop.load(Ordering::Relaxed) {
                    let n = left.min(block.len() as u64) as usize;
                    result = out.write_all(&block[..n]);
                    left -= n as u64;
                }
                result.and_then(|()| out.flush())
            }
            Reply::Trickle {
                status,
                content_type,
                body,
                every,
            } => {
                let mut result = out
                    .write_all(&head(status, &content_type, body.len() as u64))
                    .and_then(|()| out.flush());
                for byte in body {
                    if result.is_err() || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(every);
                    result = out.write_all(&[byte]).and_then(|()| out.flush());
                }
                result
            }
            Reply::HeadersThenHang { status, content_type } => {
                let _ = out
                    .write_all(&head(status, &content_type, 4096))
                    .and_then(|()| out.flush());
                hang(stop);
                return;
            }
            Reply::Hang => {
                hang(stop);
                return;
            }
            Reply::Close => return,
        };
        if sent.is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the binary with a bound.

/// A run that was given at most a fixed time.
pub struct Bounded {
    pub run: Run,
    pub elapsed: Duration,
    /// Killed at the bound.
    pub timed_out: bool,
    /// Bytes written to stderr in all (`run` keeps at most the first 16 MiB).
    pub stderr_len: usize,
}

impl std::fmt::Display for Bounded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.run.to_string();
        if shown.len() > 64 * 1024 {
            let mut cut = 64 * 1024;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push_str("\n[... cut by the test ...]");
        }
        write!(
            f,
            "{shown}\nELAPSED: {:?}{}\nSTDERR BYTES: {}",
            self.elapsed,
            if self.timed_out { " (killed at the bound)" } else { "" },
            self.stderr_len
        )
    }
}

const KEEP: usize = 16 * 1024 * 1024;

/// What a reader thread kept of a stream, and how many bytes it read in all.
type Collected = Arc<Mutex<(Vec<u8>, usize)>>;

fn collect(mut from: impl Read + Send + 'static) -> (Collected, std::sync::mpsc::Receiver<()>) {
    let store = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let (done, finished) = std::sync::mpsc::channel();
    let shared = store.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match from.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut s = shared.lock().expect("output lock");
                    let room = KEEP.saturating_sub(s.0.len()).min(n);
                    s.0.extend_from_slice(&chunk[..room]);
                    s.1 += n;
                }
            }
        }
        let _ = done.send(());
    });
    (store, finished)
}

/// Runs `cmd` (stdin closed), killing it if it is still running after `limit`. Output that a
/// grandchild keeps open after the command ends is read for at most two more seconds.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Bounded {
    let command = describe(cmd);
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let (out, out_done) = collect(child.stdout.take().expect("stdout"));
    let (err, err_done) = collect(child.stderr.take().expect("stderr"));
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() >= limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    for done in [&out_done, &err_done] {
        let _ = done.recv_timeout(Duration::from_secs(2));
    }
    let take = |s: &Collected| {
        let s = s.lock().expect("output lock");
        (s.0.clone(), s.1)
    };
    let (stdout, _) = take(&out);
    let (stderr, stderr_len) = take(&err);
    Bounded {
        run: Run {
            command,
            output: std::process::Output { status, stdout, stderr },
        },
        elapsed,
        timed_out,
        stderr_len,
    }
}

/// The bound every hostile case runs under.
pub const BOUND: Duration = Duration::from_secs(30);

/// Runs kubectl-satoken in `home` with `args` under [`BOUND`].
pub fn satoken_bounded<I, S>(home: &Home, args: I) -> Bounded
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_bounded(&mut home.satoken(args), BOUND)
}
