//! Secret hygiene: at the highest verbosity, no token and no Authorization header value
//! ever reaches stderr, in successes and in errors, and the library's Debug output of
//! loaded kubeconfigs and merge requests shows no credential.
//!
//! Every command here runs with `-vvv`, and the test first checks that this really logs
//! requests, so that "nothing leaked" is not "nothing logged".

use crate::support;

use std::path::Path;

use kubectl_satoken::kubeconfig::{Chain, LoadingRules, MergeRequest, Section};
use support::{Home, Namespace, Run, admin_ok, run, yaml};

/// The admin's client key and certificate: credentials as well.
fn admin_secrets() -> Vec<String> {
    let doc = yaml(&std::fs::read_to_string(support::admin_kubeconfig()).expect("admin kubeconfig"));
    let user = &doc["users"][0]["user"];
    ["client-key-data", "client-certificate-data", "token"]
        .iter()
        .filter_map(|k| user[*k].as_str().map(str::to_owned))
        .collect()
}

/// The parts of a secret whose appearance would be a leak: the whole value, and for a JWT
/// its signature (the part that makes it usable). Long base64 values are also checked in
/// slices, in case a message cut them.
fn needles(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    if let Some(signature) = secret
        .rsplit('.')
        .next()
        .filter(|s| s.len() >= 20 && secret.contains('.'))
    {
        out.push(signature.to_owned());
    }
    if secret.len() > 200 {
        out.extend(
            secret
                .as_bytes()
                .chunks(64)
                .map(|c| String::from_utf8_lossy(c).into_owned()),
        );
    }
    out
}

fn assert_clean(run: &Run, secrets: &[String]) {
    let stderr = run.stderr_text();
    for secret in secrets {
        for needle in needles(secret) {
            assert!(!stderr.contains(&needle), "a secret on stderr:\n{run}");
        }
    }
    assert!(!stderr.contains("Bearer "), "a Bearer value on stderr:\n{run}");
    assert!(
        !stderr.to_ascii_lowercase().contains("authorization:"),
        "a header on stderr:\n{run}"
    );
}

fn user_token(kubeconfig_text: &str, user: &str) -> String {
    let doc = yaml(kubeconfig_text);
    doc["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == user)
        .and_then(|u| u["user"]["token"].as_str())
        .unwrap_or_else(|| panic!("no token for user {user}"))
        .to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

#[test]
fn the_most_verbose_output_logs_requests_but_never_a_credential() {
    let ns = Namespace::new("hygiene");
    ns.service_account_that_lists_pods("ci");
    admin_ok(["create", "serviceaccount", "nobody", "-n", &ns.name]);
    let n = ns.name.as_str();
    let home = Home::new();
    home.admin_config(".kube/config");
    let mut secrets = admin_secrets();

    // A bound token on stdout.
    let out = run(&mut home.satoken(["ci", "-n", n, "-vvv"])).ok();
    let stdout = out.stdout_text();
    secrets.push(user_token(&stdout, &format!("local/{n}/ci")));
    assert!(
        out.stderr_text().contains(&format!(
            "verbose: POST /api/v1/namespaces/{n}/serviceaccounts/ci/token 201"
        )),
        "-vvv logs each request:\n{out}"
    );
    assert!(out.stderr_text().contains("audit-id"), "{out}");
    assert_clean(&out, &secrets);

    // Only the token.
    let out = run(&mut home.satoken(["ci", "-n", n, "-o", "token", "-vvv"])).ok();
    secrets.push(out.stdout_text().trim().to_owned());
    assert_clean(&out, &secrets);

    // A Secret-based token, to a file, checked with --verify (requests made WITH the token).
    let file = home.path("secret.kubeconfig");
    let out = run(home
        .satoken(["ci", "-n", n, "--type", "secret", "--verify", "-vvv", "--output-file"])
        .arg(&file))
    .ok();
    let secret_token = user_token(&read(&file), &format!("local/{n}/ci"));
    secrets.push(secret_token);
    assert!(out.stderr_text().contains("selfsubjectreviews 201"), "{out}");
    assert_clean(&out, &secrets);

    // Merged, revocable, then inspected, refreshed and revoked, all at -vvv.
    let out = run(&mut home.satoken(["ci", "-n", n, "--revocable", "--merge", "--context-name", "h", "-vvv"])).ok();
    assert_clean(&out, &secrets);
    let config = home.path(".kube/config");
    secrets.push(user_token(&read(&config), "h"));
    let out = run(&mut home.satoken(["inspect", "h", "--verify", "-vvv"])).ok();
    assert_clean(&out, &secrets);
    assert!(!out.stdout_text().contains(secrets.last().expect("token")), "{out}");
    let out = run(&mut home.satoken(["refresh", "h", "-vvv"])).ok();
    secrets.push(user_token(&read(&config), "h"));
    assert_clean(&out, &secrets);
    let out = run(&mut home.satoken(["revoke", "h", "-vvv"])).ok();
    assert_clean(&out, &secrets);

    // Errors. The server refuses a token (401): a kubeconfig whose token is made up.
    let garbage = "hygiene-garbage-token-0123456789abcdef";
    secrets.push(garbage.to_owned());
    let bad = home.path("bad-token.kubeconfig");
    let mut doc = yaml(&read(support::admin_kubeconfig()));
    doc["users"][0]["user"] = serde_json::json!({"token": garbage});
    std::fs::write(&bad, serde_json::to_string(&doc).expect("json")).expect("write");
    let out = run(home.satoken(["ci", "-n", n, "-vvv", "--kubeconfig"]).arg(&bad)).fails();
    assert!(out.stderr_text().contains(" 401 "), "the 401 is logged:\n{out}");
    assert_clean(&out, &secrets);

    // A ServiceAccount token without RBAC as the source (403): its own token stays hidden.
    let nobody = home.path("nobody.kubeconfig");
    run(home.satoken(["nobody", "-n", n, "--output-file"]).arg(&nobody)).ok();
    secrets.push(user_token(&read(&nobody), &format!("local/{n}/nobody")));
    let out = run(home.satoken(["ci", "-n", n, "-vvv", "--kubeconfig"]).arg(&nobody)).fails();
    assert!(out.stderr_text().contains(" 403 "), "{out}");
    assert_clean(&out, &secrets);

    // --verify against a server that is not the one the token is for: a real token in a
    // kubeconfig that fails.
    let out = run(&mut home.satoken([
        "ci",
        "-n",
        n,
        "--verify",
        "--server",
        "https://127.0.0.1:1",
        "--request-timeout",
        "2s",
        "-vvv",
    ]))
    .fails();
    assert_clean(&out, &secrets);

    // A token of the wrong type, in every shape a parser might echo back.
    let leaky = "LEAKY-token-value-9f8e7d6c5b4a";
    secrets.push(leaky.to_owned());
    for user in [
        serde_json::json!({"token": [leaky]}),
        serde_json::json!({"token": {leaky: leaky}}),
        serde_json::json!({"token": 123456789012345678_u64}),
        serde_json::json!({"token": true, "username": leaky}),
        serde_json::json!({"exec": {"command": 7, "args": [leaky]}}),
        serde_json::json!({"auth-provider": {"name": "oidc", "config": leaky}}),
        serde_json::json!({"client-key-data": [leaky]}),
        serde_json::json!({"password": {"nested": leaky}, "username": "u"}),
    ] {
        doc["users"][0]["user"] = user;
        std::fs::write(&bad, serde_json::to_string(&doc).expect("json")).expect("write");
        let out = run(home.satoken(["ci", "-n", n, "-vvv", "--kubeconfig"]).arg(&bad)).fails();
        assert_clean(&out, &secrets);
        assert!(!out.stderr_text().contains("123456789012345678"), "{out}");
        assert!(!out.stdout_text().contains(leaky), "{out}");
    }
    // And in YAML text that does not parse at all around it.
    std::fs::write(&bad, format!("users:\n- name: u\n  user:\n    token: {leaky}\n  : [\n")).expect("write");
    let out = run(home.satoken(["ci", "-n", n, "-vvv", "--kubeconfig"]).arg(&bad)).fails();
    assert_clean(&out, &secrets);
}

#[test]
fn debug_output_of_loaded_kubeconfigs_and_merge_requests_hides_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config");
    std::fs::write(
        &file,
        "users:\n- name: u\n  user: {token: DEBUG-SECRET-1, client-key-data: DEBUG-SECRET-2}\n\
         clusters:\n- name: c\n  cluster: {server: 'https://x'}\n\
         contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n",
    )
    .expect("write");
    let chain = Chain::load(LoadingRules::new(Some(file), None, None)).expect("load");
    let mut shown = format!("{chain:?} {:?}", chain.files);
    shown.push_str(&format!("{:?}", chain.entry(Section::Users, "u")));
    let kube = chain.to_kube().expect("to kube");
    shown.push_str(&format!("{kube:?}"));
    let request = MergeRequest {
        entries: vec![(
            Section::Users,
            "u".into(),
            serde_json::json!({"token": "DEBUG-SECRET-3"}),
        )],
        remove: vec![],
        set_current: None,
        overwrite: false,
        ours: kubectl_satoken::record::is_managed,
        lock_timeout: std::time::Duration::ZERO,
    };
    shown.push_str(&format!("{request:?}"));
    for secret in ["DEBUG-SECRET-1", "DEBUG-SECRET-2", "DEBUG-SECRET-3"] {
        assert!(!shown.contains(secret), "{secret} in Debug output: {shown}");
    }
}
