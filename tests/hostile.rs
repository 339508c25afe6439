//! Hostile servers, handed-over kubeconfigs and odd input (issue 10, classes 1-5): each case
//! drives the real binary against a scripted TLS server on 127.0.0.1 (tests/support/hostile.rs),
//! under a bound, and checks that no secret leaks, nothing panics and nothing waits forever.

mod support;

use std::time::Duration;

use support::hostile::{self, Hostile, Reply};
use support::{Home, run};

/// The harness itself: a request from the real kubectl arrives with its path and headers, and
/// the scripted answer comes back, over TLS with the CA the kubeconfig carries.
#[test]
fn harness_round_trips_a_plain_request() {
    let server = Hostile::start(|r| {
        if r.path() == "/healthz" {
            Reply::raw(200, "text/plain", "hostile-ok")
        } else {
            hostile::status(404, "NotFound", "no")
        }
    });
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", "token: harness-token");
    for _ in 0..2 {
        let out = run(home
            .kubectl(["get", "--raw", "/healthz?verbose=1", "--kubeconfig"])
            .arg(&config))
        .ok();
        assert_eq!(out.stdout_text().trim(), "hostile-ok", "{out}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert_eq!((r.method.as_str(), r.target.as_str()), ("GET", "/healthz?verbose=1"));
        assert_eq!(r.authorization(), Some("Bearer harness-token"));
        assert!(!r.client_cert);
    }

    // A body sent with the request arrives whole, and a client certificate is seen.
    let pki = hostile::pki();
    let user = format!(
        "client-certificate-data: {}\nclient-key-data: {}",
        pki.client_cert_base64(),
        pki.client_key_base64()
    );
    let config = server.kubeconfig(&home, "config-cert", &user);
    let manifest = home.path("sa.json");
    std::fs::write(
        &manifest,
        r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"x"}}"#,
    )
    .expect("write");
    let _ = run(home
        .kubectl(["create", "--raw", "/api/v1/namespaces/ns/serviceaccounts", "-f"])
        .arg(&manifest)
        .arg("--kubeconfig")
        .arg(&config));
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("the POST arrived");
    assert!(post.client_cert, "{post:?}");
    assert_eq!(post.body, std::fs::read(&manifest).expect("read"), "{post:?}");

    // The bound kills what outlives it.
    let slow = hostile::run_bounded(std::process::Command::new("sleep").arg("10"), Duration::from_secs(1));
    assert!(slow.timed_out && slow.elapsed < Duration::from_secs(5), "{slow}");
}
