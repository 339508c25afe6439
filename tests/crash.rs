//! Crash safety: kubectl-satoken killed with SIGKILL at random moments while merging into a
//! kubeconfig never damages it, and what a killed run leaves behind never blocks the next.
//!
//! 200 runs of `kubectl-satoken ci --merge --context-name crash-N`, each killed after a
//! random delay drawn from 0 to 1.5 times an unkilled run's time (so kills land before the
//! request, during it, while the lock is held and the file is written, and after). The
//! kubeconfig holds 1,000 other entries so that the locked part of a run (read, merge,
//! write, fsync, rename) is a good share of it. After each kill:
//! - the file parses, and every entry that was there before the run is there, unchanged;
//! - the run's own entries are there all three or not at all (one atomic write);
//! - at most our lock (naming a dead process) and one temp file are left, and when
//!   anything is left, an unkilled run with `--lock-timeout 0s` succeeds at once and
//!   leaves the directory with only the kubeconfig in it.
//!
//! `SATOKEN_CRASH_SEED=N` replays a sequence of delays; the seed is printed.

use crate::support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Home, Namespace, admin_ok, run, yaml};

const RUNS: usize = 200;
const FILLER: usize = 1000;

/// xorshift64*: enough randomness for delays, and replayable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Every entry of every list, by (list, name), as parsed values.
fn entries(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for list in ["clusters", "users", "contexts"] {
        for item in doc[list].as_array().into_iter().flatten() {
            let name = item["name"].as_str().expect("named entry").to_owned();
            assert!(
                out.insert((list.to_owned(), name.clone()), item.clone()).is_none(),
                "{list} {name} twice"
            );
        }
    }
    out
}

fn filler() -> String {
    let mut text = String::from("clusters:\n");
    for i in 0..FILLER / 3 {
        text.push_str(&format!(
            "- name: filler-{i}\n  cluster: {{server: 'https://filler-{i}.example:6443', x-unknown: [{i}, \"{i}\"]}}\n"
        ));
    }
    text.push_str("users:\n");
    for i in 0..FILLER / 3 {
        text.push_str(&format!("- name: filler-{i}\n  user: {{token: filler-token-{i}}}\n"));
    }
    text.push_str("contexts:\n");
    for i in 0..FILLER - 2 * (FILLER / 3) {
        text.push_str(&format!(
            "- name: filler-{i}\n  context: {{cluster: filler-{i}, user: filler-{i}, namespace: \"0{i}\"}}\n"
        ));
    }
    text
}

#[test]
fn sigkill_at_random_moments_never_damages_the_kubeconfig_or_blocks_the_next_run() {
    let started = Instant::now();
    let ns = Namespace::new("crash");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config("kube/config");
    // The admin kubeconfig with 1,000 more entries, all in one file.
    let mut doc = yaml(&std::fs::read_to_string(&config).expect("read"));
    let more = yaml(&filler());
    for list in ["clusters", "users", "contexts"] {
        let items = doc[list].as_array_mut().expect("list");
        items.extend(more[list].as_array().expect("filler").iter().cloned());
    }
    std::fs::write(&config, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let dir = config.parent().expect("dir").to_path_buf();
    let kubeconfig = config.to_str().expect("utf-8").to_owned();

    let merge = |name: &str, lock_timeout: &str| -> Command {
        let mut cmd = home.satoken([
            "ci",
            "-n",
            &ns.name,
            "--merge",
            "--kubeconfig",
            &kubeconfig,
            "--context-name",
            name,
            "--lock-timeout",
            lock_timeout,
            "--quiet",
        ]);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        cmd
    };

    // How long an unkilled run takes.
    let mut times = Vec::new();
    for i in 0..3 {
        let t = Instant::now();
        run(&mut merge(&format!("warmup-{i}"), "10s")).ok();
        times.push(t.elapsed());
    }
    times.sort();
    let typical = times[1];

    let seed = std::env::var("SATOKEN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("seed {seed} (SATOKEN_CRASH_SEED), an unkilled run takes {typical:?}");
    let mut rng = Rng(seed);
    let max_delay = (typical.as_micros() as u64) * 3 / 2;

    let (mut finished, mut killed, mut left_lock, mut left_temp, mut landed_killed) = (0, 0, 0, 0, 0);
    let mut checks = 0;
    for i in 0..RUNS {
        let before_text = std::fs::read_to_string(&config).expect("read");
        let before = entries(&yaml(&before_text));
        let name = format!("crash-{i}");
        let delay = Duration::from_micros(rng.below(max_delay));
        let mut child = merge(&name, "10s").spawn().expect("start kubectl-satoken");
        std::thread::sleep(delay);
        let was_running = child.try_wait().expect("try_wait").is_none();
        // SIGKILL; then reap it, so that its pid is really gone.
        let _ = child.kill();
        let output = child.wait_with_output().expect("wait");
        let status = output.status;
        if was_running && !status.success() {
            killed += 1;
        } else {
            assert!(
                status.success(),
                "run {i} failed by itself: {status}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            finished += 1;
        }

        // The file parses and nothing that was there is lost or changed.
        let text = std::fs::read_to_string(&config).expect("read");
        let after = entries(&yaml(&text));
        for (key, value) in &before {
            assert_eq!(
                after.get(key),
                Some(value),
                "run {i} (killed after {delay:?}) changed {key:?}"
            );
        }
        // This run's entries: all three or none.
        let own: Vec<_> = ["clusters", "users", "contexts"]
            .iter()
            .filter(|list| after.contains_key(&(list.to_string(), name.clone())))
            .collect();
        assert!(own.is_empty() || own.len() == 3, "run {i} left only {own:?}");
        if !own.is_empty() && was_running && !status.success() {
            landed_killed += 1;
        }
        assert_eq!(
            after.len(),
            before.len() + own.len(),
            "run {i}: no other entry appeared"
        );

        // What is left next to it, and that it does not get in the way.
        let left: Vec<String> = support::listing(&dir).into_iter().filter(|n| n != "config").collect();
        let lock = left.iter().filter(|n| *n == "config.lock").count();
        let temp = left.iter().filter(|n| n.starts_with(".config.")).count();
        assert_eq!(lock + temp, left.len(), "run {i} left {left:?}");
        assert!(temp <= 1, "run {i} left {left:?}");
        left_lock += lock;
        left_temp += temp;
        if !left.is_empty() {
            checks += 1;
            // With --lock-timeout 0s a lock that is not cleared at once fails the run.
            let out = run(&mut merge(&format!("check-{i}"), "0s"));
            assert!(
                out.success(),
                "after run {i} left {left:?}, the next run failed:\n{out}"
            );
            assert_eq!(support::listing(&dir), ["config"], "after run {i} and its check");
        }
    }
    // A last run, unkilled, finds everything in order.
    run(&mut merge("final", "0s")).ok();
    assert_eq!(support::listing(&dir), ["config"]);
    let last = yaml(&std::fs::read_to_string(&config).expect("read"));
    let mut view = home.kubectl(["config", "view", "-o", "json", "--kubeconfig", &kubeconfig]);
    let viewed = run(&mut view).ok();
    let viewed: Value = serde_json::from_str(&viewed.stdout_text()).expect("kubectl config view JSON");
    assert_eq!(
        viewed["contexts"].as_array().map(Vec::len),
        last["contexts"].as_array().map(Vec::len),
        "kubectl reads every context"
    );
    println!(
        "{RUNS} runs in {:?}: {finished} finished before the kill, {killed} killed \
         ({landed_killed} of them after their write landed); kills left a lock {left_lock} times \
         and a temp file {left_temp} times; {checks} follow-up runs with --lock-timeout 0s all succeeded",
        started.elapsed()
    );
}

/// A run killed while it holds one lock and waits for another: its lock names it, so the
/// next run removes it at once (saying so with -v), while kubectl's empty lock is only
/// reported, with the file to remove.
#[test]
fn the_lock_of_a_killed_run_is_removed_and_an_empty_one_reported() {
    let ns = Namespace::new("stale-lock");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let a = home.admin_config("kube/a");
    let b = home.admin_config("kube/b");
    let (a_lock, b_lock) = (home.path("kube/a.lock"), home.path("kube/b.lock"));
    let env = format!("{}:{}", a.display(), b.display());
    // kubectl holds b's lock (empty, as kubectl makes it).
    std::fs::write(&b_lock, "").expect("lock");
    let mut waiting = home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "60s", "--quiet"]);
    waiting
        .env("KUBECONFIG", &env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = waiting.spawn().expect("start");
    // It takes a's lock first (sorted order), then waits for b's.
    support::eventually(30, "the run to lock a", || a_lock.exists().then_some(()));
    let holder = std::fs::read_to_string(&a_lock).expect("read lock");
    assert!(
        holder.starts_with(&format!("kubectl-satoken pid={} ", child.id())),
        "{holder:?}"
    );
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(a_lock.exists(), "SIGKILL leaves the lock");

    // b is still locked by "kubectl": reported after the timeout, naming the file.
    let mut cmd = home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "1s", "-v"]);
    let out = run(cmd.env("KUBECONFIG", &env)).fails();
    let stderr = out.stderr_text();
    assert!(
        stderr.contains(&format!("verbose: removed the stale lock {}", a_lock.display())),
        "{out}"
    );
    assert!(
        stderr.contains(&format!(
            "{} exists (another kubectl or kubectl-satoken is writing it); if none is running, remove {}",
            b_lock.display(),
            b_lock.display()
        )),
        "{out}"
    );
    assert!(!a_lock.exists(), "our own lock of a was released again");

    // Once kubectl is done, the merge goes through at once.
    std::fs::remove_file(&b_lock).expect("unlock");
    let mut cmd = home.satoken(["ci", "-n", &ns.name, "--merge", "--lock-timeout", "0s"]);
    run(cmd.env("KUBECONFIG", &env)).ok();
    assert_eq!(support::listing(&home.path("kube")), ["a", "b"]);
}
