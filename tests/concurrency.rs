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
//!   entry another writer added in between is dropped (client-go config.go, seen here).
//!
//! So each kubectl `set-context` is retried until its context is in the file, and any
//! context that a later kubectl run dropped is written again at the end (counted and
//! printed; our own runs must all succeed the first time, although they too read the file
//! while kubectl rewrites it in place). That kubectl-satoken itself drops nothing, and that
//! the file never reads half-written while only it writes, is shown by the test where only
//! it writes: 40 at once, one run each, all 40 present, and a reader that reads the file
//! over and over meanwhile always finds a whole kubeconfig that never loses a context.

mod support;

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

/// Our merge of ServiceAccount `ci` under context name `name`.
fn ours(home: &Home, ns: &str, file: &Path, name: &str) -> Command {
    let mut cmd = home.satoken(["ci", "-n", ns, "--merge", "--context-name", name, "--quiet"]);
    cmd.arg("--kubeconfig").arg(file).arg("--lock-timeout").arg("60s");
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

/// The merged file is a kubeconfig kubectl reads, with every context's cluster and user.
fn check_whole(home: &Home, file: &Path) {
    let doc = yaml(&std::fs::read_to_string(file).expect("read"));
    let names = |list: &str| -> Vec<String> {
        doc[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    };
    let (clusters, users) = (names("clusters"), names("users"));
    for context in doc["contexts"].as_array().expect("contexts") {
        let body = &context["context"];
        for (key, known) in [("cluster", &clusters), ("user", &users)] {
            let target = body[key].as_str().expect("reference");
            assert!(known.iter().any(|n| n == target), "{context} refers to a missing {key}");
        }
    }
    let mut view = home.kubectl(["config", "view", "-o", "json"]);
    view.arg("--kubeconfig").arg(file);
    let viewed: Value = serde_json::from_str(&run(&mut view).ok().stdout_text()).expect("JSON");
    assert_eq!(
        viewed["contexts"].as_array().map(Vec::len),
        doc["contexts"].as_array().map(Vec::len)
    );
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
            let child = ours(&home, &ns.name, &file, &name).spawn().expect("start");
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
    check_whole(&home, &file);
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
    let file = home.admin_config("kube/config");
    let started = Instant::now();

    // kubectl's side: one thread per context, retrying until its context is in the file.
    let kubectl_workers: Vec<_> = (0..20)
        .map(|i| {
            let name = format!("kubectl-{i}");
            let mut cmd = home.kubectl(["config", "set-context", &name, "--cluster=local", "--user=admin"]);
            cmd.arg("--kubeconfig").arg(&file);
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
            (
                name.clone(),
                ours(&home, &ns.name, &file, &name).spawn().expect("start"),
            )
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

    // kubectl may have dropped some of ours after they landed: merge those again.
    let mut ours_lost = Vec::new();
    let present = contexts(&file);
    for i in 0..20 {
        let name = format!("ours-{i}");
        if !present.contains(&name) {
            run(&mut ours(&home, &ns.name, &file, &name)).ok();
            ours_lost.push(name);
        }
    }
    // Likewise a kubectl context that a later kubectl run dropped after its check.
    let mut kubectl_dropped_later = Vec::new();
    for i in 0..20 {
        let name = format!("kubectl-{i}");
        if !present.contains(&name) {
            let mut cmd = home.kubectl(["config", "set-context", &name, "--cluster=local", "--user=admin"]);
            run(cmd.arg("--kubeconfig").arg(&file)).ok();
            kubectl_dropped_later.push(name);
        }
    }
    let present = contexts(&file);
    for name in (0..20).flat_map(|i| [format!("ours-{i}"), format!("kubectl-{i}")]) {
        assert!(present.contains(&name), "{name} is missing: {present:?}");
    }
    assert_eq!(present.len(), 41, "{present:?}");
    check_whole(&home, &file);
    assert_eq!(
        support::listing(file.parent().expect("dir")),
        ["config"],
        "no lock or temp file left"
    );
    println!(
        "20 + 20 concurrent writers in {:?}: kubectl found the lock held {lock_busy} times, \
         read a half-written file {kubectl_torn} times, lost its own context {kubectl_lost} times and later {kubectl_dropped_later:?}, and \
         dropped {} of ours ({ours_lost:?}), merged again",
        started.elapsed(),
        ours_lost.len()
    );
}
