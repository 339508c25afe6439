//! `kubectl satoken <TAB>` through the real kubectl 1.33: kubectl finds the shipped
//! `completions/kubectl_complete-satoken` on PATH and runs it with the words typed after
//! `satoken`; the script runs `kubectl-satoken __complete`. `kubectl __complete satoken ...`
//! is what kubectl's own shell completion calls.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{Home, Namespace, admin_ok, run};

/// A scratch HOME whose PATH starts with a directory holding `kubectl-satoken` and the
/// committed `kubectl_complete-satoken`, as a user installs them.
struct Setup {
    home: Home,
    bin: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let home = Home::new();
        let bin = home.path("bin");
        std::fs::create_dir_all(&bin).expect("mkdir bin");
        std::os::unix::fs::symlink(support::satoken_bin(), bin.join("kubectl-satoken")).expect("symlink plugin");
        let script = support::repo().join("completions/kubectl_complete-satoken");
        // `install -m 0755`, as the README says.
        let status = std::process::Command::new("install")
            .args(["-m", "0755"])
            .arg(&script)
            .arg(&bin)
            .status()
            .expect("run install");
        assert!(status.success(), "install {} failed", script.display());
        Setup { home, bin }
    }

    /// `kubectl __complete satoken WORDS...` with `env`; returns (candidates, directive).
    fn complete(&self, env: &[(&str, &Path)], words: &[&str]) -> (Vec<String>, String) {
        let mut cmd = self.home.kubectl(["__complete", "satoken"]);
        cmd.args(words);
        let path = format!("{}:/usr/bin:/bin", self.bin.display());
        cmd.env("PATH", path);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = run(&mut cmd).ok();
        let stdout = out.stdout_text();
        let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
        let directive = lines.pop().unwrap_or_default();
        assert!(directive.starts_with(':'), "the last line is not a directive:\n{out}");
        // Candidates without their descriptions.
        let values = lines
            .iter()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect();
        (values, directive)
    }

    /// The admin kubeconfig copied into this HOME, as `~/.kube/config`.
    fn admin_home_config(&self) -> PathBuf {
        self.home.admin_config(".kube/config")
    }
}

fn has(values: &[String], wanted: &str) -> bool {
    values.iter().any(|v| v == wanted)
}

#[test]
fn subcommands_and_flags() {
    let s = Setup::new();
    assert_eq!(s.complete(&[], &["li"]), (vec!["list".to_string()], ":4".to_string()));
    assert_eq!(s.complete(&[], &["--kubec"]).0, ["--kubeconfig"]);
    assert_eq!(s.complete(&[], &["revoke", "--keep"]).0, ["--keep-context"]);
    assert_eq!(s.complete(&[], &["ci", "--type", ""]).0, ["bound", "secret"]);
    // Every visible subcommand, none of the hidden ones.
    let (all, _) = s.complete(&[], &[""]);
    for sub in ["create", "list", "inspect", "refresh", "revoke", "completion"] {
        assert!(has(&all, sub), "{sub} missing from {all:?}");
    }
    assert!(!has(&all, "__complete"), "{all:?}");
    // A file value: the shell completes file names (directive 0).
    assert_eq!(s.complete(&[], &["--kubeconfig", ""]), (vec![], ":0".to_string()));
}

/// On Windows kubectl finds `kubectl_complete-satoken.cmd` through PATHEXT. It must run the
/// very command of the sh helper, with the words as kubectl passed them (`%*` for `"$@"`),
/// print nothing of its own (`@echo off` first), and keep cmd.exe's CRLF line endings.
#[test]
fn the_windows_helper_runs_the_same_command_as_the_sh_one() {
    let read = |name: &str| {
        let path = support::repo().join("completions").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    };
    let commands = |text: &str, comment: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.is_empty() && !l.starts_with(comment) && !l.starts_with("@echo off"))
            .map(str::to_string)
            .collect()
    };
    let sh = commands(&read("kubectl_complete-satoken"), "#");
    let [sh] = sh.as_slice() else {
        panic!("the sh helper runs one command: {sh:?}");
    };
    let expected = sh
        .strip_prefix("exec ")
        .and_then(|c| c.strip_suffix(" \"$@\""))
        .and_then(|c| c.split_once(' '))
        // The .cmd runs the .exe in its own folder (%~dp0), the sh one the one on PATH.
        .map(|(program, args)| format!("\"%~dp0{program}.exe\" {args} %*"))
        .unwrap_or_else(|| panic!("the sh helper is `exec COMMAND \"$@\"`: {sh}"));
    let cmd = read("kubectl_complete-satoken.cmd");
    assert!(cmd.starts_with("@echo off\r\n"), "{cmd:?}");
    assert!(
        cmd.split_inclusive('\n').all(|l| l.ends_with("\r\n")),
        "every line ends in CRLF: {cmd:?}"
    );
    assert_eq!(commands(&cmd, "rem "), [expected]);
}

#[test]
fn namespaces_after_n() {
    let ns = Namespace::new("completion namespaces");
    let s = Setup::new();
    s.admin_home_config();
    let prefix = &ns.name[..ns.name.len() - 2];
    let (values, directive) = s.complete(&[], &["ci", "-n", prefix]);
    assert!(has(&values, &ns.name), "{} missing from {values:?}", ns.name);
    assert_eq!(directive, ":4");
    let (values, _) = s.complete(&[], &["--namespace", ""]);
    assert!(has(&values, "kube-system") && has(&values, &ns.name), "{values:?}");
    let (values, _) = s.complete(&[], &[&format!("--namespace={prefix}")]);
    assert!(has(&values, &format!("--namespace={}", ns.name)), "{values:?}");
}

#[test]
fn service_accounts_of_the_chosen_namespace() {
    let ns = Namespace::new("completion service accounts");
    for sa in ["ci", "deployer"] {
        admin_ok(["create", "serviceaccount", sa, "-n", &ns.name]);
    }
    let s = Setup::new();
    let config = s.admin_home_config();

    // -n names the namespace.
    let (values, _) = s.complete(&[], &["-n", &ns.name, ""]);
    assert!(has(&values, "ci") && has(&values, "deployer"), "{values:?}");
    let (values, _) = s.complete(&[], &["create", "-n", &ns.name, "dep"]);
    assert_eq!(values, ["deployer"]);
    // A second ServiceAccount (for --output-dir): not the one already typed.
    let (values, _) = s.complete(&[], &["ci", "-n", &ns.name, ""]);
    assert!(has(&values, "deployer") && !has(&values, "ci"), "{values:?}");

    // Without -n: the context's namespace. The first word also offers the subcommands.
    run(&mut s
        .home
        .kubectl(["config", "set-context", "--current", "--namespace", &ns.name]))
    .ok();
    let (values, _) = s.complete(&[], &[""]);
    assert!(
        has(&values, "ci") && has(&values, "deployer") && has(&values, "list"),
        "{values:?}"
    );
    // ... of the context named with --context, in the file named with --kubeconfig.
    let other = s.home.path("other.kubeconfig");
    std::fs::copy(&config, &other).expect("copy kubeconfig");
    run(&mut s.home.kubectl([
        "--kubeconfig",
        "other.kubeconfig",
        "config",
        "rename-context",
        "local",
        "elsewhere",
    ]))
    .ok();
    let other_arg = other.to_string_lossy().into_owned();
    let (values, _) = s.complete(&[], &["--kubeconfig", &other_arg, "--context", "elsewhere", "dep"]);
    assert_eq!(values, ["deployer"]);
}

#[test]
fn contexts_from_the_kubeconfig_chain() {
    let s = Setup::new();
    let a = s.home.path("a.kubeconfig");
    let b = s.home.path("b.kubeconfig");
    std::fs::write(
        &a,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: alpha\n  context: {cluster: x, user: y}\n",
    )
    .expect("write a");
    std::fs::write(
        &b,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: beta\n  context: {cluster: x, user: y}\n",
    )
    .expect("write b");
    let chain = std::env::join_paths([&a, &b]).expect("join");
    let chain = PathBuf::from(chain);
    let (values, directive) = s.complete(&[("KUBECONFIG", &chain)], &["ci", "--context", ""]);
    assert_eq!(values, ["alpha", "beta"]);
    assert_eq!(directive, ":4");
    // --kubeconfig typed earlier replaces the chain.
    let b_arg = b.to_string_lossy().into_owned();
    let (values, _) = s.complete(&[("KUBECONFIG", &chain)], &["--kubeconfig", &b_arg, "--context", ""]);
    assert_eq!(values, ["beta"]);
    let (values, _) = s.complete(&[("KUBECONFIG", &chain)], &["--context=al"]);
    assert_eq!(values, ["--context=alpha"]);
}

#[test]
fn lifecycle_commands_complete_the_contexts_this_tool_created() {
    let ns = Namespace::new("completion managed contexts");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let s = Setup::new();
    s.admin_home_config();
    run(&mut s.home.satoken(["ci", "-n", &ns.name, "--merge", "--quiet"])).ok();
    let made = format!("local/{}/ci", ns.name);
    for sub in ["inspect", "refresh", "revoke"] {
        let (values, directive) = s.complete(&[], &[sub, ""]);
        assert_eq!(
            values,
            std::slice::from_ref(&made),
            "{sub}: only the context kubectl-satoken made"
        );
        assert_eq!(directive, ":4");
    }
}

/// A server that accepts connections and never answers: the lookup gives up after about a
/// second, prints no candidate, and still prints the directive.
#[test]
fn a_hanging_server_gives_no_candidates_within_about_a_second() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let s = Setup::new();
    let config = s.home.path("hang.kubeconfig");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: hang\n  cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: hang\n  context: {{cluster: hang, user: u}}\ncurrent-context: hang\n"
        ),
    )
    .expect("write kubeconfig");
    for words in [&["-n", ""][..], &["-n", "default", ""]] {
        let start = Instant::now();
        let answer = s.complete(&[("KUBECONFIG", &config)], words);
        let took = start.elapsed();
        assert_eq!(answer, (vec![], ":4".to_string()), "{words:?}");
        assert!(took < Duration::from_secs(3), "{words:?} took {took:?}");
        assert!(
            took >= Duration::from_millis(900),
            "{words:?} returned before the budget: {took:?}"
        );
        eprintln!("hanging server, {words:?}: {took:?}");
    }
    drop(listener);
}

/// An exec credential plugin that takes its time (a cloud CLI, a login waiting for a browser)
/// runs synchronously inside the client: the completion still answers after about a second.
#[test]
fn a_slow_credential_plugin_gives_no_candidates_within_about_a_second() {
    let s = Setup::new();
    let plugin = s.home.path("slow-credentials");
    std::fs::write(&plugin, "#!/bin/sh\nexec sleep 10\n").expect("write plugin");
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let config = s.home.path("slow.kubeconfig");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:1'}}\nusers:\n- name: u\n  user:\n    exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{}', interactiveMode: Never}}\ncontexts:\n- name: slow\n  context: {{cluster: c, user: u}}\ncurrent-context: slow\n",
            plugin.display()
        ),
    )
    .expect("write kubeconfig");
    let start = Instant::now();
    let answer = s.complete(&[("KUBECONFIG", &config)], &["-n", ""]);
    let took = start.elapsed();
    assert_eq!(answer, (vec![], ":4".to_string()));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    eprintln!("slow credential plugin: {took:?}");
}

/// Completing against the live cluster is quick; the time is printed for the record.
#[test]
fn completion_latency_against_the_local_cluster() {
    let ns = Namespace::new("completion latency");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let s = Setup::new();
    s.admin_home_config();
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let (values, _) = s.complete(&[], &["-n", &ns.name, ""]);
        times.push(start.elapsed());
        assert!(has(&values, "ci"), "{values:?}");
    }
    times.sort();
    eprintln!(
        "kubectl __complete satoken -n NS '': median {:?}, max {:?}",
        times[2], times[4]
    );
    assert!(times[2] < Duration::from_secs(1), "median {:?}", times[2]);
}
