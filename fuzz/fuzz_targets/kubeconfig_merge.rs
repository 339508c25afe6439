//! Fuzzes reading a kubeconfig chain and merging entries into it.
//!
//! Input: one flag byte, then the text of one file, or of two files separated by a NUL
//! byte (then the chain is `KUBECONFIG=a:b`). Properties checked:
//! - nothing panics: loading, converting to kube's types, merging;
//! - a merge that fails leaves every file byte-identical and no other file behind;
//! - a merge that succeeds keeps every other entry and top-level field semantically
//!   unchanged, puts the new entries in force, and leaves no temp or lock file;
//! - emitting a loaded document and reading it back gives the same document.
#![no_main]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use kubectl_satoken::kubeconfig::{Chain, LoadingRules, MergeRequest, Section, merge, to_yaml};
use kubectl_satoken::record::MARKER;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const NAMES: [(Section, &str); 3] = [
    (Section::Clusters, "fuzz-cluster"),
    (Section::Users, "fuzz-user"),
    (Section::Contexts, "fuzz"),
];

fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    // tmpfs: the merge's fsyncs cost nothing there.
    DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        if base.is_dir() {
            tempfile::tempdir_in(base).expect("scratch dir")
        } else {
            tempfile::tempdir().expect("scratch dir")
        }
    })
    .path()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read scratch dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn body(section: Section) -> Value {
    let marker = json!([{"name": MARKER, "extension": {"fuzz": true}}]);
    match section {
        Section::Clusters => json!({"server": "https://fuzz.example:6443", "extensions": marker}),
        Section::Users => json!({"token": "fuzz-token", "extensions": marker}),
        Section::Contexts => {
            json!({"cluster": "fuzz-cluster", "user": "fuzz-user", "namespace": "ns", "extensions": marker})
        }
    }
}

fn ours(section: Section, name: &str) -> bool {
    NAMES.iter().any(|(s, n)| *s == section && *n == name)
}

/// The items of a section that the merge must not touch.
fn others(doc: &Map<String, Value>, section: Section) -> Vec<Value> {
    match doc.get(section.list_key()) {
        Some(Value::Array(list)) => list
            .iter()
            .filter(|item| {
                !item
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| ours(section, n))
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// Top-level fields other than the lists and current-context.
fn top(doc: &Map<String, Value>) -> Map<String, Value> {
    doc.iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "clusters" | "users" | "contexts" | "current-context" | "apiVersion" | "kind"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    for name in listing(dir) {
        let _ = fs::remove_file(dir.join(name));
    }
    let a = dir.join("a");
    let b = dir.join("b");
    let (files, rules): (Vec<PathBuf>, LoadingRules) = match rest.iter().position(|&c| c == 0) {
        Some(at) => {
            fs::write(&a, &rest[..at]).expect("write a");
            fs::write(&b, &rest[at + 1..]).expect("write b");
            let env = std::env::join_paths([&a, &b]).expect("join");
            (vec![a.clone(), b.clone()], LoadingRules::new(None, Some(env), None))
        }
        None => {
            fs::write(&a, rest).expect("write a");
            (vec![a.clone()], LoadingRules::new(Some(a.clone()), None, None))
        }
    };

    let Ok(before) = Chain::load(rules.clone()) else { return };
    let _ = before.to_kube();
    let _ = before.current_context();
    for (section, name) in NAMES {
        let _ = before.entry(section, name);
    }

    let bytes_before: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).expect("read")).collect();
    let listing_before = listing(dir);
    let request = MergeRequest {
        entries: NAMES.iter().map(|(s, n)| (*s, (*n).to_owned(), body(*s))).collect(),
        remove: Vec::new(),
        set_current: (flags & 1 != 0).then(|| "fuzz".to_owned()),
        overwrite: flags & 2 != 0,
        ours: kubectl_satoken::record::is_managed,
        lock_timeout: Duration::ZERO,
    };
    let result = merge(&rules, &request);
    assert_eq!(listing(dir), listing_before, "no temp or lock file is left");
    if result.is_err() {
        for (file, bytes) in files.iter().zip(&bytes_before) {
            assert_eq!(
                &fs::read(file).expect("read"),
                bytes,
                "a failed merge changed {}",
                file.display()
            );
        }
        return;
    }

    let after = Chain::load(rules).expect("a merged chain loads");
    for (old, new) in before.files.iter().zip(&after.files) {
        assert_eq!(
            top(&old.doc),
            top(&new.doc),
            "top-level fields of {}",
            old.path.display()
        );
        for section in Section::ALL {
            assert_eq!(
                others(&old.doc, section),
                others(&new.doc, section),
                "{section} entries"
            );
        }
        // The document as written reads back the same after another emit: the writer
        // never turns a value into another (a string into a number, a key into a null).
        let again = to_yaml(&Value::Object(new.doc.clone())).expect("emit");
        let copy = dir.join("again");
        fs::write(&copy, &again).expect("write copy");
        let reread = Chain::load(LoadingRules::new(Some(copy.clone()), None, None)).expect("emitted YAML loads");
        assert_eq!(
            reread.files[0].doc, new.doc,
            "emit then parse changed the document:\n{again}"
        );
        let _ = fs::remove_file(&copy);
    }
    for (section, name) in NAMES {
        let entry = after.entry(section, name).expect("new entry in force");
        assert_eq!(entry.body, &body(section), "{section} {name}");
    }
    if flags & 1 != 0 {
        assert_eq!(after.current_context(), Some("fuzz"));
    }
});
