//! The tests README.md and SECURITY.md cite as evidence exist under the names they give.
//!
//! A citation is a backticked path such as `hostile::a_64_mib_error_body_does_not_reach_the_terminal`
//! (an integration test: `tests/hostile.rs`), `kubeconfig::lock::tests::read_lock_never_blocks_follows_or_reads_much`
//! (a unit test: `src/kubeconfig/lock.rs`, its inline module `tests`), or one ending in a
//! glob: `redact::tests::*` (the module), `kubeconfig::write::tests::write_new_force_*` (a
//! function name that starts so). Other paths (`secrecy::SecretString`) are not citations.

use std::path::PathBuf;

use crate::support;

const DOCS: [&str; 2] = ["README.md", "SECURITY.md"];

/// The backticked `a::b...` paths of `text`: lowercase segments, the last may hold a `*`.
fn paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| {
            let segments: Vec<&str> = span.split("::").collect();
            segments.len() >= 2
                && segments.iter().all(|s| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'*')
                })
        })
        .map(str::to_owned)
        .collect()
}

/// The source files a citation may point into, each with the segments left to find in it:
/// `tests/FIRST.rs` for an integration test, for a unit test (`...::tests::...`) the module
/// file before `tests`, which must exist, and for `module::function` a module file of tests
/// of its own (`src/layering.rs`) unless the function is the module's API (`escape::foreign`).
/// None: not a test path.
fn candidates<'a>(segments: &'a [&'a str]) -> Option<Vec<(PathBuf, &'a [&'a str])>> {
    let repo = support::repo();
    let mut found = Vec::new();
    let test = repo.join("tests").join(format!("{}.rs", segments[0]));
    if test.is_file() {
        found.push((test, &segments[1..]));
    }
    let unit = segments.iter().position(|s| *s == "tests").filter(|at| *at > 0);
    if let Some(at) = unit {
        let dir = segments[..at].iter().fold(repo.join("src"), |p, s| p.join(s));
        if let Some(file) = [dir.with_extension("rs"), dir.join("mod.rs")]
            .into_iter()
            .find(|p| p.is_file())
        {
            found.push((file, &segments[at..]));
        }
    }
    if unit.is_none()
        && found.is_empty()
        && let Some((last, modules)) = segments.split_last()
    {
        let dir = modules.iter().fold(repo.join("src"), |p, s| p.join(s));
        if let Some(file) = [dir.with_extension("rs"), dir.join("mod.rs")]
            .into_iter()
            .find(|p| p.is_file())
        {
            let text = std::fs::read_to_string(&file).expect("read source");
            if !text.contains(&format!("pub fn {last}(")) {
                found.push((file, &segments[segments.len() - 1..]));
            }
        }
    }
    (!found.is_empty() || unit.is_some()).then_some(found)
}

/// Whether the test `rest` (inline modules, then a function name or a glob) exists in `text`.
fn cited_test_exists(text: &str, rest: &[&str]) -> bool {
    let Some((last, modules)) = rest.split_last() else {
        return false;
    };
    let mut text = text;
    for module in modules {
        match text.find(&format!("mod {module} {{")) {
            Some(at) => text = &text[at..],
            None => return false,
        }
    }
    match last.strip_suffix('*') {
        // The module itself, already found.
        Some("") => !modules.is_empty(),
        Some(prefix) => text.contains(&format!("fn {prefix}")),
        // A #[test] fn, or a case of a macro that makes one test per case (`name => ...`).
        None => text.contains(&format!("fn {last}()")) || text.contains(&format!("\n        {last} => ")),
    }
}

#[test]
fn every_test_the_docs_cite_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in DOCS {
        let text = std::fs::read_to_string(support::repo().join(doc)).expect("read doc");
        for path in paths(&text) {
            let segments: Vec<&str> = path.split("::").collect();
            let Some(files) = candidates(&segments) else {
                continue; // not a test path (`secrecy::SecretString`, `file::function`)
            };
            checked += 1;
            let exists = files.iter().any(|(file, rest)| {
                let source = std::fs::read_to_string(file).expect("read source");
                cited_test_exists(&source, rest)
            });
            if !exists {
                let looked: Vec<String> = files.iter().map(|(f, _)| f.display().to_string()).collect();
                let looked = if looked.is_empty() {
                    "no such module file".to_owned()
                } else {
                    looked.join(", ")
                };
                missing.push(format!("{doc}: `{path}` (looked in {looked})"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "cited tests that do not exist:\n{}",
        missing.join("\n")
    );
    assert!(
        checked > 50,
        "only {checked} citations found: is the pattern still right?"
    );
}
