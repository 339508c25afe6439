//! Findings of the fuzz targets in `fuzz/`, each kept as a test with its minimized input.
//! No cluster needed.

use std::path::Path;

use kubectl_satoken::kubeconfig::{Chain, LEAN_MIN_BYTES, LoadingRules, Section};

/// `text` padded with a trailing comment to the size from which `Chain::load_lean` outlines
/// a file instead of parsing it whole.
fn write_large(dir: &Path, text: &str) -> std::path::PathBuf {
    let mut text = format!("{text}\n#");
    text.push_str(&"x".repeat(LEAN_MIN_BYTES));
    text.push('\n');
    let path = dir.join("config");
    std::fs::write(&path, text).expect("write");
    path
}

/// kubeconfig_lean, finding 1 (artifact crash-c1a513a5…, minimized by hand): an entry with
/// a key that is not a string (`null:`). kubectl and `Chain::load` refuse the file;
/// `Chain::load_lean` loaded it, and the broken context then read as absent, so a command
/// would have reported "context does not exist" instead of the file's error (fixed: the
/// outline leaves such files to the whole-document parser). Whatever lean
/// loading defers, it must not answer differently: it must fail as well, at load or at the
/// first lookup of that entry.
#[test]
fn lean_loading_does_not_hide_an_entry_that_does_not_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_large(
        dir.path(),
        "clusters:\n- name: c\n  cluster: {server: 'https://c'}\n\
         contexts:\n- name: broken\n  context:\n    cluster: c\n    null: oops\n",
    );
    let rules = LoadingRules::new(Some(file), None, None);
    let whole = Chain::load(rules.clone());
    assert!(whole.is_err(), "the whole-file loader refuses a non-string key");
    if let Ok(lean) = Chain::load_lean(rules) {
        // Loading may be deferred, but the lookup must not pretend the entry is absent
        // while the file's own error goes unreported.
        assert!(
            lean.entry(Section::Contexts, "broken").is_some() || lean.to_kube_for_context("broken").is_err(),
            "lean loading read a file the whole-file loader refuses, and lost the entry"
        );
    }
}

#[path = "../fuzz/properties/user_entry_headers.rs"]
mod user_entry_headers;

/// The corpus of the `user_entry_headers` fuzz target (seeds and what the runs in SECURITY.md
/// kept) replayed through the same property: a user entry never panics on its way to request
/// headers, and a client is built only for a token that fits in a header.
#[test]
fn the_user_entry_corpus_never_panics_on_its_way_to_headers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/replay/user_entry_headers");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("corpus entry").path();
        user_entry_headers::check(&std::fs::read(&path).expect("corpus file"));
        replayed += 1;
    }
    assert!(replayed >= 10, "the corpus in {} is missing", dir.display());
}
