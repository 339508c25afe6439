//! tests/cluster/local-cluster itself: up, a second up that only prints the path, status,
//! and down that leaves no process and no state. It runs a cluster of its own (another state
//! directory, other ports) so the shared test cluster is not disturbed.

use crate::support;

use std::process::Command;
use std::time::{Duration, Instant};

fn script(state: &std::path::Path, verb: &str) -> support::Run {
    let mut cmd = Command::new(support::repo().join("tests/cluster/local-cluster"));
    cmd.arg(verb).env("SATOKEN_CLUSTER_DIR", state);
    support::run(&mut cmd)
}

fn alive(pid: u32) -> bool {
    // `kill -0`: the process exists (a zombie still counts until reaped by init).
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn up_is_idempotent_status_reports_and_down_leaves_nothing() {
    support::admin_kubeconfig(); // binaries are built (cached) before timing anything
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("cluster");

    let first = script(&state, "up").ok();
    let path = first.stdout_text().lines().last().expect("a path").to_string();
    assert_eq!(path, state.join("admin.kubeconfig").display().to_string());

    let started = Instant::now();
    let second = script(&state, "up").ok();
    assert_eq!(second.stdout_text().trim(), path, "a second up only prints the path");
    assert!(started.elapsed() < Duration::from_secs(5), "a second up is a no-op");

    let status = script(&state, "status").ok().stdout_text();
    assert!(status.starts_with("up: https://127.0.0.1:"), "{status}");
    assert!(status.contains("version: Kubernetes v1.37.2, etcd v3.6.16"), "{status}");

    let version =
        support::run(Command::new(support::kubectl_bin()).args(["version", "-o", "json", "--kubeconfig", &path])).ok();
    assert!(
        version.stdout_text().contains("\"gitVersion\": \"v1.37.2\""),
        "{version}"
    );

    let pids: Vec<u32> = ["etcd", "kube-apiserver", "kube-controller-manager"]
        .iter()
        .map(|c| {
            std::fs::read_to_string(state.join("pids").join(c))
                .expect("pid file")
                .trim()
                .parse()
                .expect("pid")
        })
        .collect();
    assert!(pids.iter().all(|p| alive(*p)));

    script(&state, "down").ok();
    assert!(!state.exists(), "the state directory is gone");
    for pid in pids {
        assert!(!alive(pid), "process {pid} is still running after down");
    }
    let after = script(&state, "status");
    assert_eq!(after.code(), Some(3), "status says down: {after}");
}
