//! The one integration test binary: every `tests/*.rs` is a module of it, named after its
//! file, so a test is `file::function` (`cargo test --test integration hostile::` runs a file,
//! `cargo test --test integration FILE::FUNCTION` one test). One binary is one link step.

mod bad_input;
mod citations;
mod cluster_behaviour;
mod concurrency;
mod crash;
mod create;
mod demo;
mod fuzz_regressions;
mod generated_files;
mod hostile;
mod hygiene;
mod krew;
mod kubectl_completion;
mod lifecycle;
mod local_cluster;
mod merge;
mod packaging;
mod release;
mod roundtrip;
mod shell_completion;
mod support;

/// Cargo builds no `tests/*.rs` by itself (`autotests = false`): a file not declared above
/// would never run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let tests = support::repo().join("tests");
    let root = std::fs::read_to_string(tests.join("integration.rs")).expect("read tests/integration.rs");
    let mut missing: Vec<String> = std::fs::read_dir(&tests)
        .expect("ls tests")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|name| name != "integration" && !root.contains(&format!("\nmod {name};\n")))
        .collect();
    missing.sort();
    assert!(missing.is_empty(), "tests/integration.rs does not declare {missing:?}");
}
