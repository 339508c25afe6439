//! Test support: the local control plane (started once per test run, or the one named by
//! `SATOKEN_TEST_KUBECONFIG`), a namespace per test, and a command runner whose failures show
//! the command, its stdout and its stderr.
#![allow(dead_code)] // the hostile server keeps replies and accessors no test uses yet

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;

pub mod hostile;
pub mod release;

/// The real kubectl the generated kubeconfigs are checked with: `$KUBECTL`, else kubectl 1.33
/// where the Google Cloud SDK installs it.
pub fn kubectl_bin() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::var("KUBECTL").unwrap_or_else(|_| "/usr/lib/google-cloud-sdk/bin/kubectl.1.33".to_owned())
    })
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn satoken_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kubectl-satoken")
}

/// The admin kubeconfig of the test cluster: `SATOKEN_TEST_KUBECONFIG`, else the local
/// cluster, brought up on first use (the script reuses a running one).
pub fn admin_kubeconfig() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(path) = std::env::var_os("SATOKEN_TEST_KUBECONFIG") {
            return PathBuf::from(path);
        }
        let script = repo().join("tests/cluster/local-cluster");
        let out = run_checked(Command::new(&script).arg("up"));
        let last = out.stdout_text().lines().last().map(str::to_string);
        PathBuf::from(last.unwrap_or_else(|| panic!("local-cluster up printed no kubeconfig path\n{out}")))
    })
}

/// The output of a finished command, printable as a failure report.
pub struct Run {
    pub command: String,
    pub output: Output,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn success(&self) -> bool {
        self.output.status.success()
    }
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
    /// Panics with the whole report unless the command succeeded.
    pub fn ok(self) -> Self {
        assert!(self.success(), "command failed:\n{self}");
        self
    }
    /// Panics with the whole report unless the command failed (without a panic of its own).
    pub fn fails(self) -> Self {
        assert!(!self.success(), "command should have failed:\n{self}");
        assert!(!self.stderr_text().contains("panicked"), "command panicked:\n{self}");
        self
    }
    /// Panics unless stderr contains `needle`.
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(self.stderr_text().contains(needle), "stderr lacks {needle:?}:\n{self}");
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "COMMAND: {}\nSTATUS: {}\nSTDOUT:\n{}\nSTDERR:\n{}",
            self.command,
            self.output.status,
            self.stdout_text(),
            self.stderr_text()
        )
    }
}

fn describe(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| format!("{}={}", k.to_string_lossy(), v.to_string_lossy())))
        .collect();
    parts.push(cmd.get_program().to_string_lossy().into_owned());
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

pub fn run(cmd: &mut Command) -> Run {
    let command = describe(cmd);
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    Run { command, output }
}

pub fn run_checked(cmd: &mut Command) -> Run {
    run(cmd).ok()
}

/// A scratch HOME with its own kubeconfig(s): commands run here never see the user's files.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A copy of the admin kubeconfig at `rel` (the source the tool reads).
    pub fn admin_config(&self, rel: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::copy(admin_kubeconfig(), &path).expect("copy admin kubeconfig");
        path
    }

    /// `program` with HOME here, only PATH from this process, and the home as working directory.
    pub fn base(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path());
        cmd
    }

    /// kubectl-satoken with `args`, HOME here and no KUBECONFIG unless `env` sets one.
    pub fn satoken<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.base(satoken_bin());
        cmd.args(args);
        cmd
    }

    /// The real kubectl 1.33, HOME here.
    pub fn kubectl<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.base(kubectl_bin());
        cmd.args(args);
        cmd
    }
}

/// kubectl as the cluster admin.
pub fn admin<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(kubectl_bin());
    cmd.arg("--kubeconfig").arg(admin_kubeconfig()).args(args);
    run(&mut cmd)
}

pub fn admin_ok<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    admin(args).ok()
}

/// A namespace of the test's own, deleted when the test ends.
pub struct Namespace {
    pub name: String,
}

impl Namespace {
    pub fn new(test: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let slug: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .take(40)
            .collect();
        let name = format!("{}-{}-{n}", slug.trim_matches('-'), std::process::id());
        admin_ok(["create", "namespace", &name]);
        Namespace { name }
    }

    /// A ServiceAccount in this namespace that may list pods here (a Role and RoleBinding).
    pub fn service_account_that_lists_pods(&self, sa: &str) {
        let ns = self.name.as_str();
        admin_ok(["create", "serviceaccount", sa, "-n", ns]);
        admin_ok([
            "create",
            "role",
            "pod-reader",
            "-n",
            ns,
            "--verb=get,list",
            "--resource=pods",
        ]);
        admin_ok([
            "create",
            "rolebinding",
            &format!("{sa}-pod-reader"),
            "-n",
            ns,
            "--role=pod-reader",
            &format!("--serviceaccount={ns}:{sa}"),
        ]);
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // The namespace controller finishes in the background; the test does not wait.
        let _ = admin(["delete", "namespace", &self.name, "--wait=false"]);
    }
}

/// The claims of a JWT, unverified.
pub fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Parses YAML (or JSON) text into a JSON value for assertions.
pub fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

/// Creates objects from a YAML manifest as the admin.
pub fn admin_apply(manifest: &str) -> Run {
    let mut cmd = Command::new(kubectl_bin());
    cmd.arg("--kubeconfig")
        .arg(admin_kubeconfig())
        .args(["apply", "-f", "-"]);
    let command = describe(&cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kubectl");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(manifest.as_bytes()).expect("write manifest");
    }
    let output = child.wait_with_output().expect("kubectl apply");
    Run { command, output }.ok()
}

/// Polls `f` every 100 ms until it returns Some, for at most `secs` seconds.
pub fn eventually<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The names in a directory, sorted: to see what a run left behind.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `args` under a pseudo-terminal (util-linux `script`), so stdout and stderr are a terminal;
/// returns what the terminal showed.
pub fn on_a_terminal(home: &Home, args: &str, extra_env: &[(&str, &str)]) -> String {
    let command = format!("{} {args}", satoken_bin());
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("HOME", home.dir.path())
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("KUBECONFIG");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd);
    out.stdout_text()
}
