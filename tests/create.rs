//! `kubectl satoken SA`: the kubeconfig it prints, writes or refuses, checked against the local
//! cluster with the real kubectl.

use crate::support;

use std::path::Path;

use support::{Home, Namespace, admin, admin_ok, jwt_claims, run, yaml};

/// Runs kubectl with only `kubeconfig` and returns the run.
fn kubectl_with(home: &Home, kubeconfig: &Path, args: &[&str]) -> support::Run {
    let mut cmd = home.kubectl(["--kubeconfig"]);
    cmd.arg(kubeconfig).args(args);
    run(&mut cmd)
}

fn whoami(home: &Home, kubeconfig: &Path) -> String {
    kubectl_with(
        home,
        kubeconfig,
        &["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
    )
    .ok()
    .stdout_text()
}

fn lifetime(token: &str) -> i64 {
    let claims = jwt_claims(token);
    claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat")
}

/// A kubeconfig whose server refuses connections: a run that sends a request fails with
/// "cannot reach", so any other error proves nothing was sent.
fn unreachable_config(home: &Home) -> std::path::PathBuf {
    let path = home.path("unreachable.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: nowhere\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         users:\n- name: u\n  user: {token: not-a-real-token}\ncontexts:\n- name: nowhere\n  context: {cluster: nowhere, user: u}\n\
         current-context: nowhere\n",
    )
    .expect("write");
    path
}

#[test]
fn the_printed_kubeconfig_alone_lists_pods_in_its_namespace_and_nothing_else() {
    let ns = Namespace::new("printed");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let out = run(&mut home.satoken(["ci", "-n", &ns.name])).ok();
    let expected_identity = format!("system:serviceaccount:{}:ci", ns.name);
    assert!(
        out.stderr_text()
            .starts_with(&format!("Issued a bound token for {expected_identity}, expires ")),
        "{out}"
    );
    assert!(out.stderr_text().contains("(in 60m)"), "{out}");

    // stdout is the kubeconfig and nothing else; it is standalone (no file paths).
    let config = yaml(&out.stdout_text());
    let name = format!("local/{}/ci", ns.name);
    assert_eq!(config["current-context"], name.as_str());
    assert_eq!(config["contexts"].as_array().map(Vec::len), Some(1));
    let cluster = &config["clusters"][0]["cluster"];
    assert!(cluster.get("certificate-authority").is_none() && cluster["certificate-authority-data"].is_string());
    let user = config["users"][0]["user"].as_object().expect("user");
    assert!(
        user.keys().all(|k| k == "token" || k == "extensions"),
        "only the token: {user:?}"
    );

    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    assert_eq!(whoami(&home, &file), expected_identity);
    kubectl_with(&home, &file, &["get", "pods"]).ok();
    kubectl_with(&home, &file, &["get", "pods", "-n", "default"])
        .fails()
        .stderr_has("Forbidden");
}

#[test]
fn works_as_a_kubectl_plugin_found_on_path() {
    let ns = Namespace::new("plugin");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    let source = home.admin_config("admin.yaml");
    let bin = home.path("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    std::os::unix::fs::symlink(support::satoken_bin(), bin.join("kubectl-satoken")).expect("symlink");
    let path = format!("{}:/usr/bin:/bin", bin.display());

    let list = run(home.kubectl(["plugin", "list"]).env("PATH", &path)).ok();
    assert!(list.stdout_text().contains("kubectl-satoken"), "{list}");
    assert!(!list.stderr_text().contains("warning"), "{list}");

    let out = run(home
        .kubectl(["satoken", "ci", "-n", &ns.name])
        .env("PATH", &path)
        .env("KUBECONFIG", &source))
    .ok();
    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    assert_eq!(whoami(&home, &file), format!("system:serviceaccount:{}:ci", ns.name));
}

/// Without -n, the namespace is the source context's, and `default` when it names none.
#[test]
fn the_namespace_defaults_to_the_contexts_then_to_default() {
    let ns = Namespace::new("ns-default");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config("admin.yaml");
    let kubeconfig = config.to_str().expect("utf-8");
    let mut set = home.kubectl([
        "config",
        "set-context",
        "local",
        "--namespace",
        &ns.name,
        "--kubeconfig",
        kubeconfig,
    ]);
    run(&mut set).ok();
    let doc = yaml(
        &run(&mut home.satoken(["ci", "--kubeconfig", kubeconfig]))
            .ok()
            .stdout_text(),
    );
    let claims = jwt_claims(doc["users"][0]["user"]["token"].as_str().expect("token"));
    assert_eq!(claims["sub"], format!("system:serviceaccount:{}:ci", ns.name));
    assert_eq!(doc["contexts"][0]["context"]["namespace"], ns.name.as_str());

    // No namespace on the context: `default`, whose ServiceAccount `default` always exists.
    let mut unset = home.kubectl([
        "config",
        "set-context",
        "local",
        "--namespace=",
        "--kubeconfig",
        kubeconfig,
    ]);
    run(&mut unset).ok();
    let doc = yaml(
        &run(&mut home.satoken(["default", "--kubeconfig", kubeconfig]))
            .ok()
            .stdout_text(),
    );
    let claims = jwt_claims(doc["users"][0]["user"]["token"].as_str().expect("token"));
    assert_eq!(claims["sub"], "system:serviceaccount:default:default");
}

/// -v logs each request (method, path, status, time); -vv adds the server's audit ID.
#[test]
fn verbosity_levels_log_requests_then_audit_ids() {
    let ns = Namespace::new("verbose");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    let request = format!(
        "verbose: POST /api/v1/namespaces/{}/serviceaccounts/ci/token 201 Created in ",
        ns.name
    );
    let once = run(&mut home.satoken(["ci", "-n", &ns.name, "-v", "--quiet"])).ok();
    let line = once.stderr_text();
    assert!(line.starts_with(&request) && line.ends_with("ms\n"), "{once}");
    assert_eq!(line.lines().count(), 1, "one request, nothing else: {once}");
    let twice = run(&mut home.satoken(["ci", "-n", &ns.name, "-vv", "--quiet"])).ok();
    assert!(twice.stderr_text().contains(" audit-id "), "{twice}");
    let none = run(&mut home.satoken(["ci", "-n", &ns.name, "--quiet"])).ok();
    assert_eq!(none.stderr_text(), "", "{none}");
}

/// A source cluster entry without a CA trusts the server through the system store (here
/// SSL_CERT_FILE): a bound token's kubeconfig gets no CA invented, a Secret-based token's
/// gets the Secret's `ca.crt`, and kubectl then needs nothing but that file.
#[test]
fn a_source_without_a_ca_gets_the_secrets_ca_only_for_a_secret_token() {
    use base64::Engine;
    let ns = Namespace::new("system-trust");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let mut source = yaml(&std::fs::read_to_string(support::admin_kubeconfig()).expect("read"));
    let ca_data = source["clusters"][0]["cluster"]
        .as_object_mut()
        .expect("cluster")
        .remove("certificate-authority-data")
        .expect("the admin kubeconfig embeds its CA");
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca_data.as_str().expect("base64"))
        .expect("base64");
    std::fs::write(home.path("system-ca.pem"), &ca).expect("write");
    let kubeconfig = home.path("no-ca.yaml");
    std::fs::write(&kubeconfig, serde_json::to_string(&source).expect("json")).expect("write");

    let issue = |extra: &[&str]| {
        let mut cmd = home.satoken(["ci", "-n", &ns.name, "-o", "json", "--quiet", "--kubeconfig"]);
        cmd.arg(&kubeconfig)
            .args(extra)
            .env("SSL_CERT_FILE", home.path("system-ca.pem"));
        yaml(&run(&mut cmd).ok().stdout_text())
    };
    let bound = issue(&[]);
    assert_eq!(
        bound["clusters"][0]["cluster"].get("certificate-authority-data"),
        None,
        "no CA invented: {bound}"
    );
    let secret = issue(&["--type", "secret"]);
    let embedded = secret["clusters"][0]["cluster"]["certificate-authority-data"]
        .as_str()
        .expect("the Secret's ca.crt");
    let ca_crt = admin_ok([
        "get",
        "secret",
        "-n",
        &ns.name,
        "-o",
        "jsonpath={.items[0].data.ca\\.crt}",
    ])
    .stdout_text();
    // The namespace holds no other Secret: token Secrets are no longer made by themselves.
    assert_eq!(embedded, ca_crt, "the Secret's ca.crt");
    let file = home.path("secret.yaml");
    std::fs::write(&file, serde_json::to_string(&secret).expect("json")).expect("write");
    assert_eq!(whoami(&home, &file), format!("system:serviceaccount:{}:ci", ns.name));
}

#[test]
fn durations_zero_and_unset_give_one_hour_and_the_limits_are_the_servers() {
    let ns = Namespace::new("durations");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let source = home.admin_config("admin.yaml");
    let token = |extra: &[&str]| {
        let mut args = vec![
            "ci",
            "-n",
            &ns.name,
            "-o",
            "token",
            "--kubeconfig",
            source.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        run(&mut home.satoken(args)).ok().stdout_text()
    };
    let unset = token(&[]);
    assert!(!unset.ends_with('\n'), "no newline when stdout is not a terminal");
    let args = format!("ci -n {} -o token --quiet --kubeconfig {}", ns.name, source.display());
    let screen = support::on_a_terminal(&home, &args, &[]);
    assert!(
        screen.starts_with("eyJ") && screen.ends_with("\r\n"),
        "a newline on a terminal: {screen:?}"
    );
    assert_eq!(lifetime(&unset), 3600);
    assert_eq!(lifetime(&token(&["--duration", "0s"])), 3600);
    assert_eq!(lifetime(&token(&["--duration", "4294967296s"])), 4_294_967_296);
    assert_eq!(lifetime(&token(&["--duration", "1h30m"])), 5400);

    // Out of range: refused before any request (the server here is unreachable).
    let nowhere = unreachable_config(&home);
    for (duration, message) in [("4294967297s", "too long"), ("5m", "too short")] {
        let out = run(&mut home.satoken([
            "ci",
            "--duration",
            duration,
            "--kubeconfig",
            nowhere.to_str().expect("utf-8"),
        ]))
        .fails()
        .stderr_has(message);
        assert_eq!(out.stdout_text(), "", "{out}");
        assert!(!out.stderr_text().contains("cannot reach"), "{out}");
    }
}

#[test]
fn secret_tokens_never_expire_are_not_listed_on_the_service_account_and_can_be_reused() {
    let ns = Namespace::new("secret");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let out = run(&mut home.satoken(["ci", "-n", &ns.name, "--type", "secret"]))
        .ok()
        .stderr_has("never expires");
    let config = yaml(&out.stdout_text());
    let token = config["users"][0]["user"]["token"].as_str().expect("token").to_string();
    assert!(jwt_claims(&token).get("exp").is_none());
    let info = &config["contexts"][0]["context"]["extensions"][0]["extension"];
    assert_eq!(info["tokenType"], "secret");
    let secret_name = info["secretName"].as_str().expect("secretName").to_string();
    assert!(secret_name.starts_with("ci-token-"), "generated name: {secret_name}");

    let secret = admin_ok(["get", "secret", &secret_name, "-n", &ns.name, "-o", "json"]);
    let secret: serde_json::Value = serde_json::from_str(&secret.stdout_text()).expect("json");
    assert_eq!(
        secret["metadata"]["annotations"]["kubernetes.io/service-account.name"],
        "ci"
    );
    assert_eq!(secret["type"], "kubernetes.io/service-account-token");
    let sa = admin_ok(["get", "serviceaccount", "ci", "-n", &ns.name, "-o", "json"]);
    let sa: serde_json::Value = serde_json::from_str(&sa.stdout_text()).expect("json");
    assert!(
        sa.get("secrets").is_none(),
        "the Secret must not be listed in .secrets: {sa}"
    );

    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    kubectl_with(&home, &file, &["get", "pods"]).ok();

    // --secret-name reuses the Secret (same token); a run without it makes a new Secret.
    let reused = run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--type",
        "secret",
        "--secret-name",
        &secret_name,
        "-o",
        "yaml",
    ]))
    .ok();
    assert_eq!(yaml(&reused.stdout_text())["users"][0]["user"]["token"], token.as_str());
    let fresh = run(&mut home.satoken(["ci", "-n", &ns.name, "--type", "secret"])).ok();
    assert_ne!(yaml(&fresh.stdout_text())["users"][0]["user"]["token"], token.as_str());

    // A named Secret that does not exist yet is created under that name.
    let named = run(&mut home.satoken(["ci", "-n", &ns.name, "--type", "secret", "--secret-name", "ci-handout"])).ok();
    assert_eq!(
        yaml(&named.stdout_text())["contexts"][0]["context"]["extensions"][0]["extension"]["secretName"],
        "ci-handout"
    );
    admin_ok(["get", "secret", "ci-handout", "-n", &ns.name]);

    // A Secret of another ServiceAccount is not taken over.
    admin_ok(["create", "serviceaccount", "other", "-n", &ns.name]);
    run(&mut home.satoken([
        "other",
        "-n",
        &ns.name,
        "--type",
        "secret",
        "--secret-name",
        "ci-handout",
    ]))
    .fails()
    .stderr_has("is not a token Secret of serviceaccount \"other\"; pick another --secret-name");
}

#[test]
fn output_file_is_0600_and_not_replaced_without_force() {
    use std::os::unix::fs::PermissionsExt;
    let ns = Namespace::new("outfile");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let file = home.path("handout/ci.kubeconfig");
    std::fs::create_dir(home.path("handout")).expect("mkdir");
    let out = run(&mut home.satoken(["ci", "-n", &ns.name, "--output-file", file.to_str().expect("utf-8")])).ok();
    assert_eq!(out.stdout_text(), "", "{out}");
    assert_eq!(
        std::fs::metadata(&file).expect("file").permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(whoami(&home, &file), format!("system:serviceaccount:{}:ci", ns.name));

    let before = std::fs::read(&file).expect("read");
    run(&mut home.satoken(["ci", "-n", &ns.name, "--output-file", file.to_str().expect("utf-8")]))
        .fails()
        .stderr_has("pass --force to replace it");
    assert_eq!(std::fs::read(&file).expect("read"), before);
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--output-file",
        file.to_str().expect("utf-8"),
        "--force",
        "-o",
        "json",
    ]))
    .ok();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("-o json writes JSON");
    assert_eq!(json["kind"], "Config");
    assert_eq!(
        std::fs::metadata(&file).expect("file").permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn server_ca_and_context_name_overrides_give_a_working_handout() {
    let ns = Namespace::new("overrides");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let admin_config = yaml(&std::fs::read_to_string(support::admin_kubeconfig()).expect("read"));
    let server = admin_config["clusters"][0]["cluster"]["server"]
        .as_str()
        .expect("server")
        .replace("127.0.0.1", "localhost");
    use base64::Engine;
    let ca_pem = base64::engine::general_purpose::STANDARD
        .decode(
            admin_config["clusters"][0]["cluster"]["certificate-authority-data"]
                .as_str()
                .expect("ca"),
        )
        .expect("base64");
    std::fs::write(home.path("ca.pem"), &ca_pem).expect("write");

    let out = run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--server",
        &server,
        "--certificate-authority",
        "ca.pem",
        "--context-name",
        "handout",
    ]))
    .ok();
    let config = yaml(&out.stdout_text());
    assert_eq!(config["clusters"][0]["cluster"]["server"], server.as_str());
    assert_eq!(config["current-context"], "handout");
    let file = home.path("handout.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    assert_eq!(whoami(&home, &file), format!("system:serviceaccount:{}:ci", ns.name));
}

#[test]
fn bad_input_fails_clearly_writes_nothing_and_prints_no_data() {
    let ns = Namespace::new("badinput");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let source = home.admin_config(".kube/config");
    let nowhere = unreachable_config(&home);
    std::fs::write(home.path("garbage.yaml"), "clusters: [unclosed\n").expect("write");
    std::fs::create_dir(home.path("dir.yaml")).expect("mkdir");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["missing", "-n", &ns.name],
            "serviceaccount \"missing\" not found in namespace",
        ),
        (
            vec!["missing", "-n", &ns.name],
            "kubectl create serviceaccount missing -n",
        ),
        (
            vec!["ci", "-n", "no-such-namespace"],
            "namespace \"no-such-namespace\" not found; create it",
        ),
        (
            vec!["missing", "-n", &ns.name, "--type", "secret"],
            "kubectl create serviceaccount missing",
        ),
        (vec!["ci", "--context", "nope"], "context \"nope\" does not exist"),
        (
            vec!["ci", "--kubeconfig", nowhere.to_str().expect("utf-8")],
            "cannot reach the API server https://127.0.0.1:1",
        ),
        (vec!["ci", "--kubeconfig", "garbage.yaml"], "garbage.yaml"),
        (vec!["ci", "--kubeconfig", "dir.yaml"], "is a directory"),
        (
            vec!["ci", "--kubeconfig", "absent.yaml"],
            "absent.yaml\" does not exist",
        ),
        (vec!["Not_A_Name"], "invalid ServiceAccount name \"Not_A_Name\""),
        (vec!["ci", "-n", "Bad"], "invalid namespace \"Bad\""),
        (
            vec!["ci", "--type", "secret", "--duration", "1h"],
            "apply to --type bound only",
        ),
        (vec!["ci", "--merge", "--output-file", "x"], "cannot be used with"),
        (
            vec!["ci", "--bound-object-kind", "Pod"],
            "--bound-object-name is required if --bound-object-kind is provided",
        ),
        (
            vec!["ci", "--bound-object-kind", "Deployment", "--bound-object-name", "x"],
            "possible values: Node, Pod, Secret",
        ),
    ];
    let before = std::fs::read(&source).expect("read");
    for (args, message) in cases {
        let out = run(&mut home.satoken(&args)).fails().stderr_has(message);
        assert_eq!(out.stdout_text(), "", "{out}");
        assert!(out.stderr_text().starts_with("error: "), "{out}");
        assert!(
            !out.stderr_text().contains("not-a-real-token"),
            "a token in an error: {out}"
        );
    }
    assert_eq!(
        std::fs::read(&source).expect("read"),
        before,
        "the source kubeconfig changed"
    );
    let names: Vec<_> = std::fs::read_dir(home.dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(!names.iter().any(|n| n == "x"), "nothing written: {names:?}");
}

#[test]
fn a_user_without_rbac_to_create_tokens_is_told_so() {
    let ns = Namespace::new("rbac");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    admin_ok(["create", "serviceaccount", "nobody", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    run(&mut home.satoken(["nobody", "-n", &ns.name, "--output-file", "nobody.yaml"])).ok();
    let nobody = home.path("nobody.yaml");
    let denied = run(&mut home.satoken(["ci", "-n", &ns.name, "--kubeconfig", nobody.to_str().expect("utf-8")]))
        .fails()
        .stderr_has("not allowed to create tokens for serviceaccount \"ci\"")
        .stderr_has("ask a cluster admin for RBAC permission");
    assert_eq!(denied.stdout_text(), "");
}

#[test]
fn a_source_user_authenticating_through_an_exec_plugin_works() {
    let ns = Namespace::new("exec");
    ns.service_account_that_lists_pods("ci");
    admin_ok(["create", "serviceaccount", "deployer", "-n", &ns.name]);
    let binding = format!("{}-deployer", ns.name);
    admin_ok([
        "create",
        "clusterrolebinding",
        &binding,
        "--clusterrole=cluster-admin",
        &format!("--serviceaccount={}:deployer", ns.name),
    ]);
    let token = admin_ok(["create", "token", "deployer", "-n", &ns.name]).stdout_text();

    let home = Home::new();
    let plugin = home.path("credential-plugin");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'\n"
        ),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut config = yaml(&std::fs::read_to_string(support::admin_kubeconfig()).expect("read"));
    config["users"][0]["user"] = serde_json::json!({
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./credential-plugin", "interactiveMode": "Never"}
    });
    let source = home.path("exec.yaml");
    std::fs::write(&source, serde_json::to_string(&config).expect("json")).expect("write");

    let out = run(&mut home.satoken(["ci", "-n", &ns.name, "--kubeconfig", source.to_str().expect("utf-8")])).ok();
    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    assert_eq!(whoami(&home, &file), format!("system:serviceaccount:{}:ci", ns.name));
    let _ = admin(["delete", "clusterrolebinding", &binding]);
}

#[test]
fn help_has_examples_and_version_matches_the_crate() {
    let home = Home::new();
    for args in [&["--help"][..], &["create", "--help"]] {
        let help = run(&mut home.satoken(args)).ok().stdout_text();
        assert!(
            help.contains("Examples:") && help.contains("kubectl satoken ci -n team-a"),
            "{help}"
        );
    }
    let version = run(&mut home.satoken(["--version"])).ok().stdout_text();
    assert_eq!(version.trim(), format!("kubectl-satoken {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn quiet_prints_nothing_on_stderr_and_a_closed_pipe_is_not_an_error() {
    let ns = Namespace::new("quiet");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    let out = run(&mut home.satoken(["ci", "-n", &ns.name, "--quiet"])).ok();
    assert_eq!(out.stderr_text(), "", "{out}");
    assert_eq!(yaml(&out.stdout_text())["kind"], "Config");

    // `kubectl satoken ci | head -1`: the reader leaves early; that is not a failure.
    let mut cmd = home.satoken(["ci", "-n", &ns.name]);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("error"),
        "status {:?}, stderr {stderr}",
        out.status
    );
}

#[test]
fn a_token_bound_to_a_secret_is_revoked_by_deleting_that_secret() {
    let ns = Namespace::new("bound-secret");
    ns.service_account_that_lists_pods("ci");
    admin_ok(["create", "secret", "generic", "anchor", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    let out = run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--bound-object-kind",
        "Secret",
        "--bound-object-name",
        "anchor",
    ]))
    .ok();
    let config = yaml(&out.stdout_text());
    let claims = jwt_claims(config["users"][0]["user"]["token"].as_str().expect("token"));
    assert_eq!(claims["kubernetes.io"]["secret"]["name"], "anchor");
    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    kubectl_with(&home, &file, &["get", "pods"]).ok();
    admin_ok(["delete", "secret", "anchor", "-n", &ns.name]);
    support::eventually(10, "the bound token to stop working", || {
        let r = kubectl_with(&home, &file, &["get", "pods"]);
        (!r.success() && r.stderr_text().contains("Unauthorized")).then_some(())
    });
}

#[test]
fn a_secret_the_tokens_controller_does_not_fill_in_time_is_reported_and_deleted_again() {
    let ns = Namespace::new("secret-timeout");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    // 1ns: the wait is over before the controller can act.
    let out = run(&mut home.satoken(["ci", "-n", &ns.name, "--type", "secret", "--secret-timeout", "1ns"]))
        .fails()
        .stderr_has("the tokens controller did not fill Secret")
        .stderr_has("The Secret was deleted again.");
    assert_eq!(out.stdout_text(), "");
    let secrets = admin_ok(["get", "secrets", "-n", &ns.name, "-o", "name"]).stdout_text();
    assert_eq!(secrets, "", "no Secret left behind");
}

/// `--output-file P --force` where P is not a file to replace: a device, a FIFO, or a link to
/// this process's stdout (which `/dev/stdout` is). Such a path is written through, as a
/// shell's `> P` writes it; it is never replaced by a file of ours nor chmod-ed (as root
/// this once turned `/dev/stdout` into a 0600 file holding the token).
#[test]
fn output_file_that_is_a_device_fifo_or_stdout_is_written_through_never_replaced() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let ns = Namespace::new("outfile-device");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    let create = |path: &Path| {
        run(&mut home.satoken([
            "ci",
            "-n",
            &ns.name,
            "--output-file",
            path.to_str().expect("utf-8"),
            "--force",
        ]))
        .ok()
    };
    let kind = |path: &Path| {
        let meta = std::fs::symlink_metadata(path).expect("stat");
        let t = meta.file_type();
        (
            t.is_symlink(),
            t.is_char_device(),
            t.is_fifo(),
            meta.permissions().mode() & 0o7777,
        )
    };

    // A link to our own stdout, made here (what /dev/stdout is, but ours to lose).
    let link = home.path("my-stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).expect("symlink");
    let out = create(&link);
    assert!(
        out.stdout_text().contains("kind: Config"),
        "the kubeconfig went to stdout:\n{out}"
    );
    assert!(kind(&link).0, "still a link");

    // A char device: our own where mknod is allowed (root), else /dev/null.
    let own = home.path("null");
    let made = std::process::Command::new("mknod")
        .arg(&own)
        .args(["-m", "0666", "c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("mknod not permitted: /dev/null itself is the device target");
    }
    let device = if made {
        own
    } else {
        std::path::PathBuf::from("/dev/null")
    };
    let before = kind(&device);
    create(&device);
    assert_eq!(kind(&device), before, "the device is still a device with its mode");

    // A FIFO with a reader: the reader gets the kubeconfig; the FIFO stays a 0640 FIFO.
    let fifo = home.path("fifo");
    run(std::process::Command::new("mkfifo").args(["-m", "0640"]).arg(&fifo)).ok();
    let reader = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::read_to_string(fifo).expect("read fifo")
    });
    create(&fifo);
    assert!(reader.join().expect("reader").contains("kind: Config"));
    assert_eq!(kind(&fifo), (false, false, true, 0o640));

    // And /dev/stdout itself, now that a link of our own has shown it is safe to try.
    let dev_stdout = Path::new("/dev/stdout");
    let before = (kind(dev_stdout), std::fs::read_link(dev_stdout).expect("readlink"));
    let out = create(dev_stdout);
    assert!(out.stdout_text().contains("kind: Config"), "{out}");
    assert_eq!(
        (kind(dev_stdout), std::fs::read_link(dev_stdout).expect("readlink")),
        before
    );
    assert!(before.0.0, "/dev/stdout is a link");
}

/// The names of the token Secrets in a namespace, as the admin sees them.
fn token_secrets(ns: &str) -> Vec<String> {
    let out = admin_ok([
        "get",
        "secrets",
        "-n",
        ns,
        "--field-selector",
        "type=kubernetes.io/service-account-token",
        "-o",
        "name",
    ]);
    let mut names: Vec<String> = out.stdout_text().lines().map(str::to_string).collect();
    names.sort();
    names
}

#[test]
fn the_same_service_account_twice_is_refused_before_anything_is_created() {
    let ns = Namespace::new("twice");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    let before = token_secrets(&ns.name);
    let dir = home.path("out");
    run(&mut home.satoken([
        "ci",
        "ci",
        "-n",
        &ns.name,
        "--output-dir",
        dir.to_str().expect("utf-8"),
        "--type",
        "secret",
        "--force",
    ]))
    .fails()
    .stderr_has("error: ServiceAccount \"ci\" is named twice");
    assert!(!dir.exists(), "nothing written");
    assert_eq!(token_secrets(&ns.name), before, "no token Secret created");
}

#[test]
fn a_write_that_fails_for_one_file_replaces_none_and_leaves_no_token_secret() {
    let ns = Namespace::new("all-or-nothing");
    for sa in ["a", "b"] {
        admin_ok(["create", "serviceaccount", sa, "-n", &ns.name]);
    }
    let home = Home::new();
    home.admin_config(".kube/config");
    let dir = home.path("out");
    std::fs::create_dir(&dir).expect("mkdir");
    let a = dir.join("a.kubeconfig");
    std::fs::write(&a, "the old content of a\n").expect("write");
    // b's file cannot be written: a directory is in its place.
    std::fs::create_dir(dir.join("b.kubeconfig")).expect("mkdir");
    let before = token_secrets(&ns.name);

    let out = run(&mut home.satoken([
        "a",
        "b",
        "-n",
        &ns.name,
        "--output-dir",
        dir.to_str().expect("utf-8"),
        "--type",
        "secret",
        "--force",
    ]))
    .fails();
    assert_eq!(
        std::fs::read_to_string(&a).expect("read"),
        "the old content of a\n",
        "a file --force would have replaced keeps its old content:\n{out}"
    );
    assert_eq!(
        support::listing(&dir),
        ["a.kubeconfig", "b.kubeconfig"],
        "no temp file left"
    );
    assert_eq!(
        token_secrets(&ns.name),
        before,
        "every token Secret of the run was deleted"
    );
    out.stderr_has("b.kubeconfig")
        .stderr_has("a directory is in the way")
        .stderr_has("Deleted again the Secret(s) this run created");

    // Bound tokens cannot be withdrawn: said so.
    run(&mut home.satoken([
        "a",
        "b",
        "-n",
        &ns.name,
        "--output-dir",
        dir.to_str().expect("utf-8"),
        "--force",
    ]))
    .fails()
    .stderr_has("cannot be withdrawn; they never reached a file");
    assert_eq!(std::fs::read_to_string(&a).expect("read"), "the old content of a\n");
}
