//! `--merge`: where entries go (compared with what kubectl 1.33 does from the same starting
//! files), what survives, locks, symlinks, modes, and the source cluster's TLS settings.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{Home, Namespace, admin_ok, run, yaml};

const OTHER: &str = "apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: 'https://other.example:6443'}
users:
- name: other
  user: {token: other-token}
contexts:
- name: other
  context: {cluster: other, user: other}
";

fn admin_text() -> String {
    std::fs::read_to_string(support::admin_kubeconfig()).expect("admin kubeconfig")
}

/// Lays out the starting files in a fresh HOME: each is the admin kubeconfig, another
/// kubeconfig, or absent.
#[derive(Clone, Copy)]
enum Start {
    Admin,
    Other,
    Absent,
}

fn lay_out(home: &Home, files: &[(&str, Start)]) {
    for (rel, start) in files {
        let path = home.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        match start {
            Start::Admin => std::fs::write(&path, admin_text()).expect("write"),
            Start::Other => std::fs::write(&path, OTHER).expect("write"),
            Start::Absent => {}
        }
    }
}

/// The files (relative names) whose contexts include `name`.
fn files_with_context(home: &Home, files: &[(&str, Start)], name: &str) -> Vec<String> {
    files
        .iter()
        .filter(|(rel, _)| {
            std::fs::read_to_string(home.path(rel)).ok().is_some_and(|text| {
                yaml(&text)["contexts"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|c| c["name"] == name))
            })
        })
        .map(|(rel, _)| rel.to_string())
        .collect()
}

fn env_list(home: &Home, rels: &[&str]) -> String {
    rels.iter()
        .map(|r| home.path(r).display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Where kubectl and kubectl-satoken put a new context, from identical starting files.
fn placement(
    files: &[(&str, Start)],
    kubeconfig_env: Option<&[&str]>,
    flag: Option<&str>,
    ns: &str,
) -> (Vec<String>, Vec<String>) {
    let ours = Home::new();
    let theirs = Home::new();
    lay_out(&ours, files);
    lay_out(&theirs, files);

    let mut ours_cmd = ours.satoken(["ci", "-n", ns, "--merge", "--context", "local"]);
    let mut theirs_cmd = theirs.kubectl(["config", "set-context", "probe", "--cluster=local", "--user=admin"]);
    if let Some(rels) = kubeconfig_env {
        ours_cmd.env("KUBECONFIG", env_list(&ours, rels));
        theirs_cmd.env("KUBECONFIG", env_list(&theirs, rels));
    }
    if let Some(rel) = flag {
        ours_cmd.arg("--kubeconfig").arg(ours.path(rel));
        theirs_cmd.arg("--kubeconfig").arg(theirs.path(rel));
    }
    run(&mut ours_cmd).ok();
    run(&mut theirs_cmd).ok();
    let name = format!("local/{ns}/ci");
    (
        files_with_context(&ours, files, &name),
        files_with_context(&theirs, files, "probe"),
    )
}

#[test]
fn new_entries_go_where_kubectl_puts_them() {
    let ns = Namespace::new("placement");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let n = ns.name.as_str();
    use Start::*;
    // (starting files, KUBECONFIG, --kubeconfig, the file kubectl picks)
    type Case<'a> = (Vec<(&'a str, Start)>, Option<Vec<&'a str>>, Option<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        // KUBECONFIG=a:b, both exist: the first.
        (vec![("a", Other), ("b", Admin)], Some(vec!["a", "b"]), None, "a"),
        // a missing: the first that exists.
        (vec![("a", Absent), ("b", Admin)], Some(vec!["a", "b"]), None, "b"),
        (
            vec![("a", Absent), ("b", Admin), ("c", Other)],
            Some(vec!["a", "b", "c"]),
            None,
            "b",
        ),
        // One KUBECONFIG entry.
        (vec![("only", Admin)], Some(vec!["only"]), None, "only"),
        // --kubeconfig wins over KUBECONFIG.
        (vec![("a", Other), ("f", Admin)], Some(vec!["a"]), Some("f"), "f"),
        // Neither: ~/.kube/config.
        (vec![(".kube/config", Admin)], None, None, ".kube/config"),
    ];
    for (files, env, flag, expected) in cases {
        let (ours, theirs) = placement(&files, env.as_deref(), flag, n);
        assert_eq!(
            theirs,
            vec![expected.to_string()],
            "kubectl's placement changed for {env:?} {flag:?}"
        );
        assert_eq!(ours, theirs, "KUBECONFIG={env:?} --kubeconfig={flag:?}");
    }
}

#[test]
fn existing_entries_stay_in_their_file_and_current_context_goes_where_kubectl_writes_it() {
    let ns = Namespace::new("existing");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    lay_out(&home, &[("a", Start::Other), ("b", Start::Admin)]);
    let env = env_list(&home, &["a", "b"]);
    let name = format!("local/{}/ci", ns.name);

    // First run writes to b (via --kubeconfig), the second (a:b) must update it in b.
    run(home
        .satoken(["ci", "-n", &ns.name, "--merge", "--kubeconfig"])
        .arg(home.path("b")))
    .ok();
    let first = yaml(&std::fs::read_to_string(home.path("b")).expect("b"));
    run(home
        .satoken(["ci", "-n", &ns.name, "--merge", "--set-current"])
        .env("KUBECONFIG", &env))
    .ok()
    .stderr_has(&format!("Context \"{name}\" written to {}", home.path("b").display()));
    let files = [("a", Start::Other), ("b", Start::Other)];
    assert_eq!(files_with_context(&home, &files, &name), vec!["b".to_string()]);
    let second = yaml(&std::fs::read_to_string(home.path("b")).expect("b"));
    let token = |doc: &Value| {
        doc["users"]
            .as_array()
            .and_then(|l| l.iter().find(|u| u["name"] == name.as_str()))
            .map(|u| u["user"]["token"].clone())
    };
    assert_ne!(token(&first), token(&second), "a re-run refreshes the token");
    for key in ["clusters", "users", "contexts"] {
        let count = second[key]
            .as_array()
            .expect("list")
            .iter()
            .filter(|e| e["name"] == name.as_str())
            .count();
        assert_eq!(count, 1, "{key}: one entry, replaced in place");
    }

    // kubectl config use-context writes current-context to the first file (a); so do we.
    let a = yaml(&std::fs::read_to_string(home.path("a")).expect("a"));
    assert_eq!(a["current-context"], name.as_str());
    let theirs = Home::new();
    lay_out(&theirs, &[("a", Start::Other), ("b", Start::Admin)]);
    run(theirs
        .kubectl(["config", "use-context", "other"])
        .env("KUBECONFIG", env_list(&theirs, &["a", "b"])))
    .ok();
    assert_eq!(
        yaml(&std::fs::read_to_string(theirs.path("a")).expect("a"))["current-context"],
        "other"
    );

    // And the merged context works through the whole chain.
    let whoami = run(home
        .kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
        .env("KUBECONFIG", &env))
    .ok();
    assert_eq!(whoami.stdout_text(), format!("system:serviceaccount:{}:ci", ns.name));
}

#[test]
fn without_set_current_the_current_context_is_untouched() {
    let ns = Namespace::new("nocurrent");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge"])).ok();
    assert_eq!(
        yaml(&std::fs::read_to_string(&config).expect("read"))["current-context"],
        "local"
    );
}

#[test]
fn unknown_fields_extensions_and_preferences_survive_a_merge() {
    let ns = Namespace::new("unknown");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let mut start = yaml(&admin_text());
    start["preferences"] = json!({"colors": true, "extensions": [{"name": "p", "extension": {"k": "v"}}]});
    start["x-top-level"] = json!({"kept": ["yes", "no", "0123", "null", "", 1.5]});
    start["clusters"][0]["cluster"]["x-unknown"] = json!("kept");
    start["clusters"][0]["cluster"]["extensions"] = json!([{"name": "vendor", "extension": {"a": 1}}]);
    start["users"][0]["x-item-level"] = json!("kept");
    start["contexts"][0]["context"]["x-unknown"] = json!({"nested": [1, 2]});
    start["contexts"]
        .as_array_mut()
        .expect("contexts")
        .push(json!({"name": "extra", "context": {"cluster": "local", "user": "admin", "namespace": "kube-system"}}));
    let config = home.path(".kube/config");
    std::fs::create_dir_all(config.parent().expect("parent")).expect("mkdir");
    std::fs::write(&config, serde_json::to_string_pretty(&start).expect("json")).expect("write");

    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge"])).ok();
    let after = yaml(&std::fs::read_to_string(&config).expect("read"));
    for key in ["preferences", "x-top-level", "current-context", "apiVersion", "kind"] {
        assert_eq!(after[key], start[key], "{key}");
    }
    for key in ["clusters", "users", "contexts"] {
        let before = start[key].as_array().expect("list");
        let now = after[key].as_array().expect("list");
        assert_eq!(
            &now[..before.len()],
            &before[..],
            "pre-existing {key} unchanged and first"
        );
        assert_eq!(now.len(), before.len() + 1, "{key}: one new entry");
    }
    // kubectl still reads the file and sees the new context.
    let contexts = run(&mut home.kubectl(["config", "get-contexts", "-o", "name"]))
        .ok()
        .stdout_text();
    assert!(contexts.contains(&format!("local/{}/ci", ns.name)), "{contexts}");
}

/// A kubeconfig with CRLF line endings (edited on Windows) stays CRLF, keeps its comments,
/// and kubectl 1.33 still reads it and finds the new context.
#[test]
fn a_crlf_kubeconfig_stays_crlf_and_kubectl_reads_it() {
    let ns = Namespace::new("crlf");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.path(".kube/config");
    std::fs::create_dir_all(config.parent().expect("parent")).expect("mkdir");
    let start = format!("# edited on Windows\n{}", admin_text()).replace('\n', "\r\n");
    std::fs::write(&config, &start).expect("write");

    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge"])).ok();
    let after = std::fs::read_to_string(&config).expect("read");
    assert_ne!(after, start);
    assert!(after.starts_with("# edited on Windows\r\n"), "{after:?}");
    assert_eq!(after.matches('\n').count(), after.matches("\r\n").count(), "{after:?}");
    let contexts = run(&mut home.kubectl(["config", "get-contexts", "-o", "name"]))
        .ok()
        .stdout_text();
    assert!(contexts.contains(&format!("local/{}/ci", ns.name)), "{contexts}");
    assert!(contexts.contains("local"), "{contexts}");
}

/// The admin kubeconfig with `n` more clusters, users and contexts before its own entries.
fn admin_with_filler(n: usize) -> String {
    let mut text = admin_text();
    for (list, item) in [
        (
            "clusters",
            "  cluster:\n    server: https://filler-{i}.example:6443\n    x-unknown: [kept]\n",
        ),
        ("users", "  user:\n    token: filler-token-{i}\n"),
        (
            "contexts",
            "  context:\n    cluster: filler-{i}\n    user: filler-{i}\n",
        ),
    ] {
        let filler: String = (0..n)
            .map(|i| format!("- name: filler-{i}\n{}", item.replace("{i}", &i.to_string())))
            .collect();
        let header = format!("\n{list}:\n");
        let at = text.find(&header).expect("block list") + header.len();
        text.insert_str(at, &filler);
    }
    text
}

/// A kubeconfig large enough to be read lean (outlined, only the entries looked up parsed):
/// the printed kubeconfig is the one the small file gives, and a merge keeps every entry.
#[test]
fn a_large_kubeconfig_gives_the_same_kubeconfig_and_merges_keep_every_entry() {
    let ns = Namespace::new("large");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let small = home.admin_config("small");
    let large = home.path("large");
    std::fs::write(&large, admin_with_filler(3000)).expect("write");
    assert!(std::fs::metadata(&large).expect("stat").len() > 256 * 1024, "read lean");

    let printed = |file: &Path| {
        let mut cmd = home.satoken(["ci", "-n", &ns.name, "-o", "json", "--kubeconfig"]);
        let mut doc = yaml(&run(cmd.arg(file)).ok().stdout_text());
        let token = doc["users"][0]["user"]["token"].take();
        assert!(token.as_str().is_some_and(|t| !t.is_empty()));
        doc
    };
    assert_eq!(printed(&large), printed(&small));

    let before = yaml(&std::fs::read_to_string(&large).expect("read"));
    let mut cmd = home.satoken(["ci", "-n", &ns.name, "--merge", "--kubeconfig"]);
    run(cmd.arg(&large)).ok();
    let after = yaml(&std::fs::read_to_string(&large).expect("read"));
    let context = format!("local/{}/ci", ns.name);
    for key in ["clusters", "users", "contexts"] {
        let (was, now) = (
            before[key].as_array().expect("list"),
            after[key].as_array().expect("list"),
        );
        assert_eq!(&now[..was.len()], &was[..], "every {key} entry kept, in order");
        assert_eq!(now.len(), was.len() + 1, "{key}");
        assert_eq!(now[was.len()]["name"], context.as_str());
    }
    assert_eq!(after["current-context"], "local");
    let whoami = run(home
        .kubectl([
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
            "--context",
        ])
        .arg(&context)
        .arg("--kubeconfig")
        .arg(&large))
    .ok();
    assert_eq!(whoami.stdout_text(), format!("system:serviceaccount:{}:ci", ns.name));
}

#[test]
fn a_held_lock_makes_the_merge_wait_then_fail_naming_the_lock_file_with_nothing_written() {
    let ns = Namespace::new("lock");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    let lock = PathBuf::from(format!("{}.lock", config.display()));
    std::fs::write(&lock, "").expect("lock");
    let before = std::fs::read(&config).expect("read");
    let started = std::time::Instant::now();
    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "1s"]))
        .fails()
        .stderr_has(&format!("{} exists", lock.display()))
        .stderr_has("if none is running, remove");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "it waited for the lock"
    );
    assert_eq!(std::fs::read(&config).expect("read"), before);
    assert!(lock.exists(), "someone else's lock is left alone");

    // Released in time: the merge goes through.
    let releaser = std::thread::spawn({
        let lock = lock.clone();
        move || {
            std::thread::sleep(std::time::Duration::from_millis(500));
            std::fs::remove_file(lock).expect("unlock");
        }
    });
    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "10s"])).ok();
    releaser.join().expect("thread");
    assert!(!lock.exists());

    // And kubectl itself respects our lock protocol: while one exists it refuses to write.
    std::fs::write(&lock, "").expect("lock");
    run(&mut home.kubectl(["config", "set-context", "x", "--cluster=local"]))
        .fails()
        .stderr_has("file exists");
}

/// Runs `cmd` for at most 20 s: a command that would hang is killed and the test fails,
/// instead of the test run hanging with it.
fn run_bounded(cmd: &mut std::process::Command) -> support::Run {
    use std::io::Read;
    use std::process::Stdio;
    let command = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after 20 s, killed: {command}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let output = std::process::Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    };
    support::Run { command, output }
}

/// A FIFO, a link to /dev/zero or a directory planted at `<kubeconfig>.lock` is a lock that
/// is not ours: a merge waits for it up to --lock-timeout and then fails naming it, without
/// hanging (a FIFO opened for reading waits for a writer forever) or growing without bound
/// (a link to /dev/zero read whole); `list`, which only reads, is delayed at most briefly.
#[test]
fn a_fifo_link_or_directory_at_the_lock_path_is_a_foreign_lock_that_never_hangs() {
    let ns = Namespace::new("planted-lock");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    for kind in ["fifo", "zero", "dir"] {
        let home = Home::new();
        let config = home.admin_config(".kube/config");
        let lock = PathBuf::from(format!("{}.lock", config.display()));
        match kind {
            "fifo" => drop(run(std::process::Command::new("mkfifo").arg(&lock)).ok()),
            "zero" => std::os::unix::fs::symlink("/dev/zero", &lock).expect("symlink"),
            _ => std::fs::create_dir(&lock).expect("mkdir"),
        }
        let before = std::fs::read(&config).expect("read");
        let listing = support::listing(&home.path(".kube"));
        let started = std::time::Instant::now();
        run_bounded(&mut home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "1s"]))
            .fails()
            .stderr_has(&format!("{} exists", lock.display()))
            .stderr_has("which neither kubectl nor kubectl-satoken creates")
            .stderr_has(&format!("remove {}", lock.display()));
        let took = started.elapsed();
        assert!(
            took >= std::time::Duration::from_secs(1),
            "{kind}: it waited for the lock"
        );
        assert_eq!(std::fs::read(&config).expect("read"), before, "{kind}");
        assert_eq!(
            support::listing(&home.path(".kube")),
            listing,
            "{kind}: nothing added or removed"
        );
        let kept = std::fs::symlink_metadata(&lock).expect("the lock stays");
        assert!(!kept.is_file(), "{kind}: left as it was");

        let started = std::time::Instant::now();
        run_bounded(&mut home.satoken(["list"])).ok();
        let listed = started.elapsed();
        assert!(
            listed < std::time::Duration::from_secs(5),
            "{kind}: list took {listed:?}"
        );
        eprintln!("{kind}: merge failed after {took:?}, list took {listed:?}");
    }
}

/// A kubeconfig its user may not write (their own 0400 file, or root's 0644 file in a
/// directory they may write) is refused by a merge as kubectl refuses it, before any
/// request and with nothing written, although a rename through the directory would work.
/// Run as an unprivileged user (root may write any file, and so may kubectl as root): the
/// test itself must run as root to switch users.
#[test]
fn a_kubeconfig_the_user_may_not_write_is_refused_as_kubectl_refuses_it() {
    use std::os::unix::fs::PermissionsExt;
    let root = run(std::process::Command::new("id").arg("-u"))
        .ok()
        .stdout_text()
        .trim()
        == "0";
    assert!(
        root,
        "this test runs as root, to switch to an unprivileged user with setpriv \
         (skip it with `-- --skip merge::a_kubeconfig_the_user_may_not_write`)"
    );
    let ns = Namespace::new("not-writable");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    const NOBODY: &str = "65534";
    let as_nobody = |home: &Home, program: &str, args: &[&str]| {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"])
            .arg(program)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.dir.path())
            .current_dir(home.dir.path());
        run(&mut cmd)
    };
    for (what, owner, mode) in [("own 0400 file", NOBODY, 0o400), ("root's 0644 file", "0", 0o644)] {
        let home = Home::new();
        let config = home.admin_config(".kube/config");
        for dir in [home.dir.path().to_path_buf(), home.path(".kube")] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod dir");
        }
        run(std::process::Command::new("chown")
            .arg(format!("{owner}:{owner}"))
            .arg(&config))
        .ok();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let before = std::fs::read(&config).expect("read");
        let listing = support::listing(&home.path(".kube"));
        let c = config.to_str().expect("utf-8");

        let out = as_nobody(
            &home,
            support::satoken_bin(),
            &["ci", "-n", &ns.name, "--type", "secret", "--merge", "--kubeconfig", c],
        )
        .fails()
        .stderr_has(&format!("error: cannot write \"{c}\": Permission denied"))
        .stderr_has("kubectl could not write it either");
        assert_eq!(std::fs::read(&config).expect("read"), before, "{what}: {out}");
        assert_eq!(support::listing(&home.path(".kube")), listing, "{what}");
        let meta = std::fs::metadata(&config).expect("stat");
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{what}");
        let secrets = admin_ok(["get", "secrets", "-n", &ns.name, "-o", "name"]).stdout_text();
        assert_eq!(secrets, "", "{what}: no token was issued");

        // kubectl 1.33 fails on the same file, the same way.
        as_nobody(
            &home,
            support::kubectl_bin(),
            &["config", "set-context", "probe", "--cluster=local", "--kubeconfig", c],
        )
        .fails()
        .stderr_has("permission denied");
        assert_eq!(
            std::fs::read(&config).expect("read"),
            before,
            "{what}: kubectl wrote it"
        );

        // Made writable, the same merge goes through.
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        as_nobody(
            &home,
            support::satoken_bin(),
            &["ci", "-n", &ns.name, "--merge", "--kubeconfig", c],
        )
        .ok();
    }
}

#[test]
fn a_symlinked_kubeconfig_stays_a_link_and_modes_follow_kubectl() {
    let ns = Namespace::new("symlink");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let real = home.admin_config("dotfiles/kubeconfig");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let link = home.path(".kube/config");
    std::fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");

    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge"])).ok();
    assert!(
        std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink(),
        "still a symlink"
    );
    let text = std::fs::read_to_string(&real).expect("target");
    assert!(
        text.contains(&format!("local/{}/ci", ns.name)),
        "the target was updated"
    );
    assert_eq!(
        std::fs::metadata(&real).expect("meta").permissions().mode() & 0o777,
        0o644,
        "existing mode kept"
    );

    // A merge never creates a file: the source context must come from an existing one, and
    // kubectl's rule sends new entries to the first existing file. (New files are 0600: the
    // --output-file test and the kubeconfig module's unit tests cover that.)
    let fresh = Home::new();
    fresh.admin_config("src");
    let env = env_list(&fresh, &["new/config", "src"]);
    run(fresh.satoken(["ci", "-n", &ns.name, "--merge"]).env("KUBECONFIG", &env)).ok();
    assert!(
        !fresh.path("new/config").exists(),
        "a missing file that is not the destination is not created"
    );
}

/// Rewrites the admin kubeconfig's cluster entry with `f` and returns the new file.
fn source_with(home: &Home, rel: &str, f: impl FnOnce(&mut Value)) -> PathBuf {
    let mut config = yaml(&admin_text());
    f(&mut config["clusters"][0]["cluster"]);
    let path = home.path(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, serde_json::to_string_pretty(&config).expect("json")).expect("write");
    path
}

fn ca_pem() -> Vec<u8> {
    use base64::Engine;
    let config = yaml(&admin_text());
    base64::engine::general_purpose::STANDARD
        .decode(
            config["clusters"][0]["cluster"]["certificate-authority-data"]
                .as_str()
                .expect("ca"),
        )
        .expect("base64")
}

fn merged_cluster(file: &Path, name: &str) -> Value {
    let doc = yaml(&std::fs::read_to_string(file).expect("read"));
    doc["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .find(|c| c["name"] == name)
        .expect("merged cluster")["cluster"]
        .clone()
}

#[test]
fn ca_by_relative_path_tls_server_name_and_insecure_are_carried_and_work() {
    let ns = Namespace::new("tls");
    ns.service_account_that_lists_pods("ci");
    let name = format!("local/{}/ci", ns.name);
    let whoami = |home: &Home, file: &Path| {
        let mut cmd = home.kubectl([
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
            "--context",
            &name,
            "--kubeconfig",
        ]);
        cmd.arg(file);
        run(&mut cmd).ok().stdout_text()
    };
    let identity = format!("system:serviceaccount:{}:ci", ns.name);

    // A CA file named relative to the kubeconfig, run from another directory.
    let home = Home::new();
    std::fs::create_dir_all(home.path("conf/pki")).expect("mkdir");
    std::fs::write(home.path("conf/pki/ca.crt"), ca_pem()).expect("write");
    let config = source_with(&home, "conf/config", |c| {
        c.as_object_mut().expect("cluster").remove("certificate-authority-data");
        c["certificate-authority"] = json!("pki/ca.crt");
    });
    run(home
        .satoken(["ci", "-n", &ns.name, "--merge", "--kubeconfig"])
        .arg(&config))
    .ok();
    let cluster = merged_cluster(&config, &name);
    assert!(
        cluster.get("certificate-authority").is_none(),
        "no file path in the new entry"
    );
    assert!(cluster["certificate-authority-data"].is_string());
    assert_eq!(whoami(&home, &config), identity);

    // tls-server-name: a name on the serving certificate other than the address dialled.
    let home = Home::new();
    let config = source_with(&home, "config", |c| {
        c["tls-server-name"] = json!("kubernetes.default.svc")
    });
    run(home
        .satoken(["ci", "-n", &ns.name, "--merge", "--kubeconfig"])
        .arg(&config))
    .ok();
    assert_eq!(
        merged_cluster(&config, &name)["tls-server-name"],
        "kubernetes.default.svc"
    );
    assert_eq!(whoami(&home, &config), identity);

    // insecure-skip-tls-verify without a CA: carried, no CA invented.
    let home = Home::new();
    let config = source_with(&home, "config", |c| {
        c.as_object_mut().expect("cluster").remove("certificate-authority-data");
        c["insecure-skip-tls-verify"] = json!(true);
    });
    run(home
        .satoken(["ci", "-n", &ns.name, "--merge", "--kubeconfig"])
        .arg(&config))
    .ok();
    let cluster = merged_cluster(&config, &name);
    assert_eq!(cluster["insecure-skip-tls-verify"], true);
    assert!(cluster.get("certificate-authority-data").is_none());
    assert_eq!(whoami(&home, &config), identity);
}

#[test]
fn a_foreign_entry_of_the_same_name_is_refused_unless_overwrite() {
    let ns = Namespace::new("foreign");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    let before = std::fs::read(&config).expect("read");
    let mine = ["--cluster-name", "mine", "--user-name", "mine"];
    let out = run(home
        .satoken(["ci", "-n", &ns.name, "--merge", "--context-name", "local"])
        .args(mine))
    .fails()
    .stderr_has("context \"local\" already exists")
    .stderr_has("choose another name with --context-name, or replace it with --overwrite");
    assert_eq!(
        out.stderr_text().matches("already exists").count(),
        1,
        "said once: {out}"
    );
    assert_eq!(std::fs::read(&config).expect("read"), before, "nothing written");
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--cluster-name",
        "local",
        "--context-name",
        "mine",
    ]))
    .fails()
    .stderr_has("--cluster-name");
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--context-name",
        "local",
        "--overwrite",
    ]))
    .ok();
    let after = yaml(&std::fs::read_to_string(&config).expect("read"));
    let local = after["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .find(|c| c["name"] == "local")
        .expect("local");
    assert_eq!(
        local["context"]["namespace"],
        ns.name.as_str(),
        "replaced by --overwrite"
    );
}

#[test]
fn a_spinner_shows_while_waiting_only_on_a_terminal_and_never_with_quiet() {
    let ns = Namespace::new("spinner");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    std::fs::write(format!("{}.lock", config.display()), "").expect("lock");
    let args = format!("ci -n {} --merge --lock-timeout 1s", ns.name);

    let screen = support::on_a_terminal(&home, &args, &[]);
    assert!(
        screen.contains("Writing") && screen.contains("(waiting for its lock)"),
        "{screen}"
    );
    assert!(screen.contains("\x1b[36m"), "coloured frame: {screen:?}");
    let plain = support::on_a_terminal(&home, &args, &[("NO_COLOR", "1")]);
    assert!(
        plain.contains("(waiting for its lock)") && !plain.contains("\x1b[36m"),
        "NO_COLOR: {plain:?}"
    );
    let quiet = support::on_a_terminal(&home, &format!("{args} --quiet"), &[]);
    assert!(
        !quiet.contains("waiting for its lock") && quiet.contains("error:"),
        "{quiet}"
    );
    // Not a terminal: no spinner, only the error.
    let piped = run(&mut home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "1s"])).fails();
    assert!(!piped.stderr_text().contains("waiting for its lock"), "{piped}");
}
