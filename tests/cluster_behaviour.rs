//! The seed's observations S1-S9, reproduced on the local control plane with kubectl alone:
//! the Kubernetes behaviour kubectl-satoken is built on, checked before we rely on it.

use crate::support;

use std::process::Command;

use support::{Namespace, admin, admin_apply, admin_kubeconfig, admin_ok, eventually, jwt_claims, run, yaml};

/// Server URL and CA file of the test cluster, for requests made with a bare token.
struct Endpoint {
    server: String,
    ca: tempfile::NamedTempFile,
}

fn endpoint() -> Endpoint {
    let config = yaml(&std::fs::read_to_string(admin_kubeconfig()).expect("admin kubeconfig"));
    let cluster = &config["clusters"][0]["cluster"];
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(cluster["certificate-authority-data"].as_str().expect("CA data"))
        .expect("base64 CA");
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca.path(), pem).expect("write CA");
    Endpoint {
        server: cluster["server"].as_str().expect("server").to_string(),
        ca,
    }
}

/// kubectl authenticated by nothing but `token`.
fn as_token(token: &str, args: &[&str]) -> support::Run {
    let ep = endpoint();
    let mut cmd = Command::new(support::kubectl_bin());
    cmd.args([
        "--kubeconfig",
        "/dev/null",
        "--server",
        &ep.server,
        "--certificate-authority",
    ])
    .arg(ep.ca.path())
    .args(["--token", token])
    .args(args);
    run(&mut cmd)
}

fn create_token(ns: &str, sa: &str, extra: &[&str]) -> support::Run {
    let mut args = vec!["create", "token", sa, "-n", ns];
    args.extend_from_slice(extra);
    admin(args)
}

fn lifetime(token: &str) -> i64 {
    let claims = jwt_claims(token);
    claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat")
}

fn token_secret(ns: &str, name: &str, sa: &str) {
    admin_apply(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    kubernetes.io/service-account.name: {sa}\ntype: kubernetes.io/service-account-token\n"
    ));
}

/// The Secret's data once the tokens controller has filled it.
fn filled(ns: &str, name: &str) -> serde_json::Value {
    eventually(20, "the tokens controller to fill the Secret", || {
        let out = admin(["get", "secret", name, "-n", ns, "-o", "json"]);
        let secret: serde_json::Value = serde_json::from_str(&out.stdout_text()).ok()?;
        secret["data"]["token"].is_string().then(|| secret["data"].clone())
    })
}

fn decoded(data: &serde_json::Value, key: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data[key].as_str().unwrap_or_else(|| panic!("no {key}")))
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn s1_a_new_service_account_gets_no_token_secret() {
    let ns = Namespace::new("s1");
    admin_ok(["create", "serviceaccount", "app", "-n", &ns.name]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let sa = admin_ok(["get", "serviceaccount", "app", "-n", &ns.name, "-o", "json"]);
    let sa: serde_json::Value = serde_json::from_str(&sa.stdout_text()).expect("json");
    assert!(sa.get("secrets").is_none(), "{sa}");
    let secrets = admin_ok(["get", "secrets", "-n", &ns.name, "-o", "name"]);
    assert_eq!(secrets.stdout_text(), "", "{secrets}");
}

#[test]
fn s2_s3_token_request_mints_a_new_working_token_each_time() {
    let ns = Namespace::new("s2");
    ns.service_account_that_lists_pods("app");
    let first = create_token(&ns.name, "app", &[]).ok().stdout_text();
    let second = create_token(&ns.name, "app", &[]).ok().stdout_text();
    assert_ne!(first, second);
    assert_eq!(
        jwt_claims(&first)["sub"],
        format!("system:serviceaccount:{}:app", ns.name)
    );

    let whoami = as_token(
        &first,
        &["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"],
    )
    .ok();
    assert_eq!(whoami.stdout_text(), format!("system:serviceaccount:{}:app", ns.name));
    as_token(&first, &["get", "pods", "-n", &ns.name]).ok();
    as_token(&first, &["get", "pods", "-n", "default"])
        .fails()
        .stderr_has("Forbidden");
}

#[test]
fn s4_no_duration_and_zero_both_give_one_hour() {
    let ns = Namespace::new("s4");
    admin_ok(["create", "serviceaccount", "app", "-n", &ns.name]);
    assert_eq!(lifetime(&create_token(&ns.name, "app", &[]).ok().stdout_text()), 3600);
    assert_eq!(
        lifetime(&create_token(&ns.name, "app", &["--duration=0s"]).ok().stdout_text()),
        3600
    );
}

#[test]
fn s5_the_server_accepts_10_minutes_to_2_pow_32_seconds() {
    let ns = Namespace::new("s5");
    admin_ok(["create", "serviceaccount", "app", "-n", &ns.name]);
    create_token(&ns.name, "app", &["--duration=599s"])
        .fails()
        .stderr_has("may not specify a duration less than 10 minutes");
    create_token(&ns.name, "app", &["--duration=4294967297s"])
        .fails()
        .stderr_has("may not specify a duration larger than 2^32 seconds");
    assert_eq!(
        lifetime(&create_token(&ns.name, "app", &["--duration=600s"]).ok().stdout_text()),
        600
    );
    let longest = create_token(&ns.name, "app", &["--duration=4294967296s"])
        .ok()
        .stdout_text();
    assert_eq!(lifetime(&longest), 4_294_967_296);
}

#[test]
fn s6_s7_s8_secret_tokens_never_expire_are_not_revived_and_repeat_under_the_same_name() {
    let ns = Namespace::new("s6");
    ns.service_account_that_lists_pods("app");
    token_secret(&ns.name, "app-token", "app");
    let data = filled(&ns.name, "app-token");
    let token = decoded(&data, "token");
    assert!(decoded(&data, "ca.crt").starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(decoded(&data, "namespace"), ns.name);
    assert!(
        jwt_claims(&token).get("exp").is_none(),
        "a Secret-based token has no exp"
    );
    as_token(&token, &["get", "pods", "-n", &ns.name]).ok();

    // S7: a deleted manual token Secret stays deleted, and its token stops working.
    admin_ok(["delete", "secret", "app-token", "-n", &ns.name]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    admin(["get", "secret", "app-token", "-n", &ns.name])
        .fails()
        .stderr_has("NotFound");
    eventually(10, "the deleted Secret's token to be rejected", || {
        (!as_token(&token, &["get", "pods", "-n", &ns.name]).success()).then_some(())
    });

    // S8: the same name for the same ServiceAccount brings back the very same token.
    token_secret(&ns.name, "app-token", "app");
    let again = decoded(&filled(&ns.name, "app-token"), "token");
    assert_eq!(
        again, token,
        "re-creating the Secret under its old name revives the old token"
    );
    as_token(&token, &["get", "pods", "-n", &ns.name]).ok();
}

#[test]
fn s9_deleting_the_service_account_deletes_its_token_secrets_and_a_new_one_gets_new_tokens() {
    let ns = Namespace::new("s9");
    ns.service_account_that_lists_pods("app");
    token_secret(&ns.name, "app-token", "app");
    let old = decoded(&filled(&ns.name, "app-token"), "token");

    admin_ok(["delete", "serviceaccount", "app", "-n", &ns.name]);
    eventually(20, "the token Secret to be deleted with its ServiceAccount", || {
        (!admin(["get", "secret", "app-token", "-n", &ns.name]).success()).then_some(())
    });

    admin_ok(["create", "serviceaccount", "app", "-n", &ns.name]);
    token_secret(&ns.name, "app-token", "app");
    let new = decoded(&filled(&ns.name, "app-token"), "token");
    assert_ne!(new, old);
    as_token(&new, &["get", "pods", "-n", &ns.name]).ok();
    as_token(&old, &["get", "pods", "-n", &ns.name])
        .fails()
        .stderr_has("Unauthorized");
}

#[test]
fn the_admin_kubeconfig_is_a_system_masters_admin_and_shows_the_server_version() {
    let whoami = admin_ok(["auth", "whoami", "-o", "json"]);
    let review: serde_json::Value = serde_json::from_str(&whoami.stdout_text()).expect("json");
    let groups = review["status"]["userInfo"]["groups"].as_array().expect("groups");
    assert!(groups.iter().any(|g| g == "system:masters"), "{review}");
    let version = admin_ok(["version", "-o", "json"]);
    let version: serde_json::Value = serde_json::from_str(&version.stdout_text()).expect("json");
    let pinned = std::fs::read_to_string(support::repo().join("tests/cluster/kubernetes/go.mod")).expect("go.mod");
    let git_version = version["serverVersion"]["gitVersion"].as_str().expect("gitVersion");
    assert!(
        pinned.contains(&format!("k8s.io/kubernetes {git_version}")),
        "server {git_version} is not the pinned one"
    );
}
