//! Shell completion scripts. bash, fish and PowerShell scripts are generated from the clap
//! definition by clap_complete, then mended where clap_complete 4.6 gets this command wrong
//! (see `mend`). The zsh one asks the binary (`kubectl-satoken __complete`, the
//! engine behind `kubectl satoken <TAB>`, itself driven by the clap definition): clap's zsh
//! script offers only a ServiceAccount (as a file name) as the first word, never a subcommand,
//! because `kubectl-satoken SA` is the default `create` command. The committed copies in
//! `completions/` are checked against this by a test (`tests/generated_files.rs`), and
//! `tests/shell_completion.rs` loads them in the real shells.

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
    if shell == Shell::Zsh {
        return out.write_all(ZSH.as_bytes());
    }
    let hidden: Vec<String> = command
        .get_subcommands()
        .filter(|s| s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, command, "kubectl-satoken", &mut buffer);
    let script = String::from_utf8(buffer).map_err(std::io::Error::other)?;
    out.write_all(mend(shell, &script, &hidden).as_bytes())
}

/// Fixes what clap_complete 4.6 generates wrong for this command:
/// - it offers hidden subcommands (`__complete`) as candidates, in every shell;
/// - in bash, the `case` labels of subcommands are spelled `kubectl__subcmd__satoken__...`
///   while `cmd` is set to `kubectl__satoken__...`, so no subcommand's flags complete.
///
/// The shell tests (`tests/shell_completion.rs`) check the result in the real shells.
fn mend(shell: Shell, script: &str, hidden: &[String]) -> String {
    let offers_hidden = |line: &str| {
        hidden.iter().any(|name| match shell {
            Shell::Fish => line.contains(&format!("-a \"{name}\"")),
            Shell::PowerShell => line.contains(&format!("[CompletionResult]::new('{name}'")),
            _ => false,
        })
    };
    let mut out = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        if offers_hidden(line) {
            continue;
        }
        if shell == Shell::Bash && line.trim_start().starts_with("opts=\"") {
            // The candidate words of a bash `opts="..."` line, without the hidden ones.
            let (head, words) = line.split_once('"').unwrap_or((line, ""));
            let (words, tail) = words.rsplit_once('"').unwrap_or((words, ""));
            let kept: Vec<&str> = words.split(' ').filter(|w| !hidden.iter().any(|h| h == w)).collect();
            out.push_str(&format!("{head}\"{}\"{tail}", kept.join(" ")));
            continue;
        }
        out.push_str(line);
    }
    if shell == Shell::Bash {
        out = out.replace("kubectl__subcmd__satoken", "kubectl__satoken");
    }
    out
}

/// The zsh script: candidates from `kubectl-satoken __complete` (cobra's protocol, as kubectl
/// uses it), shown with their descriptions; file names when the directive allows them.
const ZSH: &str = r#"#compdef kubectl-satoken

# zsh completion for kubectl-satoken.
#
# clap's generated zsh script cannot complete this command line (`kubectl-satoken SA` runs the
# default `create` command, so its first word is a subcommand OR a ServiceAccount): this one asks
# the binary instead. `kubectl-satoken __complete -- WORDS...` answers from the same clap
# definition, with the same engine as `kubectl satoken <TAB>`: subcommands, flags, their values,
# and namespaces, ServiceAccounts and contexts. Its output is cobra's: `value<TAB>description`
# lines, then `:<directive>`.
#
# Install: put this file, named `_kubectl-satoken`, in a directory of your fpath before compinit:
#   mkdir -p ~/.zfunc && kubectl-satoken completion zsh > ~/.zfunc/_kubectl-satoken
#   # ~/.zshrc: fpath=(~/.zfunc $fpath); autoload -U compinit && compinit

_kubectl-satoken() {
    local -a lines candidates
    local line value directive=0
    # The words before the cursor, unquoted, and the part of the current word before it.
    lines=("${(@f)$("${words[1]}" __complete -- "${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}" 2>/dev/null)}")
    if [[ ${lines[-1]} == :<-> ]]; then
        directive=${lines[-1]#:}
        lines[-1]=()
    fi
    for line in "${lines[@]}"; do
        [[ -n $line ]] || continue
        value=${line%%$'\t'*}
        if [[ $line == *$'\t'* ]]; then
            candidates+=("${value//:/\\:}:${line#*$'\t'}")
        else
            candidates+=("${value//:/\\:}")
        fi
    done
    if (( ${#candidates} )); then
        _describe -t kubectl-satoken 'kubectl-satoken' candidates
        return
    fi
    # 4: no file names; 16: directories only; 0: file names. `--flag=` stays as typed.
    (( directive & 4 )) && return 1
    [[ $PREFIX == --*=* ]] && compset -P '*='
    if (( directive & 16 )); then
        _files -/
    else
        _files
    fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    # autoloaded from fpath
    _kubectl-satoken "$@"
else
    # sourced: `source <(kubectl-satoken completion zsh)`
    compdef _kubectl-satoken kubectl-satoken
fi
"#;
