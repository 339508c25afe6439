//! The README's quick start, run as written.

use crate::support;

use std::process::Command;

#[test]
fn the_quick_start_demo_runs_and_shows_the_service_account_at_work() {
    support::admin_kubeconfig(); // the cluster is up (or reused) before the demo starts
    let out = support::run(&mut Command::new(support::repo().join("scripts/demo"))).ok();
    let text = out.stdout_text() + &out.stderr_text();
    for needle in [
        "$ kubectl satoken ci -n demo --duration 10m --output-file ci.kubeconfig",
        "Issued a bound token for system:serviceaccount:demo:ci",
        "system:serviceaccount:demo:ci",
        "No resources found in demo namespace.",
        "cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
    ] {
        assert!(text.contains(needle), "the demo does not show {needle:?}:\n{out}");
    }
}
