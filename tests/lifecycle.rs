//! The token lifecycle against the local cluster: verify, list, inspect, refresh, revoke,
//! onboarding, and many ServiceAccounts at once.

use crate::support;

use std::path::{Path, PathBuf};

use support::{Home, Namespace, admin, admin_ok, run, yaml};

fn whoami(home: &Home, kubeconfig: &Path) -> support::Run {
    let mut cmd = home.kubectl([
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
        "--kubeconfig",
    ]);
    cmd.arg(kubeconfig);
    run(&mut cmd)
}

/// Waits (briefly) until the kubeconfig's token gets 401.
fn rejected(home: &Home, kubeconfig: &Path) {
    support::eventually(10, "the token to be rejected with 401", || {
        let r = whoami(home, kubeconfig);
        (!r.success() && r.stderr_text().contains("Unauthorized")).then_some(())
    });
}

/// A standalone copy of a merged context, as `kubectl config view --minify --flatten` makes
/// it, from the chain `KUBECONFIG` names (or ~/.kube/config).
fn standalone_copy(home: &Home, env: Option<&str>, context: &str, file: &str) -> PathBuf {
    let mut cmd = home.kubectl(["config", "view", "--minify", "--flatten", "--context", context]);
    if let Some(env) = env {
        cmd.env("KUBECONFIG", env);
    }
    let path = home.path(file);
    std::fs::write(&path, run(&mut cmd).ok().stdout_text()).expect("write");
    path
}

fn contexts_in(path: &Path) -> Vec<String> {
    let doc = yaml(&std::fs::read_to_string(path).expect("read"));
    doc["contexts"].as_array().map_or(vec![], |l| {
        l.iter()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    })
}

fn token_of(path: &Path, context: &str) -> String {
    let doc = yaml(&std::fs::read_to_string(path).expect("read"));
    let user = doc["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .find(|c| c["name"] == context)
        .expect("context")["context"]["user"]
        .as_str()
        .expect("user")
        .to_string();
    doc["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == user.as_str())
        .expect("user")["user"]["token"]
        .as_str()
        .expect("token")
        .to_string()
}

#[test]
fn revoke_ends_secret_based_and_revocable_tokens_and_removes_the_context() {
    let ns = Namespace::new("revoke");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    let identity = format!("system:serviceaccount:{}:ci", ns.name);

    for (flags, name) in [
        (&["--type", "secret"][..], "secret-ctx"),
        (&["--revocable"][..], "revocable-ctx"),
    ] {
        let mut args = vec!["ci", "-n", &ns.name, "--merge", "--context-name", name];
        args.extend_from_slice(flags);
        run(&mut home.satoken(args)).ok();
        let copy = standalone_copy(&home, None, name, &format!("{name}.yaml"));
        assert_eq!(whoami(&home, &copy).ok().stdout_text(), identity);

        run(&mut home.satoken(["revoke", name]))
            .ok()
            .stderr_has("no longer works");
        // The API server notices a deleted Secret within moments (its lookups are cached).
        rejected(&home, &copy);
        assert!(!contexts_in(&config).contains(&name.to_string()), "the context is gone");
        let doc = yaml(&std::fs::read_to_string(&config).expect("read"));
        for list in ["clusters", "users"] {
            assert!(
                !doc[list].as_array().expect(list).iter().any(|e| e["name"] == name),
                "{list} entry removed"
            );
        }
    }

    // --keep-context: the token ends, its entries stay where they are.
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--context-name",
        "kept",
        "--type",
        "secret",
    ]))
    .ok();
    let copy = standalone_copy(&home, None, "kept", "kept.yaml");
    let before = yaml(&std::fs::read_to_string(&config).expect("read"));
    run(&mut home.satoken(["revoke", "kept", "--keep-context"]))
        .ok()
        .stderr_has("no longer works");
    rejected(&home, &copy);
    assert_eq!(
        yaml(&std::fs::read_to_string(&config).expect("read")),
        before,
        "context, cluster and user kept"
    );

    // A plain bound token cannot be revoked: said so, and the context stays.
    run(&mut home.satoken(["ci", "-n", &ns.name, "--merge", "--context-name", "plain"])).ok();
    run(&mut home.satoken(["revoke", "plain"]))
        .fails()
        .stderr_has("cannot be revoked")
        .stderr_has("--revocable");
    assert!(contexts_in(&config).contains(&"plain".to_string()));

    // Not ours, or not there: refused by name.
    run(&mut home.satoken(["revoke", "local"]))
        .fails()
        .stderr_has("was not created by kubectl-satoken");
    run(&mut home.satoken(["revoke", "nope"]))
        .fails()
        .stderr_has("context \"nope\" does not exist");
}

#[test]
fn refresh_rotates_a_secret_based_token_in_place() {
    let ns = Namespace::new("refresh");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let other = home.path("team.yaml");
    std::fs::write(&other, "apiVersion: v1\nkind: Config\n").expect("write");
    let env = format!("{}:{}", other.display(), home.path(".kube/config").display());
    let name = format!("local/{}/ci", ns.name);

    run(home
        .satoken(["ci", "-n", &ns.name, "--type", "secret", "--merge"])
        .env("KUBECONFIG", &env))
    .ok();
    // New entries went to the first file; refresh must keep them there.
    assert_eq!(contexts_in(&other), vec![name.clone()]);
    let old = standalone_copy(&home, Some(&env), &name, "old.yaml");
    let old_token = token_of(&other, &name);
    let old_secret = secret_name(&other);

    run(home.satoken(["refresh", &name]).env("KUBECONFIG", &env))
        .ok()
        .stderr_has("the old token no longer works");
    assert_eq!(contexts_in(&other), vec![name.clone()], "same name, same file");
    let new_token = token_of(&other, &name);
    assert_ne!(new_token, old_token);
    assert_ne!(secret_name(&other), old_secret, "a new Secret, never the old name");
    rejected(&home, &old);
    let new = standalone_copy(&home, Some(&env), &name, "new.yaml");
    assert_eq!(
        whoami(&home, &new).ok().stdout_text(),
        format!("system:serviceaccount:{}:ci", ns.name)
    );
    admin(["get", "secret", &old_secret, "-n", &ns.name]).fails();

    // --all refreshes every context kubectl-satoken made (here: the one).
    run(home.satoken(["refresh", "--all"]).env("KUBECONFIG", &env))
        .ok()
        .stderr_has("Refreshed context");
}

fn secret_name(path: &Path) -> String {
    let doc = yaml(&std::fs::read_to_string(path).expect("read"));
    doc["contexts"][0]["context"]["extensions"][0]["extension"]["secretName"]
        .as_str()
        .expect("secretName")
        .to_string()
}

#[test]
fn list_shows_expiry_type_and_file() {
    let ns = Namespace::new("list");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--duration",
        "10m",
        "--context-name",
        "short",
    ]))
    .ok();
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--type",
        "secret",
        "--context-name",
        "forever",
    ]))
    .ok();

    let table = run(&mut home.satoken(["list"])).ok().stdout_text();
    let line = |ctx: &str| {
        table
            .lines()
            .find(|l| l.starts_with(ctx))
            .unwrap_or_else(|| panic!("{ctx} missing:\n{table}"))
            .to_string()
    };
    let short = line("short ");
    assert!(
        short.contains(&format!("{}/ci", ns.name)) && short.contains("bound"),
        "{table}"
    );
    assert!(
        short.contains("in 10m") || short.contains("in 9m"),
        "about 10 minutes: {table}"
    );
    assert!(short.trim_end().ends_with(&config.display().to_string()), "{table}");
    assert!(line("forever ").contains("never"), "{table}");
    assert!(!table.contains("\nlocal "), "foreign contexts are not listed:\n{table}");

    let json: serde_json::Value =
        serde_json::from_str(&run(&mut home.satoken(["list", "-o", "json"])).ok().stdout_text()).expect("json");
    let forever = json
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["context"] == "forever")
        .expect("forever");
    assert_eq!(forever["tokenType"], "secret");
    assert_eq!(forever["expired"], false);
    assert!(forever["secret"].as_str().expect("secret").starts_with("ci-token-"));
    let wide = run(&mut home.satoken(["list", "-o", "wide"])).ok().stdout_text();
    assert!(wide.lines().next().expect("header").contains("SECRET"), "{wide}");
}

#[test]
fn verify_refuses_a_kubeconfig_that_does_not_work_and_writes_nothing() {
    let ns = Namespace::new("verify");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    let before = std::fs::read(&config).expect("read");

    let out = home.path("ci.yaml");
    run(home
        .satoken([
            "ci",
            "-n",
            &ns.name,
            "--verify",
            "--server",
            "https://127.0.0.1:1",
            "--output-file",
        ])
        .arg(&out))
    .fails()
    .stderr_has("--verify: the new kubeconfig does not work: cannot reach https://127.0.0.1:1");
    assert!(!out.exists(), "nothing written");
    let printed = run(&mut home.satoken(["ci", "-n", &ns.name, "--verify", "--server", "https://127.0.0.1:1"])).fails();
    assert_eq!(printed.stdout_text(), "", "nothing printed: {printed}");

    // A CA that is not the server's.
    let other_ca = home.path("other-ca.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=other",
            "-days",
            "1",
            "-keyout",
        ])
        .arg(home.path("other.key"))
        .arg("-out")
        .arg(&other_ca)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    run(home
        .satoken(["ci", "-n", &ns.name, "--verify", "--merge", "--certificate-authority"])
        .arg(&other_ca))
    .fails()
    .stderr_has("--verify:");
    assert_eq!(std::fs::read(&config).expect("read"), before, "nothing merged");

    let ok = run(&mut home.satoken(["ci", "-n", &ns.name, "--verify"])).ok();
    assert_eq!(yaml(&ok.stdout_text())["kind"], "Config");
}

/// The identity check of --verify, on a kubeconfig that works but is somebody else's: the
/// API server's answer (SelfSubjectReview) is compared, not the token's own claims.
#[tokio::test]
async fn verify_refuses_a_kubeconfig_that_authenticates_as_another_identity() {
    use kubectl_satoken::services::verify::{VerifyError, expect_identity};
    let ns = Namespace::new("verify-who");
    admin_ok(["create", "serviceaccount", "a", "-n", &ns.name]);
    let home = Home::new();
    home.admin_config(".kube/config");
    let doc = yaml(
        &run(&mut home.satoken(["a", "-n", &ns.name, "-o", "json"]))
            .ok()
            .stdout_text(),
    );
    let a = format!("system:serviceaccount:{}:a", ns.name);
    let b = format!("system:serviceaccount:{}:b", ns.name);
    expect_identity(&doc, &a, None).await.expect("a's kubeconfig is a");
    match expect_identity(&doc, &b, None).await {
        Err(e @ VerifyError::WrongIdentity { .. }) => assert_eq!(
            e.to_string(),
            format!("the new kubeconfig authenticates as {a:?}, not as {b:?}")
        ),
        other => panic!("expected WrongIdentity, got {other:?}"),
    }
}

#[test]
fn inspect_decodes_the_token_and_verify_shows_identity_and_permissions() {
    let ns = Namespace::new("inspect");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let file = home.path("ci.yaml");
    run(home
        .satoken(["ci", "-n", &ns.name, "--revocable", "--output-file"])
        .arg(&file))
    .ok();

    let text = run(home.satoken(["inspect", "--file"]).arg(&file)).ok().stdout_text();
    assert!(
        text.contains(&format!("Subject:   system:serviceaccount:{}:ci\n", ns.name)),
        "{text}"
    );
    assert!(
        text.contains("Bound to:") && text.contains("Secret ci-anchor-"),
        "{text}"
    );
    assert!(text.contains("(in 59m)") || text.contains("(in 60m)"), "{text}");
    assert!(
        !text.contains(&token_of(&file, &format!("local/{}/ci", ns.name))),
        "the token itself is never shown"
    );

    let verified = run(home.satoken(["inspect", "--verify", "--file"]).arg(&file))
        .ok()
        .stdout_text();
    assert!(
        verified.contains(&format!("Verified as: system:serviceaccount:{}:ci\n", ns.name)),
        "{verified}"
    );
    assert!(
        verified.contains(&format!("May, in namespace {}:", ns.name)),
        "{verified}"
    );
    assert!(
        verified.lines().any(|l| l.contains("get,list pods")),
        "may list pods:\n{verified}"
    );

    // -o json: the same fields, for scripts.
    let json: serde_json::Value = serde_json::from_str(
        &run(home.satoken(["inspect", "-o", "json", "--file"]).arg(&file))
            .ok()
            .stdout_text(),
    )
    .expect("JSON");
    assert_eq!(json["subject"], format!("system:serviceaccount:{}:ci", ns.name));
    assert_eq!(json["type"], "bound");
    assert!(
        json["anchor"]
            .as_str()
            .is_some_and(|a| a.starts_with("Secret ci-anchor-")),
        "{json}"
    );
}

#[test]
fn onboarding_creates_the_service_account_and_binding_once() {
    let ns = Namespace::new("onboard");
    let home = Home::new();
    home.admin_config(".kube/config");

    // --dry-run: the server validates, nothing is created, no token is issued.
    let dry = run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--create-serviceaccount",
        "--grant",
        "clusterrole/view",
        "--dry-run",
    ]))
    .ok();
    let text = dry.stdout_text();
    assert!(
        text.contains("kind: ServiceAccount") && text.contains("kind: RoleBinding"),
        "{dry}"
    );
    assert!(!text.contains("eyJ"), "no token in a dry run: {dry}");
    admin(["get", "serviceaccount", "ci", "-n", &ns.name]).fails();

    let file = home.path("ci.yaml");
    let args = [
        "ci",
        "-n",
        &ns.name,
        "--create-serviceaccount",
        "--grant",
        "clusterrole/view",
        "--output-file",
    ];
    run(home.satoken(args).arg(&file)).ok();
    let mut cmd = home.kubectl(["get", "pods", "--kubeconfig"]);
    cmd.arg(&file);
    run(&mut cmd).ok();

    let state = || {
        let sa = admin_ok([
            "get",
            "serviceaccount",
            "ci",
            "-n",
            &ns.name,
            "-o",
            "jsonpath={.metadata.uid}",
        ])
        .stdout_text();
        let rb = admin_ok([
            "get",
            "rolebindings",
            "-n",
            &ns.name,
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}",
        ])
        .stdout_text();
        (sa, rb)
    };
    let first = state();
    assert!(first.1.contains("kubectl-satoken:ci:clusterrole:view@"), "{first:?}");
    run(home.satoken(args).arg(&file).arg("--force"))
        .ok()
        .stderr_has("exists");
    assert_eq!(state(), first, "a second run changes nothing");
}

/// --grant-cluster-wide binds with a ClusterRoleBinding: the kubeconfig may read in every
/// namespace, where a RoleBinding would allow only its own.
#[test]
fn a_cluster_wide_grant_reads_in_every_namespace() {
    /// A ClusterRoleBinding outlives the test's namespace: deleted however the test ends.
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = admin(["delete", "clusterrolebinding", &self.0, "--ignore-not-found"]);
        }
    }
    let ns = Namespace::new("onboard-wide");
    let elsewhere = Namespace::new("onboard-wide-other");
    let home = Home::new();
    home.admin_config(".kube/config");
    let binding = Cleanup(format!("kubectl-satoken:{}:ci:clusterrole:view", ns.name));
    let file = home.path("ci.yaml");
    run(home
        .satoken([
            "ci",
            "-n",
            &ns.name,
            "--create-serviceaccount",
            "--grant",
            "clusterrole/view",
        ])
        .args(["--grant-cluster-wide", "--output-file"])
        .arg(&file))
    .ok();
    admin_ok(["get", "clusterrolebinding", &binding.0]);
    for namespace in [elsewhere.name.as_str(), "kube-system"] {
        let mut cmd = home.kubectl(["auth", "can-i", "list", "pods", "-n", namespace, "--kubeconfig"]);
        assert_eq!(run(cmd.arg(&file)).stdout_text().trim(), "yes", "{namespace}");
    }
}

#[test]
fn output_dir_writes_one_working_0600_kubeconfig_per_service_account() {
    use std::os::unix::fs::PermissionsExt;
    let ns = Namespace::new("outdir");
    let names: Vec<String> = (0..20).map(|i| format!("bot-{i:02}")).collect();
    for sa in &names {
        admin_ok(["create", "serviceaccount", sa, "-n", &ns.name]);
    }
    let home = Home::new();
    home.admin_config(".kube/config");
    let dir = home.path("handouts");
    let mut args = vec![
        "-n".to_string(),
        ns.name.clone(),
        "--output-dir".to_string(),
        dir.display().to_string(),
    ];
    args.extend(names.iter().cloned());
    run(&mut home.satoken(&args)).ok();
    for sa in &names {
        let file = dir.join(format!("{sa}.kubeconfig"));
        assert_eq!(
            std::fs::metadata(&file).expect("file").permissions().mode() & 0o777,
            0o600,
            "{sa}"
        );
        assert_eq!(
            whoami(&home, &file).ok().stdout_text(),
            format!("system:serviceaccount:{}:{sa}", ns.name)
        );
    }
}

/// The Secret a managed context's token depends on (its token Secret or its anchor), from
/// `list -o json`.
fn secret_of(home: &Home, context: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&run(&mut home.satoken(["list", "-o", "json"])).ok().stdout_text()).expect("json");
    let row = json
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["context"] == context)
        .unwrap_or_else(|| panic!("{context} not listed: {json}"))
        .clone();
    row["secret"]
        .as_str()
        .or_else(|| row["anchorSecret"].as_str())
        .or_else(|| row["boundObject"]["name"].as_str())
        .unwrap_or_else(|| panic!("no Secret recorded: {row}"))
        .to_string()
}

/// The token is refused at once: no waiting, no retry.
fn rejected_now(home: &Home, kubeconfig: &Path) {
    let r = whoami(home, kubeconfig);
    assert!(
        !r.success() && r.stderr_text().contains("Unauthorized"),
        "the token must be rejected the moment the command returned:\n{r}"
    );
}

/// A Secret-based token for ServiceAccount `ci` of `ns`, merged as context `name`.
fn merge_secret_context(home: &Home, ns: &Namespace, name: &str) {
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--context-name",
        name,
        "--type",
        "secret",
    ]))
    .ok();
}

/// The same, used once with kubectl (so the API server caches it as good); the standalone
/// copy of the context that used it.
fn merge_used_secret_context(home: &Home, ns: &Namespace, name: &str) -> PathBuf {
    merge_secret_context(home, ns, name);
    let copy = standalone_copy(home, None, name, &format!("{name}.yaml"));
    whoami(home, &copy).ok();
    copy
}

#[test]
fn a_token_used_just_before_revoke_is_rejected_the_moment_revoke_returns() {
    let ns = Namespace::new("revoke-cache");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let identity = format!("system:serviceaccount:{}:ci", ns.name);

    for (flags, name) in [
        (&["--type", "secret"][..], "secret-ctx"),
        (&["--revocable"][..], "revocable-ctx"),
    ] {
        let mut args = vec!["ci", "-n", &ns.name, "--merge", "--context-name", name];
        args.extend_from_slice(flags);
        run(&mut home.satoken(args)).ok();
        let copy = standalone_copy(&home, None, name, &format!("{name}.yaml"));
        // The API server now holds the token in its cache of good tokens.
        assert_eq!(whoami(&home, &copy).ok().stdout_text(), identity);

        let started = std::time::Instant::now();
        let out = run(&mut home.satoken(["revoke", name])).ok();
        let took = started.elapsed();
        rejected_now(&home, &copy);
        println!("revoke {flags:?} took {:.1} s", took.as_secs_f64());
        let out = out
            .stderr_has("Deleted Secret")
            .stderr_has("no longer works: the API server rejected it 3 of 3 times")
            .stderr_has("s after the delete");
        assert!(!out.stderr_text().contains("within about 10 s"), "{out}");
    }
}

#[test]
fn revoke_no_wait_returns_at_once_and_says_the_token_works_for_up_to_10_s() {
    let ns = Namespace::new("revoke-nowait");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let copy = merge_used_secret_context(&home, &ns, "ctx");

    let started = std::time::Instant::now();
    let out = run(&mut home.satoken(["revoke", "ctx", "--no-wait"])).ok();
    let took = started.elapsed();
    // What the message warns of: the cached token still works right after the delete.
    let still = whoami(&home, &copy);
    println!("revoke --no-wait took {:.1} s", took.as_secs_f64());
    let out = out
        .stderr_has("Deleted Secret")
        .stderr_has("stops working within about 10 s");
    assert!(!out.stderr_text().contains("no longer works"), "{out}");
    assert!(
        still.success(),
        "the API server still accepts the cached token:\n{still}"
    );
    support::eventually(15, "the token to be rejected with 401", || {
        let r = whoami(&home, &copy);
        (!r.success() && r.stderr_text().contains("Unauthorized")).then_some(())
    });
    // A wait that cannot cover the cache is refused before anything is deleted.
    run(&mut home.satoken([
        "ci",
        "-n",
        &ns.name,
        "--merge",
        "--context-name",
        "short",
        "--type",
        "secret",
    ]))
    .ok();
    let secret = secret_of(&home, "short");
    run(&mut home.satoken(["revoke", "short", "--wait-timeout", "5s"]))
        .fails()
        .stderr_has("--wait-timeout 5s is too short")
        .stderr_has("--no-wait");
    admin_ok(["get", "secret", &secret, "-n", &ns.name]);
}

#[test]
fn revoke_of_a_secret_already_deleted_says_so_and_still_waits_out_the_cache() {
    let ns = Namespace::new("revoke-gone");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    let copy = merge_used_secret_context(&home, &ns, "ctx");
    let secret = secret_of(&home, "ctx");
    admin_ok(["delete", "secret", &secret, "-n", &ns.name]);

    let out = run(&mut home.satoken(["revoke", "ctx"])).ok();
    rejected_now(&home, &copy);
    let out = out
        .stderr_has(&format!("Secret {}/{secret} was already gone", ns.name))
        .stderr_has("no longer works: the API server rejected it 3 of 3 times");
    assert!(!out.stderr_text().contains("Deleted Secret"), "{out}");
    assert!(
        !contexts_in(&config).contains(&"ctx".to_string()),
        "the context is gone"
    );
}

#[test]
fn refresh_waits_once_until_every_old_token_is_rejected() {
    let ns = Namespace::new("refresh-cache");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    home.admin_config(".kube/config");
    let mut copies = Vec::new();
    for name in ["one", "two"] {
        let copy = merge_used_secret_context(&home, &ns, name);
        copies.push(copy);
    }

    let started = std::time::Instant::now();
    let out = run(&mut home.satoken(["refresh", "--all"])).ok();
    let took = started.elapsed();
    for copy in &copies {
        rejected_now(&home, copy);
    }
    println!(
        "refresh --all of 2 Secret-based contexts took {:.1} s",
        took.as_secs_f64()
    );
    let err = out.stderr_text();
    assert_eq!(err.matches("Waiting until").count(), 1, "one wait for both:\n{out}");
    assert_eq!(
        err.matches("the old token no longer works: the API server rejected it 3 of 3 times")
            .count(),
        2,
        "{out}"
    );

    // --no-wait: said honestly, and the old token is still cached right after.
    let copy = standalone_copy(&home, None, "one", "one-new.yaml");
    whoami(&home, &copy).ok();
    let out = run(&mut home.satoken(["refresh", "one", "--no-wait"]))
        .ok()
        .stderr_has("the old token stops working within about 10 s");
    assert!(!out.stderr_text().contains("no longer works"), "{out}");
}

#[test]
fn revoke_fails_when_a_finalizer_keeps_the_secret_past_the_wait() {
    let ns = Namespace::new("revoke-finalizer");
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    let config = home.admin_config(".kube/config");
    merge_secret_context(&home, &ns, "ctx");
    let secret = secret_of(&home, "ctx");
    let hold = |finalizers: &str| {
        admin_ok([
            "patch",
            "secret",
            &secret,
            "-n",
            &ns.name,
            "--type=merge",
            "-p",
            &format!(r#"{{"metadata":{{"finalizers":{finalizers}}}}}"#),
        ])
    };
    hold(r#"["example.com/hold"]"#);

    run(&mut home.satoken(["revoke", "ctx", "--wait-timeout", "13s"]))
        .fails()
        .stderr_has(&format!("Secret {}/{secret} still exists", ns.name))
        .stderr_has("(finalizers: example.com/hold)");
    assert!(contexts_in(&config).contains(&"ctx".to_string()), "the context stays");

    hold("null");
    run(&mut home.satoken(["revoke", "ctx"]))
        .ok()
        .stderr_has("was already gone")
        .stderr_has("no longer works");
}
