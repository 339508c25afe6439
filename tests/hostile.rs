//! Hostile servers, handed-over kubeconfigs and odd input (issue 10, classes 1-5): each case
//! drives the real binary against a scripted TLS server on 127.0.0.1 (tests/support/hostile.rs),
//! under a bound, and checks that no secret leaks, nothing panics and nothing waits forever.

use crate::support;

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
    let server = Hostile::start(reply);
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
    let server = Hostile::start(reply);
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

// ---------------------------------------------------------------------------------------------
// d. Tokens that cannot be sent in an HTTP header.

/// User entries (YAML) whose token is no valid header value, each still a JWT to `inspect`.
fn header_invalid_tokens() -> Vec<(&'static str, String)> {
    let token = hostile::jwt(&hostile::bound_claims("ns", "sa"));
    vec![
        // `token: |` keeps the line break: the token ends with "\n".
        ("a block scalar", format!("token: |\n  {token}")),
        ("a space and a newline inside", format!("token: \"{token}x y\\nz\"")),
        ("a control character", format!("token: \"{token}\\u0001x\"")),
    ]
}

/// A kubeconfig whose source user "hostile" holds `user`, with a managed context "managed"
/// that uses that same user and records a Secret-based token issued through "hostile".
fn managed_config(server: &Hostile, home: &Home, rel: &str, user: &str, managed_user: &str) -> std::path::PathBuf {
    let record = json!({
        "namespace": "ns", "serviceAccount": "sa", "tokenType": "secret",
        "secretName": "sa-token-x", "expiresAt": null, "sourceContext": "hostile",
    });
    server.kubeconfig_with(
        home,
        rel,
        user,
        &hostile::managed_context("managed", "hostile", managed_user, "ns", &record),
        "",
    )
}

fn header_invalid_token_refused(command: &[&str]) {
    for (what, user) in header_invalid_tokens() {
        let server = Hostile::start(hostile::cluster_like);
        let home = Home::new();
        println!("a token with {what}"); // shown with a failure
        let config = managed_config(&server, &home, "config", &user, "hostile");
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(["--kubeconfig".into(), config.display().to_string()]);
        let out = satoken_bounded(&home, &args);
        failed(&out);
        stderr_has(&out, "cannot be sent in an HTTP header");
        no_requests(&server, &out);
    }
}

#[test]
fn create_refuses_a_token_that_is_no_header_value() {
    header_invalid_token_refused(&["sa", "-n", "ns"]);
}

#[test]
fn inspect_verify_refuses_a_token_that_is_no_header_value() {
    header_invalid_token_refused(&["inspect", "managed", "--verify"]);
}

#[test]
fn refresh_refuses_a_token_that_is_no_header_value() {
    header_invalid_token_refused(&["refresh", "managed"]);
}

#[test]
fn revoke_refuses_a_token_that_is_no_header_value() {
    header_invalid_token_refused(&["revoke", "managed"]);
}

#[test]
fn completion_survives_a_token_that_is_no_header_value() {
    for (what, user) in header_invalid_tokens() {
        let server = Hostile::start(hostile::cluster_like);
        let home = Home::new();
        let config = server.kubeconfig(&home, "config", &user);
        let config = config.display().to_string();
        let out = satoken_bounded(&home, ["__complete", "--", "--kubeconfig", &config, "-n", "ns", ""]);
        no_panic(&out);
        assert!(out.run.success(), "{what}:\n{out}");
        let candidates: Vec<String> = out.run.stdout_text().lines().map(str::to_string).collect();
        assert!(
            candidates.iter().all(|l| l.starts_with(':')),
            "{what}: candidates offered: {candidates:?}"
        );
        no_requests(&server, &out);
    }
}

// ---------------------------------------------------------------------------------------------
// e. Plain HTTP.

#[test]
fn a_plain_http_server_flag_is_warned_about() {
    let tls = Hostile::start(hostile::cluster_like);
    let plain = Hostile::plain(hostile::cluster_like);
    let home = Home::new();
    let config = tls.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let mut args = create_args(&config);
    args.extend(["--server".into(), plain.url()]);
    let out = satoken_bounded(&home, args);
    succeeded(&out);
    stderr_has(&out, "warning:");
    stderr_has(&out, "unencrypted");
}

#[test]
fn a_plain_http_source_cluster_is_warned_about() {
    let plain = Hostile::plain(hostile::cluster_like);
    let home = Home::new();
    let config = plain.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let out = satoken_bounded(&home, create_args(&config));
    succeeded(&out);
    assert!(!plain.requests().is_empty(), "the plain server was not used:\n{out}");
    stderr_has(&out, "warning:");
    stderr_has(&out, "unencrypted");
}

// ---------------------------------------------------------------------------------------------
// f. Terminal injection.

const INJECTION: &str = "\u{1b}]0;pwned\u{7}\u{7}\nSubject: system:admin";

/// No ESC or BEL byte, and no line that a hostile value started.
fn shows_no_raw_controls(b: &Bounded, what: &str) {
    for (stream, bytes) in [("stdout", &b.run.output.stdout), ("stderr", &b.run.output.stderr)] {
        assert!(
            !bytes.iter().any(|&c| c == 0x1b || c == 0x07),
            "{what}: raw ESC/BEL on {stream}:\n{b}"
        );
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("Subject: system:admin")),
            "{what}: a forged line on {stream}:\n{b}"
        );
    }
}

#[test]
fn hostile_claims_are_shown_escaped() {
    let mut claims = hostile::bound_claims("ns", "sa");
    let sub = format!("system:serviceaccount:ns:sa{INJECTION}");
    claims["sub"] = json!(sub);
    claims["iss"] = json!(format!("issuer{INJECTION}"));
    claims["jti"] = json!(format!("jti{INJECTION}"));
    let token = hostile::jwt(&claims);
    let expiry = hostile::rfc3339(&claims);
    let server = Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            hostile::token_request(&token, &expiry)
        } else {
            hostile::cluster_like(r)
        }
    });
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let config_arg = config.display().to_string();
    let mut args = create_args(&config);
    args.push("--merge".into());
    let out = satoken_bounded(&home, args);
    succeeded(&out);
    shows_no_raw_controls(&out, "create --merge");
    let context = "hostile/ns/sa";
    for args in [
        vec!["list", "--kubeconfig", &config_arg],
        vec!["list", "-o", "wide", "--kubeconfig", &config_arg],
        vec!["inspect", context, "--kubeconfig", &config_arg],
    ] {
        let out = satoken_bounded(&home, &args);
        succeeded(&out);
        shows_no_raw_controls(&out, &args.join(" "));
    }
    let out = satoken_bounded(&home, ["inspect", context, "-o", "json", "--kubeconfig", &config_arg]);
    succeeded(&out);
    let shown: Value = serde_json::from_str(&out.run.stdout_text()).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(shown["subject"], json!(sub), "{out}");
    assert_eq!(shown["issuer"], claims["iss"], "{out}");
    let out = satoken_bounded(&home, ["list", "-o", "json", "--kubeconfig", &config_arg]);
    succeeded(&out);
    let _: Value = serde_json::from_str(&out.run.stdout_text()).unwrap_or_else(|e| panic!("{e}:\n{out}"));
}

#[test]
fn hostile_context_names_and_records_are_shown_escaped() {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let name = format!("evil{INJECTION}");
    let mut claims = hostile::bound_claims("ns", "sa");
    claims["kubernetes.io"]["pod"] = json!({"name": format!("pod{INJECTION}"), "uid": "u"});
    let record = json!({
        "namespace": format!("ns{INJECTION}"), "serviceAccount": format!("sa{INJECTION}"),
        "tokenType": "secret", "secretName": format!("secret{INJECTION}"),
        "audiences": [format!("aud{INJECTION}")],
        "expiresAt": null, "sourceContext": format!("source{INJECTION}"),
    });
    let config = server.kubeconfig_with(
        &home,
        "config",
        &format!("token: {OPERATOR_TOKEN}"),
        &hostile::managed_context(&name, "hostile", "evil-user", "ns", &record),
        &hostile::user_item("evil-user", &json!({"token": hostile::jwt(&claims)})),
    );
    let config_arg = config.display().to_string();
    for args in [
        vec!["list", "--kubeconfig", &config_arg],
        vec!["list", "-o", "wide", "--kubeconfig", &config_arg],
        vec!["inspect", &name, "--kubeconfig", &config_arg],
    ] {
        let out = satoken_bounded(&home, &args);
        succeeded(&out);
        shows_no_raw_controls(&out, &args.join(" ").escape_debug().to_string());
    }
    let out = satoken_bounded(&home, ["list", "-o", "json", "--kubeconfig", &config_arg]);
    succeeded(&out);
    let rows: Value = serde_json::from_str(&out.run.stdout_text()).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert!(rows.to_string().contains(&json!(name).to_string()), "{out}");
    let out = satoken_bounded(&home, ["inspect", &name, "-o", "json", "--kubeconfig", &config_arg]);
    succeeded(&out);
    let shown: Value = serde_json::from_str(&out.run.stdout_text()).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(shown["context"], json!(name), "{out}");
}

// ---------------------------------------------------------------------------------------------
// g. Exec credential plugins.

fn exec_user(command: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let user = json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": command,
        "args": args,
        "env": env.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "interactiveMode": "Never",
    }});
    user.to_string()
}

fn exec_credential(token: &str) -> String {
    json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token},
    })
    .to_string()
}

#[test]
fn a_failing_exec_plugin_shows_what_kubectl_shows_and_no_secret() {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let plugin = write_script(
        &home,
        "plugin.sh",
        &format!(
            "echo '{}'\necho plugin-stderr-line >&2\nexit 1\n",
            exec_credential("STDOUT-SECRET-789")
        ),
    );
    let user = exec_user(
        &plugin,
        &["--oidc-client-secret=ARG-SECRET-123"],
        &[("VAULT_TOKEN", "ENV-SECRET-456")],
    );
    let config = server.kubeconfig(&home, "config", &user);
    let out = satoken_bounded(&home, create_args(&config));
    failed(&out);
    stderr_has(&out, "exec: executable");
    stderr_has(&out, "failed with exit code 1");
    stderr_has(&out, "plugin-stderr-line");
    for secret in ["ARG-SECRET-123", "ENV-SECRET-456", "STDOUT-SECRET-789"] {
        hides_on_stderr(&out, secret, secret.len(), "stderr");
    }
    no_requests(&server, &out);
}

#[test]
fn a_working_exec_plugin_token_is_sent_and_the_plugin_gets_exec_info() {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let info = home.path("exec-info.json");
    let plugin = write_script(
        &home,
        "plugin.sh",
        &format!(
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > '{}'\necho '{}'\n",
            info.display(),
            exec_credential("exec-plugin-token-T1")
        ),
    );
    let config = server.kubeconfig(&home, "config", &exec_user(&plugin, &[], &[]));
    let out = satoken_bounded(&home, create_args(&config));
    succeeded(&out);
    let requests = server.requests();
    assert!(!requests.is_empty(), "no request:\n{out}");
    for r in &requests {
        assert_eq!(r.authorization(), Some("Bearer exec-plugin-token-T1"), "{r:#?}");
    }
    let text = std::fs::read_to_string(&info).unwrap_or_else(|e| panic!("the plugin wrote no exec info ({e}):\n{out}"));
    let info: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("KUBERNETES_EXEC_INFO {text:?}: {e}"));
    assert_eq!(info["kind"], "ExecCredential", "{info}");
    assert_eq!(info["spec"]["interactive"], false, "{info}");
}

// ---------------------------------------------------------------------------------------------
// h. Code run from a kubeconfig: the removed gcp and azure auth-providers.

fn removed_auth_provider_refused(provider: &str, message: &str) {
    let commands: [&[&str]; 4] = [
        &["sa", "-n", "ns"],
        &["inspect", "managed", "--verify"],
        &["refresh", "managed"],
        &["revoke", "managed"],
    ];
    for command in commands {
        let server = Hostile::start(hostile::cluster_like);
        let home = Home::new();
        let marker = home.path("plugin-ran");
        let script = write_script(
            &home,
            "provider.sh",
            &format!(
                "touch '{}'\necho '{{\"access_token\":\"provider-token\",\"token_expiry\":\"2099-01-01T00:00:00Z\"}}'\n",
                marker.display()
            ),
        );
        let provider_entry = json!({"name": provider, "config": {
            "cmd-path": script, "cmd-args": "config config-helper --format=json",
            "token-key": "{.access_token}", "expiry-key": "{.token_expiry}",
            "environment": "AzurePublicCloud", "apiserver-id": "a", "client-id": "c", "tenant-id": "t",
        }});
        // The managed context's own user carries a JWT too, so that inspect gets as far as --verify.
        let managed_user =
            json!({"token": hostile::jwt(&hostile::bound_claims("ns", "sa")), "auth-provider": provider_entry});
        let record = json!({
            "namespace": "ns", "serviceAccount": "sa", "tokenType": "secret",
            "secretName": "sa-token-x", "expiresAt": null, "sourceContext": "hostile",
        });
        let config = server.kubeconfig_with(
            &home,
            "config",
            &json!({"auth-provider": provider_entry}).to_string(),
            &hostile::managed_context("managed", "hostile", "managed-user", "ns", &record),
            &hostile::user_item("managed-user", &managed_user),
        );
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(["--kubeconfig".into(), config.display().to_string()]);
        let out = satoken_bounded(&home, &args);
        no_panic(&out);
        assert!(!marker.exists(), "{provider} cmd-path was run by {command:?}:\n{out}");
        no_requests(&server, &out);
        failed(&out);
        stderr_has(&out, message);
    }
}

#[test]
fn the_gcp_auth_provider_is_refused_everywhere() {
    removed_auth_provider_refused("gcp", "The gcp auth plugin has been removed");
}

#[test]
fn the_azure_auth_provider_is_refused_everywhere() {
    removed_auth_provider_refused("azure", "The azure auth plugin has been removed");
}

// ---------------------------------------------------------------------------------------------
// i. Handed-over files: inspect --file F --verify uses only an inline token.

fn handed_over(field: &str, extra: impl Fn(&Home, &std::path::Path) -> Value) {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let marker = home.path("ran");
    let mut user = extra(&home, &marker);
    user["token"] = json!(hostile::jwt(&hostile::bound_claims("ns", "sa")));
    let file = server.kubeconfig(&home, "handed-over.kubeconfig", &user.to_string());
    let out = satoken_bounded(
        &home,
        [
            "inspect".to_string(),
            "--file".into(),
            file.display().to_string(),
            "--verify".into(),
        ],
    );
    no_panic(&out);
    assert!(!marker.exists(), "something from the handed-over file was run:\n{out}");
    no_requests(&server, &out);
    failed(&out);
    stderr_has(&out, "refusing");
    stderr_has(&out, field);
}

fn touching_script(home: &Home, marker: &std::path::Path) -> String {
    write_script(
        home,
        "run.sh",
        &format!(
            "touch '{}'\necho '{}'\n",
            marker.display(),
            exec_credential("from-the-plugin")
        ),
    )
}

#[test]
fn a_handed_over_exec_entry_is_refused() {
    handed_over("exec", |home, marker| {
        serde_json::from_str(&exec_user(&touching_script(home, marker), &[], &[])).expect("json")
    });
}

#[test]
fn a_handed_over_auth_provider_is_refused() {
    handed_over("auth-provider", |home, marker| {
        json!({"auth-provider": {"name": "oidc", "config": {
            "cmd-path": touching_script(home, marker),
            "idp-issuer-url": "https://127.0.0.1:1", "client-id": "x", "id-token": "x.y.z",
        }}})
    });
}

#[test]
fn a_handed_over_token_file_is_refused() {
    handed_over("tokenFile", |home, _| {
        let path = home.path("operator-token");
        std::fs::write(&path, "operator-token-from-a-file").expect("write");
        json!({"tokenFile": path})
    });
}

#[test]
fn handed_over_client_certificate_paths_are_refused() {
    handed_over("client-certificate", |home, _| {
        let pki = hostile::pki();
        let (cert, key) = (home.path("operator.crt"), home.path("operator.key"));
        std::fs::write(&cert, &pki.client_cert_pem).expect("write");
        std::fs::write(&key, &pki.client_key_pem).expect("write");
        json!({"client-certificate": cert, "client-key": key})
    });
}

#[test]
fn a_handed_over_inline_token_is_all_that_is_sent() {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let token = hostile::jwt(&hostile::bound_claims("ns", "sa"));
    let file = server.kubeconfig(&home, "handed-over.kubeconfig", &format!("token: {token}"));
    let out = satoken_bounded(
        &home,
        [
            "inspect".to_string(),
            "--file".into(),
            file.display().to_string(),
            "--verify".into(),
        ],
    );
    succeeded(&out);
    let requests = server.requests();
    assert!(!requests.is_empty(), "--verify sent nothing:\n{out}");
    for r in &requests {
        assert_eq!(r.authorization(), Some(format!("Bearer {token}").as_str()), "{r:#?}");
        assert!(!r.client_cert, "a client certificate was sent: {r:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// j. Completion and slow exec plugins.

fn alive(pid: &str) -> bool {
    // A zombie has ended; only its parent has not collected it yet.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

#[test]
fn completion_leaves_no_plugin_process_behind_and_starts_it_once() {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let (pids, count) = (home.path("plugin.pids"), home.path("plugin.count"));
    let plugin = write_script(
        &home,
        "slow-plugin.sh",
        &format!(
            "echo started >> '{count}'\necho $$ >> '{pids}'\nsleep 300 &\necho $! >> '{pids}'\nsleep 30 &\necho $! >> '{pids}'\nwait $!\necho '{}'\n",
            exec_credential("slow-token"),
            count = count.display(),
            pids = pids.display(),
        ),
    );
    let config = server.kubeconfig(&home, "config", &exec_user(&plugin, &[], &[]));
    let config = config.display().to_string();
    let out = satoken_bounded(&home, ["__complete", "--", "--kubeconfig", &config, "-n", "ns", ""]);
    let recorded: Vec<String> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    // Ending a process is not instant: a second of grace before they must be gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while recorded.iter().any(|p| alive(p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<&String> = recorded.iter().filter(|p| alive(p)).collect();
    for pid in &left {
        let _ = std::process::Command::new("kill").args(["-9", pid.as_str()]).status();
    }
    no_panic(&out);
    assert!(out.run.success(), "{out}");
    assert!(
        out.elapsed < Duration::from_secs(5),
        "completion took {:?}:\n{out}",
        out.elapsed
    );
    assert!(!recorded.is_empty(), "the plugin never started:\n{out}");
    let starts = std::fs::read_to_string(&count).unwrap_or_default().lines().count();
    assert!(
        starts <= 1,
        "the plugin was started {starts} times in one completion:\n{out}"
    );
    assert!(
        left.is_empty(),
        "plugin processes still alive after completion: {left:?}\n{out}"
    );
}

/// A server that issues a token no client could send (a line break at its end) gets an error,
/// not a kubeconfig holding it; the token is not shown.
#[test]
fn an_issued_token_that_is_no_header_value_is_refused() {
    let claims = hostile::bound_claims("ns", "sa");
    let token = format!("{}\n", hostile::jwt(&claims));
    let expiry = hostile::rfc3339(&claims);
    let shown = token.trim_end().to_string();
    let server = Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            hostile::token_request(&token, &expiry)
        } else {
            hostile::cluster_like(r)
        }
    });
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let before = std::fs::read(&config).expect("read kubeconfig");
    let mut args = create_args(&config);
    args.push("--merge".into());
    let out = satoken_bounded(&home, args);
    failed(&out);
    stderr_has(&out, "no client could send it");
    hides_on_stderr(&out, &shown, 16, "stderr");
    assert_eq!(
        std::fs::read(&config).expect("read kubeconfig"),
        before,
        "the kubeconfig changed"
    );
}

/// A FIFO named as a token file or CA file blocks any read of it (kubectl's too); completion
/// still answers within its deadline, with nothing.
#[test]
fn completion_is_not_held_by_a_fifo_credential_or_ca_file() {
    let server = Hostile::start(hostile::cluster_like);
    let home = Home::new();
    let fifo = home.path("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success(), "mkfifo failed");
    let fifo = fifo.display().to_string();
    let config = server.kubeconfig(&home, "config", &format!("tokenFile: {fifo}"));
    let with_ca = {
        let text = std::fs::read_to_string(&config).expect("read kubeconfig");
        let mut doc: serde_json::Value = support::yaml(&text);
        let cluster = &mut doc["clusters"][0]["cluster"];
        cluster
            .as_object_mut()
            .expect("cluster")
            .remove("certificate-authority-data");
        cluster["certificate-authority"] = json!(fifo);
        let path = home.path("config-ca");
        std::fs::write(&path, doc.to_string()).expect("write kubeconfig");
        path
    };
    for config in [config, with_ca] {
        let config = config.display().to_string();
        let out = satoken_bounded(&home, ["__complete", "--", "--kubeconfig", &config, "-n", "ns", ""]);
        no_panic(&out);
        assert!(out.run.success(), "{out}");
        assert!(
            out.elapsed < Duration::from_secs(5),
            "completion took {:?}:\n{out}",
            out.elapsed
        );
    }
    assert!(
        server.requests().is_empty(),
        "a request was sent: {:#?}",
        server.requests()
    );
}

/// What a hostile body shows in a `warning:` line or a probe's verdict: no secret, no raw
/// control character, no line of its own, at most a few KiB.
fn warning_lines_are_safe(out: &Bounded, secret: &str, forged: &str) {
    let err = out.run.stderr_text();
    assert!(!err.contains(secret), "a secret reached stderr:\n{out}");
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{7}'),
        "raw control characters:\n{out}"
    );
    assert!(
        !err.lines().any(|l| l.starts_with(forged)),
        "a forged line reached stderr:\n{out}"
    );
    assert!(out.stderr_len <= 16 * 1024, "{} bytes on stderr", out.stderr_len);
}

/// create withdraws the anchor of a token it issued when another one fails; the server
/// answers that delete with a hostile 500. The warning quotes the server safely.
#[test]
fn a_failed_withdrawal_warning_quotes_the_server_safely() {
    let server = Hostile::start(|r| {
        let path = r.path().to_string();
        match (r.method.as_str(), path.as_str()) {
            ("POST", "/api/v1/namespaces/ns/secrets") => Reply::json(
                201,
                &json!({"kind": "Secret", "apiVersion": "v1", "type": "Opaque",
                        "metadata": {"name": "sa1-anchor-x", "namespace": "ns", "uid": "u1"}}),
            ),
            ("POST", "/api/v1/namespaces/ns/serviceaccounts/sa2/token") => hostile::status(403, "Forbidden", "no"),
            ("DELETE", _) => hostile::status(
                500,
                "InternalError",
                &format!(
                    "\u{1b}]0;pwned\u{7}\nwarning: all clear echo: {} {}",
                    r.authorization().unwrap_or_default(),
                    "x".repeat(100_000)
                ),
            ),
            _ => hostile::cluster_like(r),
        }
    });
    let home = Home::new();
    let config = server.kubeconfig(&home, "config", &format!("token: {OPERATOR_TOKEN}"));
    let dir = home.path("out");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (dir, config) = (dir.display().to_string(), config.display().to_string());
    let out = satoken_bounded(
        &home,
        [
            "sa1",
            "sa2",
            "-n",
            "ns",
            "--revocable",
            "--output-dir",
            &dir,
            "--kubeconfig",
            &config,
        ],
    );
    failed(&out);
    no_panic(&out);
    stderr_has(&out, "warning: ");
    warning_lines_are_safe(&out, OPERATOR_TOKEN, "warning: all clear");
}

/// revoke's probe is answered with a hostile 500 reason: the verdict quotes it safely.
#[test]
fn a_probe_answer_is_quoted_safely_in_the_verdict() {
    let server = Hostile::start(|r| {
        if r.path().ends_with("selfsubjectreviews") {
            let reason = format!(
                "\u{1b}]0;pwned\u{7}\nContext \"managed\": the token no longer works {} {}",
                r.authorization().unwrap_or_default(),
                "y".repeat(100_000)
            );
            hostile::status(500, &reason, "m")
        } else {
            hostile::cluster_like(r)
        }
    });
    let home = Home::new();
    let record = json!({
        "namespace": "ns", "serviceAccount": "sa", "tokenType": "secret",
        "secretName": "sa-token-x", "expiresAt": null, "sourceContext": "hostile",
    });
    let managed_token = "managed-token-ABCDEFGHIJKLMNOP";
    let config = server.kubeconfig_with(
        &home,
        "config",
        &format!("token: {OPERATOR_TOKEN}"),
        &hostile::managed_context("managed", "hostile", "muser", "ns", &record),
        &hostile::user_item("muser", &json!({"token": managed_token})),
    );
    let config = config.display().to_string();
    let out = satoken_bounded(&home, ["revoke", "managed", "--keep-context", "--kubeconfig", &config]);
    no_panic(&out);
    stderr_has(&out, "not confirmed");
    warning_lines_are_safe(&out, managed_token, "Context \"managed\": the token no longer works");
    warning_lines_are_safe(&out, OPERATOR_TOKEN, "Context \"managed\": the token no longer works");
}
