//! Round trip: kubeconfig shapes seen in the wild (tests/fixtures/kubeconfigs), each merged
//! into. The fixture is the first file of `KUBECONFIG=fixture:admin`, so the new entries
//! land in it, and the source context `local` comes from the local cluster's admin file.
//! After the merge:
//! - every entry and top-level field that was there is semantically unchanged, as our
//!   parser reads it (unknown fields included) AND as kubectl 1.33 reads it
//!   (`kubectl config view --raw -o json`, an independent YAML parser);
//! - the three new entries are there, and nothing else changed (`current-context` only
//!   with `--set-current`, used for every other fixture);
//! - the admin file is byte-identical.
//!
//! A file of several YAML documents is refused with a clear error and nothing is written.

use crate::support;

use std::path::{Path, PathBuf};

use kubectl_satoken::kubeconfig::{Chain, LoadingRules};
use serde_json::{Map, Value};
use support::{Home, Namespace, admin_ok, run};

const LISTS: [&str; 3] = ["clusters", "users", "contexts"];

fn fixtures() -> Vec<PathBuf> {
    let dir = support::repo().join("tests/fixtures/kubeconfigs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("several-documents"))
        })
        .collect();
    files.sort();
    files
}

/// The file as our loader reads it.
fn ours(path: &Path) -> Map<String, Value> {
    let chain = Chain::load(LoadingRules::new(Some(path.to_path_buf()), None, None))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    chain.files[0].doc.clone()
}

/// The file as kubectl 1.33 reads it (known fields only, paths as written).
fn kubectls(home: &Home, path: &Path) -> Value {
    let mut cmd = home.kubectl(["config", "view", "--raw", "-o", "json", "--kubeconfig"]);
    cmd.arg(path);
    let out = run(&mut cmd).ok();
    serde_json::from_str(&out.stdout_text()).expect("kubectl config view JSON")
}

fn named(doc: &Value, list: &str) -> Vec<Value> {
    doc.get(list).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Checks `after` = `before` plus the entries named `new` (appended), other fields equal,
/// `current-context` = `current` if given.
fn same_plus(what: &str, before: &Value, after: &Value, new: &str, current: Option<&str>) {
    for list in LISTS {
        let old = named(before, list);
        let now = named(after, list);
        let kept: Vec<Value> = now.iter().filter(|i| i["name"] != new).cloned().collect();
        assert_eq!(kept, old, "{what}: {list} changed");
        assert_eq!(now.len(), old.len() + 1, "{what}: {list} has no new entry {new}");
    }
    let top = |doc: &Value| -> Map<String, Value> {
        doc.as_object()
            .expect("mapping")
            .iter()
            .filter(|(k, _)| !LISTS.contains(&k.as_str()) && k.as_str() != "current-context")
            .filter(|(k, v)| {
                // A file that had no header gets kubectl's; an absent list may become [].
                !(matches!(k.as_str(), "apiVersion" | "kind") || v.is_null())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(top(after), top(before), "{what}: top-level fields changed");
    match current {
        Some(name) => assert_eq!(after["current-context"], name, "{what}"),
        None => assert_eq!(
            after.get("current-context").cloned().unwrap_or(Value::Null),
            before.get("current-context").cloned().unwrap_or(Value::Null),
            "{what}: current-context changed"
        ),
    }
}

#[test]
fn every_fixture_keeps_every_entry_and_field_through_a_merge() {
    let ns = Namespace::new("roundtrip");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let fixtures = fixtures();
    assert!(fixtures.len() >= 15, "{} fixtures", fixtures.len());
    let new = format!("local/{}/ci", ns.name);
    let mut report = Vec::new();
    for (i, fixture) in fixtures.iter().enumerate() {
        let name = fixture.file_name().expect("name").to_string_lossy().into_owned();
        let home = Home::new();
        let file = home.path(&name);
        std::fs::copy(fixture, &file).expect("copy fixture");
        let admin = home.admin_config("admin");
        let admin_bytes = std::fs::read(&admin).expect("read");
        let ours_before = Value::Object(ours(&file));
        let kubectl_before = kubectls(&home, &file);

        let set_current = i % 2 == 1;
        let mut cmd = home.satoken(["ci", "-n", &ns.name, "--merge", "--context", "local"]);
        if set_current {
            cmd.arg("--set-current");
        }
        cmd.env("KUBECONFIG", format!("{}:{}", file.display(), admin.display()));
        run(&mut cmd).ok();

        let current = set_current.then_some(new.as_str());
        same_plus(
            &format!("{name} (ours)"),
            &ours_before,
            &Value::Object(ours(&file)),
            &new,
            current,
        );
        same_plus(
            &format!("{name} (kubectl)"),
            &kubectl_before,
            &kubectls(&home, &file),
            &new,
            current,
        );
        assert_eq!(
            std::fs::read(&admin).expect("read"),
            admin_bytes,
            "{name}: the admin file changed"
        );

        // The new context works from the merged file alone... as far as this fixture's
        // own entries allow: kubectl must at least select it without complaint.
        let mut view = home.kubectl([
            "config",
            "view",
            "--minify",
            "--raw",
            "-o",
            "json",
            "--context",
            &new,
            "--kubeconfig",
        ]);
        view.arg(&file);
        let minified: Value = serde_json::from_str(&run(&mut view).ok().stdout_text()).expect("json");
        assert_eq!(minified["contexts"][0]["name"], new.as_str(), "{name}");
        assert!(minified["users"][0]["user"]["token"].is_string(), "{name}");

        let text = std::fs::read_to_string(&file).expect("read");
        report.push(format!(
            "{name:<34} {} bytes -> {} bytes{}",
            std::fs::metadata(fixture).expect("meta").len(),
            text.len(),
            if text.lines().any(|l| l.trim_start().starts_with('#')) {
                ", comments kept"
            } else {
                ""
            }
        ));
    }
    println!("{}", report.join("\n"));
}

#[test]
fn a_file_of_several_yaml_documents_is_refused_and_nothing_is_written() {
    let ns = Namespace::new("roundtrip-multidoc");
    admin_ok(["create", "serviceaccount", "ci", "-n", &ns.name]);
    let home = Home::new();
    let file = home.path("several.yaml");
    std::fs::copy(
        support::repo().join("tests/fixtures/kubeconfigs/several-documents.yaml"),
        &file,
    )
    .expect("copy");
    let admin = home.admin_config("admin");
    let before = (
        std::fs::read(&file).expect("read"),
        std::fs::read(&admin).expect("read"),
    );
    let mut cmd = home.satoken(["ci", "-n", &ns.name, "--merge", "--context", "local"]);
    cmd.env("KUBECONFIG", format!("{}:{}", file.display(), admin.display()));
    let out = run(&mut cmd)
        .fails()
        .stderr_has("more than one YAML document in the file is not supported")
        .stderr_has(&file.display().to_string());
    assert_eq!(out.stdout_text(), "");
    assert_eq!(
        (
            std::fs::read(&file).expect("read"),
            std::fs::read(&admin).expect("read")
        ),
        before,
        "nothing written"
    );
    let mut names: Vec<String> = std::fs::read_dir(home.dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["admin", "several.yaml"], "no lock or temp file left");
}
