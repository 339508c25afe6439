//! Generated files are committed and must match the clap definition. To regenerate:
//! `SATOKEN_REGENERATE=1 cargo test --test generated_files`.

use clap::CommandFactory;
use kubectl_satoken::cli::Cli;
use kubectl_satoken::completion;

const REGENERATE: &str = "SATOKEN_REGENERATE=1 cargo test --test generated_files";

/// Compares `path` (relative to the repo) with `expected`, or rewrites it when asked to.
fn check(path: &str, expected: &[u8]) {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("SATOKEN_REGENERATE").is_some() {
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, expected).expect("write generated file");
        return;
    }
    let actual = std::fs::read(&full).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} is out of date with the clap definition: run `{REGENERATE}` to regenerate it"
    );
}

#[test]
fn completion_scripts_match_the_cli() {
    for (shell, file) in completion::COMMITTED {
        let mut script = Vec::new();
        completion::write(shell, &mut Cli::command(), &mut script).expect("generate");
        check(&format!("completions/{file}"), &script);
    }
}

#[test]
fn the_completion_command_prints_the_committed_scripts() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (shell, file) in completion::COMMITTED {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-satoken"))
            .args(["completion", &shell.to_string()])
            .output()
            .expect("run kubectl-satoken completion");
        assert!(
            out.status.success(),
            "completion {shell} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let committed = std::fs::read(repo.join("completions").join(file)).unwrap_or_default();
        assert!(
            out.stdout == committed,
            "`kubectl-satoken completion {shell}` differs from completions/{file}"
        );
    }
}
