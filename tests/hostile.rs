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

// ---------------------------------------------------------------------------------------------
// Shared checks and fixtures.

use hostile::{Bounded, Request, satoken_bounded};
use serde_json::{Value, json};

/// Finished within the bound, and no panic on stderr.
fn no_panic(b: &Bounded) {
    assert!(!b.timed_out, "still running after {:?}, killed:\n{b}", hostile::BOUND);
    let err = b.run.stderr_text();
    assert!(!err.contains("panicked"), "panicked:\n{b}");
    assert!(!err.contains("RUST_BACKTRACE"), "panicked (a backtrace hint):\n{b}");
}

fn failed(b: &Bounded) {
    no_panic(b);
    assert!(!b.run.success(), "should have failed:\n{b}");
}

fn succeeded(b: &Bounded) {
    no_panic(b);
    assert!(b.run.success(), "should have succeeded:\n{b}");
}

fn stderr_has(b: &Bounded, needle: &str) {
    assert!(b.run.stderr_text().contains(needle), "stderr lacks {needle:?}:\n{b}");
}

/// Neither `secret` nor any piece of it `window` characters long (what is left of it after a
/// cut) is in `text`.
fn hides(b: &Bounded, text: &str, secret: &str, window: usize, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for piece in chars.windows(window.min(chars.len())) {
        let piece: String = piece.iter().collect();
        assert!(
            !text.contains(&piece),
            "{what} shows {piece:?} (part of {secret:?}):\n{b}"
        );
    }
}

fn hides_on_stderr(b: &Bounded, secret: &str, window: usize, what: &str) {
    hides(b, &b.run.stderr_text(), secret, window, what);
}

fn no_requests(server: &Hostile, b: &Bounded) {
    let requests = server.requests();
    assert!(requests.is_empty(), "requests reached the server: {requests:#?}\n{b}");
}

/// The operator's own token in the source kubeconfig.
const OPERATOR_TOKEN: &str = "operator-secret-token-Q7xK2mZ9vR4wT8yL3nB6";

/// What a server that echoes the request in its error says: the request once, then the
/// Authorization line over and over, so that wherever a message is cut, a cut goes through a
/// token.
fn echo_text(r: &Request) -> String {
    let mut text = format!("internal error while serving this request:\n{}", r.echo());
    let line = format!("authorization: {} ", r.authorization().unwrap_or_default());
    while text.len() < 16 * 1024 {
        text.push_str(&line);
    }
    text
}

fn write_script(home: &Home, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = home.path(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.display().to_string()
}

fn create_args(config: &std::path::Path) -> Vec<String> {
    vec![
        "sa".into(),
        "-n".into(),
        "ns".into(),
        "--kubeconfig".into(),
        config.display().to_string(),
    ]
}

// ---------------------------------------------------------------------------------------------
// a. Credentials in errors.

fn operator_token_hidden_from_echo(reply: fn(&Request) -> Reply) {
    let server = Hostile::start(move |r| reply(r));
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let out = satoken_bounded(&home, create_args(&config));
    failed(&out);
    let echoed = server.requests();
    assert!(
        echoed
            .iter()
            .any(|r| r.authorization() == Some(&format!("Bearer {OPERATOR_TOKEN}"))),
        "the server saw the operator token: {echoed:#?}"
    );
    hides_on_stderr(&out, OPERATOR_TOKEN, 10, "stderr");
}

#[test]
fn a_status_error_that_echoes_the_request_never_shows_the_operator_token() {
    operator_token_hidden_from_echo(|r| hostile::status(500, "InternalError", &echo_text(r)));
}

#[test]
fn an_html_error_that_echoes_the_request_never_shows_the_operator_token() {
    operator_token_hidden_from_echo(|r| {
        Reply::raw(
            500,
            "text/html",
            format!("<html><body><h1>500</h1><pre>{}</pre></body></html>", echo_text(r)),
        )
    });
}

#[test]
fn a_plain_text_error_that_echoes_the_request_never_shows_the_operator_token() {
    operator_token_hidden_from_echo(|r| Reply::raw(500, "text/plain; charset=utf-8", echo_text(r)));
}

#[test]
fn verify_never_shows_the_new_token_a_server_echoes() {
    let mut claims = hostile::bound_claims("ns", "sa");
    claims["jti"] = json!("NEW-TOKEN-jti-Zp4Wq8Ls2Kd6");
    let new_token = hostile::jwt(&claims);
    let expiry = hostile::rfc3339(&claims);
    let answer = new_token.clone();
    let server = Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            hostile::token_request(&answer, &expiry)
        } else {
            hostile::status(500, "InternalError", &echo_text(r))
        }
    });
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let mut args = create_args(&config);
    args.push("--verify".into());
    let out = satoken_bounded(&home, args);
    failed(&out);
    let review = server
        .requests()
        .into_iter()
        .find(|r| r.path().ends_with("selfsubjectreviews"))
        .unwrap_or_else(|| panic!("no SelfSubjectReview was sent:\n{out}"));
    assert_eq!(review.authorization(), Some(format!("Bearer {new_token}").as_str()));
    // The payload is what makes this token this token (the header is every test JWT's).
    let payload = new_token.split('.').nth(1).expect("payload");
    hides_on_stderr(&out, payload, 16, "stderr");
    hides_on_stderr(&out, OPERATOR_TOKEN, 10, "stderr");
}

#[test]
fn a_client_key_a_server_echoes_never_shows() {
    let pki = hostile::pki();
    let key = pki.client_key_pem.clone();
    let server = Hostile::start(move |r| {
        Reply::raw(
            500,
            "text/plain",
            format!("request:\n{}\nyour key, as we happen to have it:\n{key}", r.echo()),
        )
    });
    let home = Home::new();
    let user = format!(
        "client-certificate-data: {}\nclient-key-data: {}",
        pki.client_cert_base64(),
        pki.client_key_base64()
    );
    let config = server.kubeconfig(&home, "config", &user);
    let out = satoken_bounded(&home, create_args(&config));
    failed(&out);
    assert!(
        server.requests().iter().all(|r| r.client_cert),
        "the client certificate was used"
    );
    for line in pki.client_key_lines() {
        hides_on_stderr(&out, &line, 16, "stderr (the client key)");
    }
}

// ---------------------------------------------------------------------------------------------
// b. Size.

#[test]
fn a_64_mib_error_body_does_not_reach_the_terminal() {
    let server = Hostile::start(|_| Reply::huge(500, "text/plain", 64 * 1024 * 1024));
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let out = satoken_bounded(&home, create_args(&config));
    failed(&out);
    assert!(out.stderr_len <= 8 * 1024, "stderr is {} bytes:\n{out}", out.stderr_len);
}

// ---------------------------------------------------------------------------------------------
// c. Time.

fn request_timeout_bounds(reply: fn(&Request) -> Reply) {
    let server = Hostile::start(move |r| reply(r));
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let mut args = create_args(&config);
    args.extend(["--request-timeout".into(), "2s".into()]);
    let out = satoken_bounded(&home, args);
    failed(&out);
    assert!(out.elapsed < Duration::from_secs(20), "took {:?}:\n{out}", out.elapsed);
    stderr_has(&out, "request-timeout");
}

#[test]
fn request_timeout_bounds_a_trickled_body() {
    request_timeout_bounds(|r| {
        if r.path().ends_with("/token") {
            Reply::trickle(hostile::token_request_for("ns", "sa"), Duration::from_secs(1))
        } else {
            hostile::cluster_like(r)
        }
    });
}

#[test]
fn request_timeout_bounds_headers_without_a_body() {
    request_timeout_bounds(|_| Reply::headers_then_hang(201, "application/json"));
}
