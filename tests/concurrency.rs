//! Many writers at once on one kubeconfig: kubectl-satoken and kubectl 1.33 take the same
//! `<file>.lock`, so no write is lost to another and the file always parses.
//!
//! kubectl is not a well-behaved neighbour, and the mixed test has to work around it:
//! - it does not wait for a held lock: it fails at once with
//!   `error: open …/config.lock: file exists`;
//! - it reads the file before taking the lock and writes it in place (truncate, then
//!   write), so one kubectl can read another's half-written file and fail with
//!   `error loading config file …` (seen: "illegal base64 data at input byte 388");
//! - its `ModifyConfig` compares the config it read BEFORE taking the lock with the file
//!   read under the lock, and deletes every entry of the second that the first lacks: an
//!   entry another writer added in between is dropped (client-go config.go, seen here);
//!   after a torn read that still parsed, it even writes back an empty `current-context`
//!   and drops entries of the file that the torn read lacked (seen here: the admin context
//!   was no longer current). So our runs take their source context from a second file of
//!   the chain, which kubectl never writes, and merge into the first.
//!
//! So each kubectl `set-context` is retried until its context is in the file, and any
//! context that a later kubectl run dropped is written again at the end (counted and
//! printed; our own runs must all succeed the first time, although they too read the file
//! while kubectl rewrites it in place). That kubectl-satoken itself drops nothing, and that
//! the file never reads half-written while only it writes, is shown by the test where only
//! it writes: 40 at once, one run each, all 40 present, and a reader that reads the file
//! over and over meanwhile always finds a whole kubeconfig that never loses a context.

use crate::support;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Home, Namespace, admin_ok, run, yaml};

/// The context names of a kubeconfig text; `None` if it does not parse.
fn context_names(text: &str) -> Option<Vec<String>> {
    let doc: Value = serde_saphyr::from_str(text).ok()?;
    Some(
        doc["contexts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect(),
    )
}

/// The contexts of the file. While kubectl may be rewriting it in place a read can be
/// cut short: one that does not parse is read again.
fn contexts(file: &Path) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(file).expect("read kubeconfig");
        match context_names(&text) {
            Some(names) => return names,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            None => panic!("{} does not parse:\n{text}", file.display()),
        }
    }
}

/// Our merge of ServiceAccount `ci` under context name `name`, from the context `local`;
/// the caller names the kubeconfig.
fn ours(home: &Home, ns: &str, name: &str) -> Command {
    let mut cmd = home.satoken(["ci", "-n", ns, "--context", "local", "--merge", "--context-name", name]);
    cmd.args(["--quiet", "--lock-timeout", "60s"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn finish(child: Child, what: &str) -> std::process::Output {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The chain `kubeconfig` (a KUBECONFIG value) as kubectl reads it: every context's cluster
/// and user are there. Returns the context names.
fn check_whole(home: &Home, kubeconfig: &OsStr) -> Vec<String> {
    let mut view = home.kubectl(["config", "view", "-o", "json"]);
    let viewed: Value =
        serde_json::from_str(&run(view.env("KUBECONFIG", kubeconfig)).ok().stdout_text()).expect("JSON");
    let names = |list: &str| -> Vec<String> {
        viewed[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    };
    let (clusters, users) = (names("clusters"), names("users"));
    for context in viewed["contexts"].as_array().expect("contexts") {
        let body = &context["context"];
        for (key, known) in [("cluster", &clusters), ("user", &users)] {
            let target = body[key].as_str().expect("reference");
            assert!(known.iter().any(|n| n == target), "{context} refers to a missing {key}");
        }
    }
    names("contexts")
}

#[test]
fn forty_merges_at_once_all_land() {
    let ns = Namespace::new("concurrent-ours");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let file = home.admin_config("kube/config");
    // A reader that never takes the lock: every read must be a whole kubeconfig, and as
    // ours only add, each must hold every context the previous one held.
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (file, done) = (file.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen: Vec<String> = Vec::new();
            let mut reads = 0u32;
            while !done.load(Ordering::SeqCst) {
                let text = std::fs::read_to_string(&file).expect("read");
                let names = context_names(&text).unwrap_or_else(|| panic!("read {reads} is not YAML:\n{text}"));
                let lost: Vec<&String> = seen.iter().filter(|n| !names.contains(n)).collect();
                assert!(lost.is_empty(), "read {reads} lost {lost:?}");
                seen = names;
                reads += 1;
            }
            reads
        })
    };
    let started = Instant::now();
    let children: Vec<(String, Child)> = (0..40)
        .map(|i| {
            let name = format!("ours-{i}");
            let child = ours(&home, &ns.name, &name)
                .arg("--kubeconfig")
                .arg(&file)
                .spawn()
                .expect("start");
            (name, child)
        })
        .collect();
    for (name, child) in children {
        finish(child, &name);
    }
    let took = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let reads = reader.join().expect("reader");
    let present = contexts(&file);
    for i in 0..40 {
        let name = format!("ours-{i}");
        assert!(present.contains(&name), "{name} is missing: {present:?}");
    }
    assert_eq!(present.len(), 41, "the admin context and ours: {present:?}");
    let doc = yaml(&std::fs::read_to_string(&file).expect("read"));
    assert_eq!(
        doc["current-context"], "local",
        "ours never touch it without --set-current"
    );
    assert_eq!(check_whole(&home, file.as_os_str()).len(), 41, "kubectl reads them all");
    assert_eq!(
        support::listing(file.parent().expect("dir")),
        ["config"],
        "no lock or temp file left"
    );
    println!("40 concurrent merges, each run once, all present, in {took:?}; {reads} reads meanwhile, all whole");
}

#[test]
fn twenty_merges_and_twenty_kubectl_set_context_at_once_all_land() {
    let ns = Namespace::new("concurrent-mixed");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    // Everyone writes to `config`. Our source context lives in a second file of the chain,
    // which kubectl never writes: kubectl's damage to `config` (above) cannot take away the
    // context our runs start from, and what it drops is counted and merged again.
    let file = home.path("kube/config");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(&file, "apiVersion: v1\nkind: Config\n").expect("write");
    let source = home.admin_config("kube/source");
    let chain = std::env::join_paths([&file, &source]).expect("KUBECONFIG");
    let set_context = |name: &str| {
        let mut cmd = home.kubectl(["config", "set-context", name, "--cluster=local", "--user=admin"]);
        cmd.arg("--kubeconfig").arg(&file);
        cmd
    };
    let ours_in_chain = |name: &str| {
        let mut cmd = ours(&home, &ns.name, name);
        cmd.env("KUBECONFIG", &chain);
        cmd
    };
    let started = Instant::now();

    // kubectl's side: one thread per context, retrying until its context is in the file.
    let kubectl_workers: Vec<_> = (0..20)
        .map(|i| {
            let name = format!("kubectl-{i}");
            let mut cmd = set_context(&name);
            let file = file.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                let (mut lock_busy, mut torn, mut dropped) = (0u32, 0u32, 0u32);
                for attempt in 0u64.. {
                    assert!(
                        Instant::now() < deadline,
                        "{name}: still not in after {attempt} attempts"
                    );
                    let out = cmd.output().expect("kubectl");
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    if !out.status.success() {
                        // The only failures expected: the lock of another writer, and a
                        // file read while another kubectl rewrote it in place.
                        if stderr.contains(".lock: file exists") {
                            lock_busy += 1;
                        } else {
                            assert!(stderr.contains("error loading config file"), "{name}: {stderr}");
                            torn += 1;
                        }
                    } else if contexts(&file).contains(&name) {
                        return (lock_busy, torn, dropped);
                    } else {
                        dropped += 1;
                    }
                    std::thread::sleep(Duration::from_millis(5 + (attempt * 7 + i) % 20));
                }
                unreachable!()
            })
        })
        .collect();
    // Ours, started in the same instant: each must succeed the first time.
    let children: Vec<(String, Child)> = (0..20)
        .map(|i| {
            let name = format!("ours-{i}");
            let child = ours_in_chain(&name).spawn().expect("start");
            (name, child)
        })
        .collect();
    for (name, child) in children {
        finish(child, &name);
    }
    let (mut lock_busy, mut kubectl_torn, mut kubectl_lost) = (0, 0, 0);
    for worker in kubectl_workers {
        let (busy, torn, lost) = worker.join().expect("kubectl worker");
        lock_busy += busy;
        kubectl_torn += torn;
        kubectl_lost += lost;
    }

    // kubectl may have dropped entries of ours after they landed (context, cluster or user):
    // merge those again. Likewise a kubectl context that a later kubectl run dropped.
    let doc = yaml(&std::fs::read_to_string(&file).expect("read"));
    let has = |list: &str, name: &str| {
        doc[list]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["name"] == name))
    };
    let mut ours_dropped = Vec::new();
    let mut kubectl_dropped_later = Vec::new();
    for i in 0..20 {
        let name = format!("ours-{i}");
        if !["clusters", "users", "contexts"].iter().all(|list| has(list, &name)) {
            run(&mut ours_in_chain(&name)).ok();
            ours_dropped.push(name);
        }
        let name = format!("kubectl-{i}");
        if !has("contexts", &name) {
            run(&mut set_context(&name)).ok();
            kubectl_dropped_later.push(name);
        }
    }
    let present = contexts(&file);
    for name in (0..20).flat_map(|i| [format!("ours-{i}"), format!("kubectl-{i}")]) {
        assert!(present.contains(&name), "{name} is missing: {present:?}");
    }
    assert_eq!(present.len(), 40, "{present:?}");
    assert_eq!(
        check_whole(&home, &chain).len(),
        41,
        "kubectl reads them all, and the source's"
    );
    assert_eq!(
        support::listing(file.parent().expect("dir")),
        ["config", "source"],
        "no lock or temp file left"
    );
    println!(
        "20 + 20 concurrent writers in {:?}: kubectl found the lock held {lock_busy} times, \
         read a half-written file {kubectl_torn} times, lost its own context {kubectl_lost} times \
         and later {kubectl_dropped_later:?}, and dropped entries of {} of ours \
         ({ours_dropped:?}), merged again",
        started.elapsed(),
        ours_dropped.len()
    );
}
