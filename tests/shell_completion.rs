//! The committed completion scripts, loaded by the real shells from Debian (bash with
//! bash-completion, zsh, fish) the way a user installs them, complete a subcommand and flags
//! of `kubectl-satoken`; and, with kubectl's own completion loaded in the same shells,
//! `kubectl satoken <TAB>` completes through the shipped `kubectl_complete-satoken`.
//!
//! A missing shell fails the test with the command that installs it (`.ci/run` installs them).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Home, run};

/// bash: bash-completion's loader finds the script in the user's completions directory, as
/// it does on TAB in an interactive shell; the completion function then runs with
/// COMP_WORDS/COMP_CWORD set as bash sets them. Prints COMPREPLY, one per line.
const BASH_HARNESS: &str = r#"
source /usr/share/bash-completion/bash_completion || exit 3
# Outside a real completion, compopt complains; the candidates are what is tested.
compopt() { :; }
_completion_loader "$1"
spec=$(complete -p "$1" 2>/dev/null) || { echo "bash-completion loaded no completion for $1" >&2; exit 4; }
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9; COMP_KEY=9
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

/// zsh: an interactive zsh (reading $ZDOTDIR/.zshrc, which runs compinit) in a
/// pseudo-terminal; the words are typed, then TAB. Every match that the completion system
/// adds is also written to OUT; the shell exits when that completion ends.
const ZSH_HARNESS: &str = r#"
zmodload zsh/zpty || exit 3
out=$1; shift
: >$out
zpty z zsh -d -i
zpty -w z "PS1=''; __out=${(q)out}"
zpty -w z 'compadd() { local -a __m; if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi; builtin compadd -O __m "$@"; (( $#__m )) && print -rl -- $__m >>$__out; builtin compadd "$@"; }'
zpty -w z '__done() { exit 0 }; comppostfuncs=(__done); bindkey "^I" complete-word'
zpty -n -w z "$*"$'\t'
while zpty -r z line; do :; done
zpty -d z
"#;

/// A scratch HOME with kubectl-satoken, kubectl_complete-satoken and kubectl (1.33) on its
/// PATH, and the committed scripts installed where each shell looks for them.
struct ShellHome {
    home: Home,
    bin: PathBuf,
}

fn require(program: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not installed: `apt-get install -y {package}` (.ci/run installs it)"
    );
}

fn committed(name: &str) -> PathBuf {
    support::repo().join("completions").join(name)
}

fn install(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
}

impl ShellHome {
    fn new() -> Self {
        let home = Home::new();
        let bin = home.path("bin");
        std::fs::create_dir_all(&bin).expect("mkdir bin");
        let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, bin.join(name)).expect("symlink");
        link(Path::new(support::satoken_bin()), "kubectl-satoken");
        link(Path::new(support::kubectl_bin()), "kubectl");
        install(
            &committed("kubectl_complete-satoken"),
            &bin.join("kubectl_complete-satoken"),
        );
        ShellHome { home, bin }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("timeout");
        cmd.args(["60", program])
            .env_clear()
            .env("HOME", self.home.dir.path())
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("TERM", "dumb")
            .current_dir(self.home.dir.path());
        cmd
    }

    /// `kubectl completion SHELL` written to `rel`.
    fn kubectl_completion(&self, shell: &str, rel: &str) {
        let out = run(&mut self.home.kubectl(["completion", shell])).ok();
        let path = self.home.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, out.output.stdout).expect("write kubectl completion");
    }

    fn bash(&self, line: &str) -> Vec<String> {
        let mut cmd = self.command("bash");
        cmd.arg("-c").arg(BASH_HARNESS).arg("harness");
        cmd.args(line.split(' '));
        lines(&run(&mut cmd).ok().stdout_text())
    }

    fn zsh(&self, line: &str) -> Vec<String> {
        let out = self.home.path("zsh-matches");
        let mut cmd = self.command("zsh");
        cmd.env("ZDOTDIR", self.home.dir.path())
            .args(["-f", "-c", ZSH_HARNESS, "harness"])
            .arg(&out)
            .args(line.split(' '));
        run(&mut cmd).ok();
        lines(&std::fs::read_to_string(&out).unwrap_or_default())
    }

    fn fish(&self, line: &str) -> Vec<String> {
        let mut cmd = self.command("fish");
        cmd.arg("-c").arg(format!("complete -C '{line}'"));
        lines(&run(&mut cmd).ok().stdout_text())
    }
}

/// Candidates without descriptions, each once.
fn lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let value = line.split('\t').next().unwrap_or_default().trim_end().to_string();
        if !value.is_empty() && !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

#[test]
fn bash_with_bash_completion() {
    require("bash", "bash");
    assert!(
        Path::new("/usr/share/bash-completion/bash_completion").exists(),
        "bash-completion is not installed: `apt-get install -y bash-completion` (.ci/run installs it)"
    );
    let s = ShellHome::new();
    // Where bash-completion looks for a user's completions, under the command's name.
    let dir = ".local/share/bash-completion/completions";
    install(
        &committed("kubectl-satoken.bash"),
        &s.home.path(&format!("{dir}/kubectl-satoken")),
    );
    assert_eq!(s.bash("kubectl-satoken li"), ["list"]);
    assert_eq!(s.bash("kubectl-satoken --kubec"), ["--kubeconfig"]);
    assert_eq!(s.bash("kubectl-satoken revoke --keep"), ["--keep-context"]);
    assert!(
        s.bash("kubectl-satoken __").is_empty(),
        "the hidden subcommand is offered"
    );
    assert_eq!(s.bash("kubectl-satoken completion z"), ["zsh"]);

    s.kubectl_completion("bash", &format!("{dir}/kubectl"));
    assert_eq!(s.bash("kubectl satoken li"), ["list"]);
    assert_eq!(s.bash("kubectl satoken --kubec"), ["--kubeconfig"]);
}

#[test]
fn zsh_with_compinit() {
    require("zsh", "zsh");
    let s = ShellHome::new();
    // The README's setup: a directory in fpath, then compinit.
    install(&committed("_kubectl-satoken"), &s.home.path(".zfunc/_kubectl-satoken"));
    std::fs::write(
        s.home.path(".zshrc"),
        "fpath=(~/.zfunc $fpath)\nautoload -U compinit && compinit\n",
    )
    .expect("write .zshrc");
    assert_eq!(s.zsh("kubectl-satoken li"), ["list"]);
    assert_eq!(s.zsh("kubectl-satoken --kubec"), ["--kubeconfig"]);
    assert_eq!(s.zsh("kubectl-satoken revoke --keep"), ["--keep-context"]);
    assert!(
        s.zsh("kubectl-satoken __").is_empty(),
        "the hidden subcommand is offered"
    );
    // The default command: after a ServiceAccount, its flags and their values.
    assert_eq!(s.zsh("kubectl-satoken ci --ty"), ["--type"]);
    let mut types = s.zsh("kubectl-satoken ci --type ");
    types.sort();
    assert_eq!(types, ["bound", "secret"]);

    s.kubectl_completion("zsh", ".zfunc/_kubectl");
    assert_eq!(s.zsh("kubectl satoken li"), ["list"]);
    assert_eq!(s.zsh("kubectl satoken --kubec"), ["--kubeconfig"]);
}

#[test]
fn fish() {
    require("fish", "fish");
    let s = ShellHome::new();
    // fish autoloads completions from ~/.config/fish/completions/COMMAND.fish.
    let dir = ".config/fish/completions";
    install(
        &committed("kubectl-satoken.fish"),
        &s.home.path(&format!("{dir}/kubectl-satoken.fish")),
    );
    assert_eq!(s.fish("kubectl-satoken li"), ["list"]);
    assert_eq!(s.fish("kubectl-satoken --kubec"), ["--kubeconfig"]);
    assert_eq!(s.fish("kubectl-satoken revoke --keep"), ["--keep-context"]);
    assert!(
        s.fish("kubectl-satoken __").is_empty(),
        "the hidden subcommand is offered"
    );

    s.kubectl_completion("fish", &format!("{dir}/kubectl.fish"));
    assert_eq!(s.fish("kubectl satoken li"), ["list"]);
    assert_eq!(s.fish("kubectl satoken --kubec"), ["--kubeconfig"]);
}

#[test]
fn zsh_sourced_from_the_completion_command() {
    require("zsh", "zsh");
    let s = ShellHome::new();
    // The other documented setup: `source <(kubectl-satoken completion zsh)` after compinit.
    std::fs::write(
        s.home.path(".zshrc"),
        "autoload -U compinit && compinit\nsource <(kubectl-satoken completion zsh)\n",
    )
    .expect("write .zshrc");
    assert_eq!(s.zsh("kubectl-satoken li"), ["list"]);
    assert_eq!(s.zsh("kubectl-satoken --kubec"), ["--kubeconfig"]);
}
