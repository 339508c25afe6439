//! Shell completion scripts, generated from the clap definition. The committed copies in
//! `completions/` are checked against this by a test (`tests/generated_files.rs`).

use std::io::Write;

use clap_complete::Shell;

/// The shells whose scripts are committed, with their file names.
pub const COMMITTED: [(Shell, &str); 4] = [
    (Shell::Bash, "kubectl-satoken.bash"),
    (Shell::Zsh, "_kubectl-satoken"),
    (Shell::Fish, "kubectl-satoken.fish"),
    (Shell::PowerShell, "kubectl-satoken.ps1"),
];

pub fn write(shell: Shell, command: &mut clap::Command, out: &mut impl Write) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, command, "kubectl-satoken", &mut buffer);
    out.write_all(&buffer)
}
