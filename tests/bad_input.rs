//! Hostile and broken input, one test per case (`bad_input_fails_clearly_and_changes_no_file::`):
//! flags, kubeconfig contents, file system surprises and server answers. Every case must fail with a clear message (a key phrase
//! is asserted), a non-zero exit and no panic, print nothing on stdout, and leave every
//! file of its scratch HOME byte-identical (same set of files, same SHA-256), with no
//! stray file created.
//!
//! Server answers come from the real cluster (401, 403, 404, wrong TLS name, unknown CA)
//! or from a tiny HTTP server of the test's own on 127.0.0.1 that answers every request
//! with one status (409, 422, 500, a body that is not JSON), closes the connection, or
//! never answers (then `--request-timeout` must end the wait).
//!
//! We run as root, and chmod does not stop root: "read-only" targets are a directory made
//! immutable with `chattr +i` (which stops root too) and paths under `/proc`, where no file
//! can be created; "unreadable" is `/proc/self/mem`, whose read fails with EIO.

use crate::support;

use std::cell::OnceCell;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Home, Namespace, admin_ok, run, yaml};

// ---------------------------------------------------------------------------------------
// A fake API server.

#[derive(Clone, Copy)]
enum Answer {
    /// This status, with a Kubernetes `Status` body (or the given raw body).
    Status(u16, &'static str, Option<&'static str>),
    /// Read the request, then close the connection without a word.
    Close,
    /// Read the request and never answer.
    Silent,
}

/// Serves `answer` on 127.0.0.1 (plain HTTP) until the test process ends; returns its URL.
fn fake_server(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, answer));
        }
    });
    url
}

fn serve(mut stream: TcpStream, answer: Answer) {
    // Read the head, then the body it announces.
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    match answer {
        Answer::Close => {}
        Answer::Silent => std::thread::sleep(Duration::from_secs(120)),
        Answer::Status(code, reason, raw) => {
            let body = match raw {
                Some(raw) => raw.to_owned(),
                None => json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("fake server says {reason}"), "reason": reason, "code": code
                })
                .to_string(),
            };
            let content_type = if raw.is_some() { "text/html" } else { "application/json" };
            let _ = write!(
                stream,
                "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Snapshots of a directory tree.

/// Every path under `dir` (files with their SHA-256, directories and links as such).
fn snapshot(dir: &Path) -> Vec<String> {
    let out = Command::new("find")
        .arg(dir)
        .args(["-printf", "%y %P %l\\n"])
        .output()
        .expect("find");
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let files: Vec<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("f "))
        .map(|l| l.trim_end().to_owned())
        .collect();
    if !files.is_empty() {
        let sums = Command::new("sha256sum")
            .args(&files)
            .current_dir(dir)
            .output()
            .expect("sha256sum");
        lines.extend(String::from_utf8_lossy(&sums.stdout).lines().map(str::to_owned));
    }
    lines.sort();
    lines
}

// ---------------------------------------------------------------------------------------
// Files and servers the cases use.

/// The admin kubeconfig as a JSON value, changed by `f`, written to `home/rel`.
fn variant(home: &Home, rel: &str, f: impl FnOnce(&mut Value)) -> PathBuf {
    let mut doc = yaml(&std::fs::read_to_string(support::admin_kubeconfig()).expect("admin"));
    f(&mut doc);
    let path = home.path(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    path
}

/// A CA certificate that did not sign the cluster's server certificate, base64 of its PEM.
fn other_ca_base64(dir: &Path) -> String {
    use base64::Engine;
    let (key, cert) = (dir.join("other-ca.key"), dir.join("other-ca.crt"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .args(["-subj", "/CN=not-the-cluster-ca", "-days", "1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let pem = std::fs::read(&cert).expect("read cert");
    std::fs::remove_file(&key).expect("rm");
    std::fs::remove_file(&cert).expect("rm");
    base64::engine::general_purpose::STANDARD.encode(pem)
}

/// A kubeconfig whose only cluster is `server`, with a made-up token.
fn fake_config(home: &Home, rel: &str, server: &str) -> String {
    let path = home.path(rel);
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: '{server}'}}\n\
             users:\n- name: fake\n  user: {{token: fake-server-token}}\ncontexts:\n\
             - name: fake\n  context: {{cluster: fake, user: fake, namespace: ns}}\ncurrent-context: fake\n"
        ),
    )
    .expect("write");
    path.display().to_string()
}

/// Makes a directory immutable (`chattr +i`: even root cannot create files in it) for
/// as long as this lives.
struct Immutable(PathBuf);

impl Immutable {
    fn new(dir: PathBuf) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Immutable(dir))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

// ---------------------------------------------------------------------------------------
// The cases: one #[test] each, in `bad_input_fails_clearly_and_changes_no_file::`.

struct Case {
    what: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Must appear on stderr.
    phrase: String,
}

fn case(what: &'static str, args: &[&str], phrase: &str) -> Case {
    Case {
        what,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        phrase: phrase.to_owned(),
    }
}

impl Case {
    fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }
}

/// What one case reads or aims at, made before it runs: a scratch HOME with a copy of the
/// admin kubeconfig, and whatever else the case asks for.
struct Fixture {
    // Dropped first: the HOME cannot be removed while a directory in it is immutable.
    immutable: OnceCell<Immutable>,
    ns: OnceCell<Namespace>,
    home: Home,
    config: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let home = Home::new();
        let config = home.admin_config(".kube/config");
        std::fs::create_dir_all(home.path("k")).expect("mkdir");
        Fixture {
            immutable: OnceCell::new(),
            ns: OnceCell::new(),
            home,
            config,
        }
    }

    /// `rel` in the HOME, as an argument.
    fn kc(&self, rel: &str) -> String {
        self.home.path(rel).display().to_string()
    }

    /// A namespace of the case's own, with the ServiceAccount `ci`.
    fn ns(&self) -> String {
        let ns = self.ns.get_or_init(|| {
            let ns = Namespace::new("bad-input");
            admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
            ns
        });
        ns.name.clone()
    }

    fn file(&self, rel: &str, bytes: &[u8]) -> String {
        let path = self.home.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
        path.display().to_string()
    }

    fn dir(&self, rel: &str) -> String {
        std::fs::create_dir_all(self.home.path(rel)).expect("mkdir");
        self.kc(rel)
    }

    /// A large file, made by `make`.
    fn big(&self, rel: &str, make: fn(&Path)) -> String {
        let path = self.home.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        make(&path);
        path.display().to_string()
    }

    fn variant(&self, rel: &str, f: impl FnOnce(&mut Value)) -> String {
        variant(&self.home, rel, f).display().to_string()
    }

    fn fake(&self, answer: Answer, rel: &str) -> String {
        fake_config(&self.home, rel, &fake_server(answer))
    }

    /// A kubeconfig with a token of `nobody`, a ServiceAccount without RBAC (403).
    fn nobody(&self) -> String {
        let n = self.ns();
        admin_ok(["create", "serviceaccount", "nobody", "-n", &n]);
        let nobody = self.home.path("k/nobody");
        run(self.home.satoken(["nobody", "-n", &n, "--output-file"]).arg(&nobody)).ok();
        nobody.display().to_string()
    }

    /// The directory `rel` with a copy of the admin kubeconfig, made immutable: we run as
    /// root, and chmod does not stop root. chattr +i needs a file system that supports it
    /// (ext4, xfs, btrfs, tmpfs since Linux 6.0).
    fn read_only(&self, rel: &str) -> String {
        let dir = self.home.path(rel);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::copy(&self.config, dir.join("config")).expect("copy");
        let immutable = Immutable::new(dir).expect("chattr +i works on the temporary directory's file system");
        assert!(
            self.immutable.set(immutable).is_ok(),
            "one read-only directory per case"
        );
        self.kc(rel)
    }
}

/// Runs `case` in `f`'s HOME: it must fail with its phrase, print nothing on stdout, say no
/// cause twice, end within 30 s and change no file.
fn check(f: &Fixture, case: &Case) {
    let before = snapshot(f.home.dir.path());
    let mut cmd = f.home.satoken(&case.args);
    for (key, value) in &case.env {
        cmd.env(key, value);
    }
    let started = Instant::now();
    let out = run(&mut cmd);
    let took = started.elapsed();
    assert!(!out.success(), "{}: should have failed:\n{out}", case.what);
    assert!(
        !out.stderr_text().contains("panicked"),
        "{}: panicked:\n{out}",
        case.what
    );
    assert!(
        out.stderr_text().contains(&case.phrase),
        "{}: stderr lacks {:?}:\n{out}",
        case.what,
        case.phrase
    );
    assert_eq!(out.stdout_text(), "", "{}: printed on stdout:\n{out}", case.what);
    let stderr = out.stderr_text();
    let said: Vec<&str> = stderr.lines().flat_map(|l| l.split(": ")).collect();
    assert!(
        said.windows(2).all(|w| w[0] != w[1]),
        "{}: a cause said twice:\n{out}",
        case.what
    );
    assert!(took < Duration::from_secs(30), "{}: took {took:?}", case.what);
    assert_eq!(
        snapshot(f.home.dir.path()),
        before,
        "{}: a file changed:\n{out}",
        case.what
    );
    let first_line = stderr.lines().find(|l| l.starts_with("error")).unwrap_or_default();
    println!("{:<40} {:>6}ms  {first_line}", case.what, took.as_millis());
}

/// One #[test] per case: `name => |f| case`, where `f` is the case's own [`Fixture`].
macro_rules! cases {
    ($($name:ident => |$f:ident| $case:expr;)*) => {$(
        #[test]
        fn $name() {
            let $f = Fixture::new();
            let case = $case;
            check(&$f, &case);
        }
    )*};
}

/// Hostile and broken input: every case fails clearly and changes no file.
mod bad_input_fails_clearly_and_changes_no_file {
    use super::*;

    cases! {
        // Flags.
        duration_too_short => |f| case("duration too short", &["ci", "--duration", "5m"], "too short: the API server accepts 10m to 4294967296s");
        duration_too_long => |f| case("duration too long", &["ci", "--duration", "4294967297s"], "too long");
        negative_duration => |f| case("negative duration", &["ci", "--duration=-1h"], "--duration must be greater than or equal to 0");
        sub_second_duration => |f| case("sub-second duration", &["ci", "--duration", "1500ms"], "cannot be expressed in units less than seconds");
        duration_in_days => |f| case("duration in days", &["ci", "--duration", "1d"], "invalid duration \"1d\": unknown unit");
        duration_not_a_number => |f| case("duration not a number", &["ci", "--duration", "soon"], "invalid value 'soon' for '--duration");
        unknown_token_type => |f| case("unknown token type", &["ci", "--type", "forever"], "invalid value 'forever' for '--type");
        bad_service_account_name => |f| case("bad ServiceAccount name", &["Not_A_Name"], "invalid ServiceAccount name \"Not_A_Name\"");
        service_account_name_too_long => |f| case("ServiceAccount name too long", &[&"a".repeat(254)], "invalid ServiceAccount name");
        bad_namespace => |f| case("bad namespace", &["ci", "-n", "Bad_NS"], "invalid namespace \"Bad_NS\"");
        empty_context_name => |f| case("empty context name", &["ci", "--merge", "--context-name", ""], "--context-name must not be empty");
        server_not_a_url => |f| case("server not a URL", &["ci", "--server", "k8s.example.com"], "is not a URL such as https://");
        merge_and_output_file => |f| case("merge and output file", &["ci", "--merge", "--output-file", "x"], "cannot be used with");
        token_output_and_merge => |f| case("token output and merge", &["ci", "-o", "token", "--merge"], "-o token prints only the token");
        json_output_and_merge => |f| case("json output and merge", &["ci", "-o", "json", "--merge"], "drop -o json");
        set_current_without_merge => |f| case("set-current without merge", &["ci", "--set-current"], "--merge");
        secret_with_audience => |f| case("secret with audience", &["ci", "--type", "secret", "--audience", "x"], "apply to --type bound only");
        secret_name_for_bound => |f| case("secret name for bound", &["ci", "--secret-name", "s"], "--secret-name applies to --type secret only");
        revocable_secret => |f| case("revocable secret", &["ci", "--revocable", "--type", "secret"], "--revocable binds a bound token");
        bound_name_without_kind => |f| case("bound name without kind", &["ci", "--bound-object-name", "x"], "can only be set if --bound-object-kind is provided");
        unknown_bound_kind => |f| case("unknown bound kind", &["ci", "--bound-object-kind", "Deployment", "--bound-object-name", "x"], "possible values: Node, Pod, Secret");
        grant_without_kind => |f| case("grant without kind", &["ci", "--grant", "view"], "expected role/NAME or clusterrole/NAME");
        several_without_output_dir => |f| case("several without output-dir", &["ci", "other"], "need --output-dir");
        negative_lock_timeout => |f| case("negative lock timeout", &["ci", "--merge", "--lock-timeout=-1s"], "--lock-timeout must be greater than or equal to 0");
        negative_request_timeout => |f| case("negative request timeout", &["ci", "--request-timeout=-1s"], "--request-timeout must be greater than or equal to 0");
        zero_secret_timeout => |f| case("zero secret timeout", &["ci", "--type", "secret", "--secret-timeout", "0s"], "--secret-timeout must be greater than 0");
        empty_audience => |f| case("empty audience", &["ci", "--audience", ""], "--audience must not be an empty string");
        missing_ca_flag_file => |f| case("missing CA flag file", &["ci", "--certificate-authority", "no-such.pem"], "cannot read --certificate-authority");
        output_file_exists => |f| {
            f.file("existing.kubeconfig", b"do not replace me\n");
            case("output file exists", &["ci", "-n", &f.ns(), "--output-file", "existing.kubeconfig"], "already exists; refusing to overwrite it; pass --force")
        };
        unknown_flag => |f| case("unknown flag", &["ci", "--frobnicate"], "unexpected argument '--frobnicate'");
        // Kubeconfig contents.
        empty_kubeconfig => |f| case("empty kubeconfig", &["ci", "--kubeconfig", &f.file("k/empty", b"")], "no context is set");
        not_yaml => |f| case("not YAML", &["ci", "--kubeconfig", &f.file("k/not-yaml", b"clusters: [unclosed\n  - {\n")], "error loading config file");
        not_utf8 => |f| case("not UTF-8", &["ci", "--kubeconfig", &f.file("k/binary", &[b'k', 0x80, 0xff, 0xfe, 0x00, 0x01])], "file is not valid UTF-8");
        json_array => |f| case("JSON array", &["ci", "--kubeconfig", &f.file("k/json-array", b"[{\"kind\": \"Config\"}]")], "the top level is not a mapping");
        a_bare_string => |f| case("a bare string", &["ci", "--kubeconfig", &f.file("k/scalar", b"just a string\n")], "the top level is not a mapping");
        several_documents => |f| case("several documents", &["ci", "--kubeconfig", &f.file("k/two-docs", b"apiVersion: v1\nkind: Config\n---\napiVersion: v1\nkind: Config\n")], "more than one YAML document");
        clusters_not_a_list => |f| case("clusters not a list", &["ci", "--kubeconfig", &f.file("k/clusters-map", b"clusters: {a: 1}\n")], "clusters is not a list");
        tab_indentation => |f| case("tab indentation", &["ci", "--kubeconfig", &f.file("k/tab-indent", b"clusters:\n\t- name: x\n")], "error loading config file");
        wrong_kind => |f| case("wrong kind", &["ci", "--kubeconfig", &f.variant("k/kind-pod", |d| d["kind"] = json!("Pod"))], "kind is not \"Config\": not a kubeconfig");
        wrong_api_version => |f| case("wrong apiVersion", &["ci", "--kubeconfig", &f.variant("k/api-v2", |d| d["apiVersion"] = json!("v2"))], "apiVersion is not \"v1\": not a kubeconfig");
        duplicate_names => |f| {
            let file = f.variant("k/duplicates", |d| {
                // Two contexts named `local`: kubectl refuses the file (the second points nowhere).
                let mut second = d["contexts"][0].clone();
                second["context"]["cluster"] = json!("nowhere");
                d["contexts"].as_array_mut().expect("contexts").push(second);
            });
            case("duplicate names", &["ci", "--kubeconfig", &file], "duplicate name \"local\" in contexts")
        };
        context_to_a_missing_cluster => |f| case("context to a missing cluster", &["ci", "--kubeconfig", &f.variant("k/no-cluster", |d| d["contexts"][0]["context"]["cluster"] = json!("gone"))], "refers to cluster \"gone\", which does not exist");
        context_to_a_missing_user => |f| case("context to a missing user", &["ci", "--kubeconfig", &f.variant("k/no-user", |d| d["contexts"][0]["context"]["user"] = json!("gone"))], "refers to user \"gone\", which does not exist");
        context_without_cluster => |f| {
            let file = f.variant("k/ctx-without-cluster", |d| {
                d["contexts"][0]["context"].as_object_mut().expect("context").remove("cluster");
            });
            case("context without cluster", &["ci", "--kubeconfig", &file], "has no cluster")
        };
        cluster_without_server => |f| {
            let file = f.variant("k/no-server", |d| {
                d["clusters"][0]["cluster"].as_object_mut().expect("cluster").remove("server");
            });
            case("cluster without server", &["ci", "--kubeconfig", &file], "has no server")
        };
        current_context_missing => |f| case("current-context missing", &["ci", "--kubeconfig", &f.variant("k/current-missing", |d| d["current-context"] = json!("gone"))], "context \"gone\" does not exist");
        no_current_context => |f| {
            let file = f.variant("k/no-current", |d| {
                d.as_object_mut().expect("doc").remove("current-context");
            });
            case("no current-context", &["ci", "--kubeconfig", &file], "no context is set")
        };
        context_flag_missing => |f| case("--context missing", &["ci", "--context", "nope"], "context \"nope\" does not exist");
        ca_file_missing => |f| {
            let file = f.variant("k/ca-missing", |d| {
                let cluster = d["clusters"][0]["cluster"].as_object_mut().expect("cluster");
                cluster.remove("certificate-authority-data");
                cluster.insert("certificate-authority".into(), json!("no-such-ca.pem"));
            });
            case("CA file missing", &["ci", "--kubeconfig", &file], "cannot read the certificate-authority")
        };
        kubeconfig_is_a_directory => |f| case("kubeconfig is a directory", &["ci", "--kubeconfig", &f.dir("k/dir")], "is a directory");
        kubeconfig_entry_is_a_directory => |f| case("KUBECONFIG entry is a directory", &["ci"], "is a directory").env("KUBECONFIG", format!("{}:{}", f.dir("k/dir"), f.config.display()));
        kubeconfig_missing => |f| case("kubeconfig missing", &["ci", "--kubeconfig", &f.kc("k/absent")], "does not exist");
        a_file_in_place_of_a_directory => |f| case("a file in place of a directory", &["ci", "--kubeconfig", &format!("{}/config", f.file("a-file", b"a file where a directory is expected\n"))], "Not a directory");
        unreadable_kubeconfig => |f| case("unreadable kubeconfig", &["ci", "--kubeconfig", "/proc/self/mem"], "Input/output error");
        fifty_mb_that_is_not_utf8 => |f| {
            let file = f.big("big/junk", |p| {
                std::fs::write(p, (0..50 * 1024 * 1024).map(|i| (i % 251) as u8 | 0x80).collect::<Vec<u8>>()).expect("write");
            });
            case("50 MB that is not UTF-8", &["ci", "--kubeconfig", &file], "file is not valid UTF-8")
        };
        fifty_mb_of_nesting => |f| {
            let file = f.big("big/deep", |p| std::fs::write(p, "[".repeat(50 * 1024 * 1024)).expect("write"));
            case("50 MB of nesting", &["ci", "--kubeconfig", &file], "recursion limit exceeded")
        };
        an_endless_kubeconfig => |f| case("an endless kubeconfig", &["ci", "--kubeconfig", "/dev/zero"], "\"/dev/zero\": the file is larger than 256 MiB");
        an_endless_ca_file => |f| case("an endless CA file", &["ci", "--certificate-authority", "/dev/zero"], "the file is larger than 16 MiB");
        // Write targets that cannot be written.
        output_file_under_proc => |f| case("output file under /proc", &["ci", "-n", &f.ns(), "--output-file", "/proc/satoken-out"], "cannot write");
        output_file_below_a_file => |f| case("output file below a file", &["ci", "-n", &f.ns(), "--output-file", &format!("{}/out", f.file("a-file", b"a file where a directory is expected\n"))], "cannot write");
        output_dir_under_proc => |f| case("output dir under /proc", &["ci", "-n", &f.ns(), "--output-dir", "/proc/satoken-dir"], "cannot write");
        lock_path_is_a_directory => |f| {
            std::fs::create_dir(format!("{}.lock", f.config.display())).expect("mkdir lock");
            case("lock path is a directory", &["ci", "-n", &f.ns(), "--merge", "--lock-timeout", "1s"], "is locked")
        };
        output_file_in_a_read_only_directory => |f| {
            let locked = f.read_only("locked");
            case("output file in a read-only directory", &["ci", "-n", &f.ns(), "--output-file", &format!("{locked}/out")], "cannot write").env("KUBECONFIG", f.config.display().to_string())
        };
        merge_into_a_read_only_directory => |f| {
            let locked = f.read_only("locked");
            case("merge into a read-only directory", &["ci", "-n", &f.ns(), "--merge", "--kubeconfig", &format!("{locked}/config")], "cannot lock kubeconfig")
        };
        // Server answers.
        status_401_made_up_token => |f| {
            let file = f.variant("k/garbage-token", |d| d["users"][0]["user"] = json!({"token": "garbage-token-for-a-401"}));
            case("401 (made-up token)", &["ci", "-n", &f.ns(), "--kubeconfig", &file], "Unauthorized")
        };
        status_403_no_rbac => |f| case("403 (no RBAC)", &["ci", "-n", &f.ns(), "--kubeconfig", &f.nobody()], "not allowed to create tokens for serviceaccount \"ci\"");
        status_404_no_service_account => |f| case("404 (no ServiceAccount)", &["missing", "-n", &f.ns()], "serviceaccount \"missing\" not found");
        status_404_no_namespace => |f| case("404 (no namespace)", &["ci", "-n", "no-such-namespace"], "namespace \"no-such-namespace\" not found");
        status_409 => |f| case("409", &["ci", "--kubeconfig", &f.fake(Answer::Status(409, "Conflict", None), "k/fake-409")], "the server refused to create tokens for serviceaccount \"ci\"");
        status_422 => |f| case("422", &["ci", "--kubeconfig", &f.fake(Answer::Status(422, "Invalid", None), "k/fake-422")], "fake server says Invalid");
        status_500 => |f| case("500", &["ci", "--kubeconfig", &f.fake(Answer::Status(500, "InternalError", None), "k/fake-500")], "fake server says InternalError");
        status_502_with_an_html_body => |f| {
            let html = f.fake(Answer::Status(502, "Bad Gateway", Some("<html><body>bad gateway</body></html>")), "k/fake-html");
            case("502 with an HTML body", &["ci", "--kubeconfig", &html], "502")
        };
        connection_closed => |f| case("connection closed", &["ci", "--kubeconfig", &f.fake(Answer::Close, "k/fake-close")], "cannot reach the API server");
        no_answer => |f| case("no answer", &["ci", "--kubeconfig", &f.fake(Answer::Silent, "k/fake-silent"), "--request-timeout", "2s"], "cannot reach the API server");
        tls_to_a_plain_server => |f| {
            let server = fake_server(Answer::Status(200, "OK", None)).replace("http://", "https://");
            let file = fake_config(&f.home, "k/fake-https", &server);
            case("TLS to a plain server", &["ci", "--kubeconfig", &file, "--request-timeout", "5s"], "cannot reach the API server")
        };
        tls_name_that_does_not_match => |f| {
            let file = f.variant("k/wrong-tls-name", |d| d["clusters"][0]["cluster"]["tls-server-name"] = json!("wrong.example.com"));
            case("TLS name that does not match", &["ci", "-n", &f.ns(), "--kubeconfig", &file], "certificate")
        };
        ca_that_did_not_sign_the_server => |f| {
            let ca = other_ca_base64(f.home.dir.path());
            let file = f.variant("k/other-ca", |d| d["clusters"][0]["cluster"]["certificate-authority-data"] = json!(ca));
            case("CA that did not sign the server", &["ci", "-n", &f.ns(), "--kubeconfig", &file], "certificate")
        };
        merge_while_the_server_refuses => |f| case("merge while the server refuses", &["ci", "--merge", "--kubeconfig", &f.fake(Answer::Status(409, "Conflict", None), "k/fake-409")], "the server refused");
    }
}

#[test]
fn a_json_kubeconfig_works_as_source_and_as_merge_target() {
    let ns = Namespace::new("json-kubeconfig");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let doc = yaml(&std::fs::read_to_string(support::admin_kubeconfig()).expect("admin"));
    let file = home.path("config.json");
    std::fs::write(&file, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let f = file.display().to_string();
    let out = run(&mut home.satoken(["ci", "-n", &ns.name, "--kubeconfig", &f])).ok();
    assert!(yaml(&out.stdout_text())["users"][0]["user"]["token"].is_string());
    run(&mut home.satoken(["ci", "-n", &ns.name, "--kubeconfig", &f, "--merge"])).ok();
    let merged = yaml(&std::fs::read_to_string(&file).expect("read"));
    for list in ["clusters", "users", "contexts"] {
        let items = merged[list].as_array().expect("list");
        assert_eq!(items[0], doc[list][0], "the admin's {list} entry is unchanged");
        assert_eq!(items.len(), 2, "{list}");
    }
    assert_eq!(merged["current-context"], doc["current-context"]);
    run(&mut home.kubectl(["config", "view", "--kubeconfig", &f])).ok();
}

#[test]
fn a_hostile_server_cannot_put_terminal_escapes_on_stderr() {
    let home = Home::new();
    let body = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mfake\r\u{8}";
    let server = fake_server(Answer::Status(
        500,
        "InternalError",
        Some(Box::leak(
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": body, "code": 500})
                .to_string()
                .into_boxed_str(),
        )),
    ));
    let config = fake_config(&home, "config", &server);
    let out = run(&mut home.satoken(["ci", "--kubeconfig", &config])).fails();
    let stderr = out.stderr_text();
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "control characters from the server reached the terminal: {stderr:?}"
    );
}

/// A kubeconfig that holds a name twice in one list is refused by every command that loads
/// it, before any request, as kubectl refuses it (`duplicate name "x" in list`). The
/// message names the file, the list and the name; unlike kubectl's, it does not print the
/// list, whose entries hold tokens. Completion offers nothing from such a file. No cluster
/// is needed: the server named in the file does not exist.
#[test]
fn a_name_twice_in_one_kubeconfig_is_refused_by_every_command_without_its_values() {
    let home = Home::new();
    let file = home.path("dup.kubeconfig");
    let text = "apiVersion: v1\nkind: Config\n\
        clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n\
        users:\n- name: u\n  user: {token: DUPLICATE-SECRET-ONE}\n- name: u\n  user: {token: DUPLICATE-SECRET-TWO}\n\
        contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ns}\n\
        current-context: x\n";
    std::fs::write(&file, text).expect("write");
    let f = file.to_str().expect("utf-8");
    let expected = format!("error: error loading config file \"{f}\": duplicate name \"u\" in users");
    let before = snapshot(home.dir.path());
    for args in [
        vec!["ci", "--kubeconfig", f],
        vec!["ci", "--merge", "--kubeconfig", f],
        vec!["ci", "--output-file", "out", "--kubeconfig", f],
        vec!["list", "--kubeconfig", f],
        vec!["inspect", "x", "--kubeconfig", f],
        vec!["inspect", "--file", f],
        vec!["refresh", "x", "--kubeconfig", f],
        vec!["revoke", "x", "--kubeconfig", f],
    ] {
        let out = run(&mut home.satoken(&args)).fails().stderr_has(&expected);
        let stderr = out.stderr_text();
        assert!(
            !stderr.contains("DUPLICATE-SECRET"),
            "{args:?}: a token on stderr:\n{out}"
        );
        assert!(!stderr.contains("cannot reach"), "{args:?}: a request was made:\n{out}");
        assert_eq!(snapshot(home.dir.path()), before, "{args:?}: a file changed");
    }
    // The same file read through KUBECONFIG, and kubectl's own verdict on it.
    run(home.satoken(["list"]).env("KUBECONFIG", &file))
        .fails()
        .stderr_has(&expected);
    run(&mut home.kubectl(["config", "view", "--kubeconfig", f]))
        .fails()
        .stderr_has("duplicate name \"u\" in list");
    // Completion: the contexts of a file kubectl refuses are not offered.
    let out = run(home.satoken(["__complete", "--context", ""]).env("KUBECONFIG", &file)).ok();
    assert!(!out.stdout_text().lines().any(|l| l == "x"), "{out}");
    let fixed = text.replace("- name: u\n  user: {token: DUPLICATE-SECRET-TWO}\n", "");
    std::fs::write(&file, fixed).expect("write");
    let out = run(home.satoken(["__complete", "--context", ""]).env("KUBECONFIG", &file)).ok();
    assert!(
        out.stdout_text().lines().any(|l| l == "x"),
        "without the duplicate: {out}"
    );
}

/// A CA that is not a CA (from --certificate-authority, or a source cluster's
/// `certificate-authority` file or `certificate-authority-data`) is refused before any
/// request: `--certificate-authority /proc/self/environ` used to embed the environment in the
/// new kubeconfig. No token is issued (no token Secret appears), no file is written, and
/// the error names where the CA came from without repeating what it holds.
#[test]
fn a_ca_that_holds_no_certificate_is_refused_before_any_token_is_issued() {
    use base64::Engine;
    let ns = Namespace::new("ca-content");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let n = ns.name.as_str();
    let home = Home::new();
    home.admin_config(".kube/config");
    let marker = "SATOKEN-MARKER-9f2c41e7";
    let junk = home.path("junk.pem");
    std::fs::write(&junk, format!("NOT_A_CA={marker}\n")).expect("write");
    let junk = junk.display().to_string();
    let entry_file = variant(&home, "k/ca-junk-file", |d| {
        let cluster = d["clusters"][0]["cluster"].as_object_mut().expect("cluster");
        cluster.remove("certificate-authority-data");
        cluster.insert("certificate-authority".into(), json!("../junk.pem"));
    });
    let entry_data = variant(&home, "k/ca-junk-data", |d| {
        let data = base64::engine::general_purpose::STANDARD.encode(format!("NOT_A_CA={marker}"));
        d["clusters"][0]["cluster"]["certificate-authority-data"] = json!(data);
    });
    let (entry_file, entry_data) = (entry_file.display().to_string(), entry_data.display().to_string());
    #[rustfmt::skip]
    let cases: [(&str, Vec<&str>, &str); 5] = [
        ("flag: /proc/self/environ", vec!["--certificate-authority", "/proc/self/environ"], "--certificate-authority /proc/self/environ holds no PEM certificate"),
        ("flag: /proc/self/environ, merge", vec!["--merge", "--certificate-authority", "/proc/self/environ"], "holds no PEM certificate"),
        ("flag: a file of junk", vec!["--output-file", "out.kubeconfig", "--certificate-authority", &junk], "holds no PEM certificate"),
        ("entry: a file of junk", vec!["--kubeconfig", &entry_file], "holds no PEM certificate"),
        ("entry: data of junk", vec!["--kubeconfig", &entry_data], "is not base64 of a PEM certificate"),
    ];
    for (what, extra, phrase) in cases {
        let before = snapshot(home.dir.path());
        let mut cmd = home.satoken(["ci", "-n", n, "--type", "secret"]);
        cmd.args(&extra).env("SATOKEN_TEST_MARKER", marker);
        let out = run(&mut cmd).fails().stderr_has(phrase);
        assert!(
            !out.stderr_text().contains(marker),
            "{what}: the CA's content on stderr:\n{out}"
        );
        assert_eq!(out.stdout_text(), "", "{what}");
        assert_eq!(snapshot(home.dir.path()), before, "{what}: a file changed:\n{out}");
        let secrets = admin_ok(["get", "secrets", "-n", n, "-o", "name"]);
        assert_eq!(secrets.stdout_text(), "", "{what}: a token Secret was created:\n{out}");
    }
}
