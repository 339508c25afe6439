//! Generated files are committed and must match the clap definition: the shell completion
//! scripts in `completions/` and the man pages in `man/`. To regenerate:
//! `SATOKEN_REGENERATE=1 cargo test --test integration generated_files::`.

use clap::CommandFactory;
use kubectl_satoken::cli::Cli;
use kubectl_satoken::commands::completion;

const REGENERATE: &str = "SATOKEN_REGENERATE=1 cargo test --test integration generated_files::";

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

/// The man pages: `kubectl-satoken.1`, and one per visible subcommand
/// (`kubectl-satoken-list.1`, ...), as `clap_mangen::generate_to` names them. No date, so
/// the pages only change when the definition does.
fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn collect(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        let man = clap_mangen::Man::new(cmd.clone()).manual("kubectl-satoken Manual");
        let mut page = Vec::new();
        man.render(&mut page).expect("render man page");
        out.push((man.get_filename(), page));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            collect(sub, out);
        }
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, &mut pages);
    pages
}

#[test]
fn man_pages_match_the_cli() {
    let pages = man_pages();
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        names.contains(&"kubectl-satoken.1") && names.contains(&"kubectl-satoken-list.1"),
        "{names:?}"
    );
    for (name, page) in &pages {
        check(&format!("man/{name}"), page);
    }
    // No page left over from a subcommand that is gone.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for entry in std::fs::read_dir(&dir).expect("man/") {
        let file = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if std::env::var_os("SATOKEN_REGENERATE").is_some() && !names.contains(&file.as_str()) {
            std::fs::remove_file(dir.join(&file)).expect("remove stale page");
            continue;
        }
        assert!(
            names.contains(&file.as_str()),
            "man/{file} belongs to no command: run `{REGENERATE}` to remove it"
        );
    }
}

#[test]
fn man_page_documents_every_subcommand_and_flag() {
    let pages = man_pages();
    let root = String::from_utf8_lossy(&pages[0].1).into_owned();
    for word in [
        "kubectl\\-satoken",
        "list",
        "inspect",
        "refresh",
        "revoke",
        "\\-\\-kubeconfig",
    ] {
        assert!(root.contains(word), "kubectl-satoken.1 lacks {word}");
    }
    assert!(!root.contains("__complete"), "the hidden subcommand is documented");
}
