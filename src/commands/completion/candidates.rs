//! `kubectl satoken <TAB>`: completion candidates for kubectl's plugin completion protocol.
//!
//! kubectl (>= 1.26) runs `kubectl_complete-satoken` with the words typed after `satoken`,
//! the last one being the word to complete (possibly empty); that script runs
//! `kubectl-satoken __complete -- WORDS...`. The answer is one candidate per line (cobra's
//! `candidate<TAB>description` form), then `:<directive>` (cobra's ShellCompDirective).
//!
//! Everything comes from the clap definition (`Cli::command()`), so new subcommands and
//! flags complete without a change here. Values come from the kubeconfig chain (contexts)
//! and from the cluster (namespaces, ServiceAccounts); the network is given about one second
//! in all, and any failure simply gives no candidates.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, CommandFactory, ValueHint};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};

use crate::cli::Cli;
use crate::credentials::Trust;
use crate::kubeconfig::{Chain, LoadingRules, Section, home_dir};
use crate::record::is_managed;

/// cobra's ShellCompDirective values that this completer uses.
pub mod directive {
    /// Let the shell complete file names.
    pub const DEFAULT: u32 = 0;
    /// Do not fall back to file names.
    pub const NO_FILE_COMP: u32 = 4;
    /// Complete directory names only.
    pub const FILTER_DIRS: u32 = 16;
}

/// The whole budget for cluster lookups in one completion.
pub const NETWORK_BUDGET: Duration = Duration::from_millis(1000);

/// Prints one candidate per line, then `:<directive>` (cobra's ShellCompDirective).
pub fn run(words: &[String], out: &mut impl Write) -> std::io::Result<()> {
    let lookup = Live::new(
        std::env::var_os("KUBECONFIG"),
        home_dir(),
        Instant::now() + NETWORK_BUDGET,
    );
    let answer = complete(words, &lookup);
    answer.write(out)
}

/// The candidates for one completion request, and the directive for the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub candidates: Vec<Candidate>,
    pub directive: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: Option<String>,
}

impl Candidate {
    fn plain(value: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            description: None,
        }
    }
}

impl Answer {
    fn new(candidates: Vec<Candidate>, directive: u32) -> Self {
        Answer { candidates, directive }
    }

    /// Candidates only: their values, for tests.
    pub fn values(&self) -> Vec<&str> {
        self.candidates.iter().map(|c| c.value.as_str()).collect()
    }

    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        for c in &self.candidates {
            // A candidate is one line: no newline or tab may leak from a name or a help text.
            let value = one_line(&c.value);
            if value.is_empty() {
                continue;
            }
            match &c.description {
                Some(d) if !d.is_empty() => writeln!(out, "{value}\t{}", one_line(d))?,
                _ => writeln!(out, "{value}")?,
            }
        }
        writeln!(out, ":{}", self.directive)?;
        out.flush()
    }
}

fn one_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .replace('\t', " ")
        .trim_end()
        .to_string()
}

/// Where a lookup should look: what the words typed so far say about the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// `--kubeconfig` (or `inspect --file`).
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
    /// `-n/--namespace`.
    pub namespace: Option<String>,
}

/// The sources of dynamic values. Each method fails silently: no value, no error.
pub trait Lookup {
    /// Every context of the kubeconfig chain.
    fn contexts(&self, target: &Target) -> Vec<String>;
    /// The contexts this tool created (they carry its marker extension).
    fn managed_contexts(&self, target: &Target) -> Vec<String>;
    /// The namespaces of the cluster.
    fn namespaces(&self, target: &Target) -> Vec<String>;
    /// The ServiceAccounts of the target namespace (`-n`, else the context's, else default).
    fn service_accounts(&self, target: &Target) -> Vec<String>;
}

/// What a value is completed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Contexts,
    ManagedContexts,
    Namespaces,
    ServiceAccounts,
}

/// Which dynamic values an argument takes, decided from its clap definition.
fn value_kind(arg: &Arg) -> Option<ValueKind> {
    if arg.is_positional() {
        return match arg.get_id().as_str() {
            "service_accounts" => Some(ValueKind::ServiceAccounts),
            "context" => Some(ValueKind::ManagedContexts),
            _ => None,
        };
    }
    match arg.get_long() {
        Some("context") => Some(ValueKind::Contexts),
        Some("namespace") => Some(ValueKind::Namespaces),
        _ => None,
    }
}

/// The candidates for `words` (the last one is being completed).
pub fn complete(words: &[String], lookup: &dyn Lookup) -> Answer {
    let mut root = Cli::command();
    root.build();
    let (current, before) = match words.split_last() {
        Some((current, before)) => (current.as_str(), before),
        None => ("", &[][..]),
    };

    // `kubectl satoken SUBCOMMAND ...`: a subcommand only as the first word (any other word
    // first makes it the default create command's arguments).
    let (cmd, before, at_root) = match before.first().and_then(|w| visible_subcommand(&root, w)) {
        Some(sub) => (sub.clone(), &before[1..], false),
        None => (root.clone(), before, true),
    };

    if cmd.get_name() == "help" {
        if before.is_empty() && !current.starts_with('-') {
            return Answer::new(filter(subcommands(&root), current), directive::NO_FILE_COMP);
        }
        return Answer::new(Vec::new(), directive::NO_FILE_COMP);
    }

    let parsed = Parsed::scan(&cmd, before);
    let target = parsed.target.clone();

    // The value of a flag given as the previous word (`-n <TAB>`, `--context <TAB>`).
    if let Some(arg) = parsed.pending {
        return complete_value(arg, current, "", &target, lookup);
    }
    if !parsed.after_double_dash && current.starts_with('-') {
        // `--flag=value`: complete the value, keeping the `--flag=` prefix.
        if let Some((name, value)) = current.strip_prefix("--").and_then(|s| s.split_once('='))
            && let Some(arg) = find_long(&cmd, name)
            && arg.get_action().takes_values()
        {
            return complete_value(arg, value, &format!("--{name}="), &target, lookup);
        }
        return Answer::new(filter(flags(&cmd, &parsed), current), directive::NO_FILE_COMP);
    }

    let mut candidates = Vec::new();
    if at_root && before.is_empty() {
        candidates.extend(subcommands(&root));
    }
    let Some(arg) = positional(&cmd, parsed.positionals) else {
        return Answer::new(filter(candidates, current), directive::NO_FILE_COMP);
    };
    let value = complete_value(arg, current, "", &target, lookup);
    // Values already typed for a multi-valued positional are not offered again.
    candidates.extend(
        value
            .candidates
            .into_iter()
            .filter(|c| !parsed.positional_values.contains(&c.value)),
    );
    Answer::new(filter(candidates, current), value.directive)
}

fn complete_value(arg: &Arg, current: &str, prefix: &str, target: &Target, lookup: &dyn Lookup) -> Answer {
    let dynamic = |kind| match kind {
        ValueKind::Contexts => lookup.contexts(target),
        ValueKind::ManagedContexts => lookup.managed_contexts(target),
        ValueKind::Namespaces => lookup.namespaces(target),
        ValueKind::ServiceAccounts => lookup.service_accounts(target),
    };
    let (candidates, directive) = if let Some(kind) = value_kind(arg) {
        let values = dynamic(kind).into_iter().map(Candidate::plain).collect();
        (values, directive::NO_FILE_COMP)
    } else if !arg.get_possible_values().is_empty() {
        let values = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| Candidate {
                value: v.get_name().to_string(),
                description: v.get_help().map(|h| h.to_string()),
            })
            .collect();
        (values, directive::NO_FILE_COMP)
    } else {
        // A `DIR` value is a directory even without an explicit hint.
        let dir = arg
            .get_value_names()
            .is_some_and(|n| n.iter().any(|n| n.as_str() == "DIR"));
        match arg.get_value_hint() {
            ValueHint::DirPath => (Vec::new(), directive::FILTER_DIRS),
            ValueHint::AnyPath if dir => (Vec::new(), directive::FILTER_DIRS),
            ValueHint::AnyPath | ValueHint::FilePath | ValueHint::ExecutablePath => (Vec::new(), directive::DEFAULT),
            _ => (Vec::new(), directive::NO_FILE_COMP),
        }
    };
    let candidates = filter(candidates, current)
        .into_iter()
        .map(|c| Candidate {
            value: format!("{prefix}{}", c.value),
            ..c
        })
        .collect();
    Answer::new(candidates, directive)
}

fn filter(candidates: Vec<Candidate>, current: &str) -> Vec<Candidate> {
    candidates
        .into_iter()
        .filter(|c| c.value.starts_with(current))
        .collect()
}

fn visible_subcommand<'a>(root: &'a clap::Command, word: &str) -> Option<&'a clap::Command> {
    root.get_subcommands()
        .find(|s| !s.is_hide_set() && (s.get_name() == word || s.get_all_aliases().any(|a| a == word)))
}

fn subcommands(root: &clap::Command) -> Vec<Candidate> {
    root.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| Candidate {
            value: s.get_name().to_string(),
            description: s.get_about().map(|a| a.to_string()),
        })
        .collect()
}

/// The flags of `cmd` not given yet (repeatable ones stay), long forms first.
fn flags(cmd: &clap::Command, parsed: &Parsed) -> Vec<Candidate> {
    let mut out = Vec::new();
    let offered = cmd.get_arguments().filter(|a| {
        !a.is_positional()
            && !a.is_hide_set()
            && (matches!(a.get_action(), ArgAction::Append | ArgAction::Count)
                || !parsed.seen.iter().any(|id| id == a.get_id().as_str()))
    });
    for arg in offered {
        let description = arg.get_help().map(|h| h.to_string());
        if let Some(long) = arg.get_long() {
            out.push(Candidate {
                value: format!("--{long}"),
                description: description.clone(),
            });
        }
        if let Some(short) = arg.get_short() {
            out.push(Candidate {
                value: format!("-{short}"),
                description,
            });
        }
    }
    // `--context` before `-c`: longs, then shorts, each in definition order.
    out.sort_by_key(|c| !c.value.starts_with("--"));
    out
}

fn find_long<'a>(cmd: &'a clap::Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name)))
}

fn find_short(cmd: &clap::Command, c: char) -> Option<&Arg> {
    cmd.get_arguments()
        .find(|a| a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|al| al.contains(&c)))
}

/// The positional argument that the `index`-th positional word fills.
fn positional(cmd: &clap::Command, index: usize) -> Option<&Arg> {
    let positionals: Vec<&Arg> = cmd.get_positionals().filter(|a| !a.is_hide_set()).collect();
    positionals.get(index).copied().or_else(|| {
        positionals
            .last()
            .copied()
            .filter(|a| a.get_num_args().is_some_and(|n| n.max_values() > 1))
    })
}

/// What the words before the current one say.
#[derive(Debug, Default)]
struct Parsed<'a> {
    /// Ids of the flags given.
    seen: Vec<String>,
    /// A flag whose value is the word being completed.
    pending: Option<&'a Arg>,
    positionals: usize,
    positional_values: Vec<String>,
    after_double_dash: bool,
    target: Target,
}

impl<'a> Parsed<'a> {
    fn scan(cmd: &'a clap::Command, words: &[String]) -> Self {
        let mut p = Parsed::default();
        let mut i = 0;
        while i < words.len() {
            let word = words[i].as_str();
            i += 1;
            if p.after_double_dash || word == "-" || !word.starts_with('-') {
                p.positionals += 1;
                p.positional_values.push(word.to_string());
                continue;
            }
            if word == "--" {
                p.after_double_dash = true;
                continue;
            }
            if let Some(long) = word.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                let Some(arg) = find_long(cmd, name) else { continue };
                p.seen.push(arg.get_id().to_string());
                if !arg.get_action().takes_values() {
                    continue;
                }
                match inline {
                    Some(v) => p.record(arg, v),
                    None => match words.get(i) {
                        Some(v) => {
                            p.record(arg, v);
                            i += 1;
                        }
                        None => p.pending = Some(arg),
                    },
                }
                continue;
            }
            // Short flags, possibly clustered (`-qn team-a`, `-nteam-a`).
            let shorts = &word[1..];
            for (at, c) in shorts.char_indices() {
                let Some(arg) = find_short(cmd, c) else { break };
                p.seen.push(arg.get_id().to_string());
                if !arg.get_action().takes_values() {
                    continue;
                }
                let rest = &shorts[at + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                if !rest.is_empty() {
                    p.record(arg, rest);
                } else if let Some(v) = words.get(i) {
                    p.record(arg, v);
                    i += 1;
                } else {
                    p.pending = Some(arg);
                }
                break;
            }
        }
        p
    }

    fn record(&mut self, arg: &Arg, value: &str) {
        match arg.get_long() {
            Some("kubeconfig") | Some("file") => self.target.kubeconfig = Some(PathBuf::from(value)),
            Some("context") => self.target.context = Some(value.to_string()),
            Some("namespace") => self.target.namespace = Some(value.to_string()),
            _ => {}
        }
    }
}

/// The real lookups: the user's kubeconfig chain and the cluster, within a deadline.
pub struct Live {
    env: Option<OsString>,
    home: Option<PathBuf>,
    deadline: Instant,
}

impl Live {
    pub fn new(kubeconfig_env: Option<OsString>, home: Option<PathBuf>, deadline: Instant) -> Self {
        Live {
            env: kubeconfig_env,
            home,
            deadline,
        }
    }

    fn chain(&self, explicit: Option<&Path>) -> Option<Chain> {
        let rules = LoadingRules::new(explicit.map(Path::to_path_buf), self.env.clone(), self.home.clone());
        Chain::load(rules).ok()
    }

    /// The names of a list from the cluster of the target context, or nothing when the
    /// deadline passes or anything fails.
    ///
    /// The lookup is given up at the deadline, twice over. Inside, a timer drops it: a
    /// credential plugin runs as a child of this process (`credentials`), so that kills it and
    /// everything it started, and a slow `aws eks get-token` or a login waiting for a browser
    /// leaves nothing behind. Outside, the lookup runs on a thread of its own that is waited
    /// for only a little longer: a file read that blocks (a FIFO named as a CA or token file)
    /// cannot be interrupted, so that thread is left behind and the process exits.
    fn list<K>(&self, target: &Target, api: fn(kube::Client, &str) -> kube::Api<K>) -> Vec<String>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        let Some(chain) = self.chain(target.kubeconfig.as_deref()) else {
            return Vec::new();
        };
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Vec::new();
        }
        let (context, namespace, deadline) = (target.context.clone(), target.namespace.clone(), self.deadline);
        let (send, receive) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("complete-lookup".into())
            .spawn(move || {
                // Resolving reads the CA file: on this thread too.
                let names = crate::services::source::Source::resolve(&chain, context.as_deref())
                    .map(|source| {
                        let namespace = namespace
                            .or_else(|| source.namespace.clone())
                            .unwrap_or_else(|| "default".to_string());
                        lookup(&source, &chain, &namespace, deadline, api)
                    })
                    .unwrap_or_default();
                let _ = send.send(names);
            });
        if spawned.is_err() {
            return Vec::new();
        }
        receive.recv_timeout(remaining + THREAD_GRACE).unwrap_or_default()
    }
}

/// How much longer than the lookup's own deadline its thread is waited for: time for a
/// plugin's process group to be killed.
const THREAD_GRACE: Duration = Duration::from_millis(200);

/// One lookup with its own deadline, on a runtime of its own.
fn lookup<K>(
    source: &crate::services::source::Source,
    chain: &Chain,
    namespace: &str,
    deadline: Instant,
    api: fn(kube::Client, &str) -> kube::Api<K>,
) -> Vec<String>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let remaining = deadline.saturating_duration_since(Instant::now());
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return Vec::new();
    };
    let lookup = async {
        let client = source.client(chain, Some(remaining), Trust::Completion).await.ok()?;
        let list = api(client, namespace)
            .list_metadata(&kube::api::ListParams::default())
            .await
            .ok()?;
        Some(
            list.items
                .into_iter()
                .filter_map(|o| o.metadata.name)
                .collect::<Vec<_>>(),
        )
    };
    let names = runtime.block_on(async { tokio::time::timeout(remaining, lookup).await.ok().flatten() });
    // A name lookup still running on a blocking thread is not waited for.
    runtime.shutdown_background();
    names.unwrap_or_default()
}

impl Lookup for Live {
    fn contexts(&self, target: &Target) -> Vec<String> {
        let Some(chain) = self.chain(target.kubeconfig.as_deref()) else {
            return Vec::new();
        };
        chain
            .names(Section::Contexts)
            .iter()
            .map(|e| e.name.to_string())
            .collect()
    }

    fn managed_contexts(&self, target: &Target) -> Vec<String> {
        let Some(chain) = self.chain(target.kubeconfig.as_deref()) else {
            return Vec::new();
        };
        chain
            .names(Section::Contexts)
            .iter()
            .filter(|e| is_managed(e.body))
            .map(|e| e.name.to_string())
            .collect()
    }

    fn namespaces(&self, target: &Target) -> Vec<String> {
        self.list(target, |client, _| kube::Api::<Namespace>::all(client))
    }

    fn service_accounts(&self, target: &Target) -> Vec<String> {
        self.list(target, kube::Api::<ServiceAccount>::namespaced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::cell::RefCell;

    /// Fixed values, and a record of the targets each lookup was asked about.
    #[derive(Default)]
    struct Fake {
        asked: RefCell<Vec<(&'static str, Target)>>,
    }

    impl Lookup for Fake {
        fn contexts(&self, t: &Target) -> Vec<String> {
            self.asked.borrow_mut().push(("contexts", t.clone()));
            vec!["local".into(), "prod/team-a/ci".into()]
        }
        fn managed_contexts(&self, t: &Target) -> Vec<String> {
            self.asked.borrow_mut().push(("managed", t.clone()));
            vec!["prod/team-a/ci".into()]
        }
        fn namespaces(&self, t: &Target) -> Vec<String> {
            self.asked.borrow_mut().push(("namespaces", t.clone()));
            vec!["default".into(), "team-a".into(), "team-b".into()]
        }
        fn service_accounts(&self, t: &Target) -> Vec<String> {
            self.asked.borrow_mut().push(("service_accounts", t.clone()));
            vec!["ci".into(), "default".into(), "deployer".into()]
        }
    }

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    fn values(s: &[&str]) -> (Vec<String>, u32) {
        let answer = complete(&words(s), &Fake::default());
        (
            answer.values().iter().map(|v| v.to_string()).collect(),
            answer.directive,
        )
    }

    #[test]
    fn first_word_offers_subcommands_and_service_accounts() {
        let (v, d) = values(&[""]);
        for expected in ["create", "list", "inspect", "refresh", "revoke", "completion", "ci"] {
            assert!(v.iter().any(|x| x == expected), "{expected} missing from {v:?}");
        }
        assert!(!v.iter().any(|x| x == "__complete"), "hidden subcommand offered: {v:?}");
        assert_eq!(d, directive::NO_FILE_COMP);
        assert_eq!(values(&["li"]).0, ["list"]);
        assert_eq!(values(&["re"]).0, ["refresh", "revoke"]);
        assert_eq!(values(&["de"]).0, ["default", "deployer"]);
    }

    #[test]
    fn flags_of_the_default_command_and_of_subcommands() {
        assert_eq!(values(&["--kubec"]).0, ["--kubeconfig"]);
        assert_eq!(values(&["ci", "--set"]).0, ["--set-current"]);
        assert_eq!(values(&["list", "--"]).0, ["--kubeconfig", "--output", "--help"]);
        assert_eq!(values(&["revoke", "--k"]).0, ["--keep-context", "--kubeconfig"]);
        let (v, _) = values(&["-"]);
        assert!(
            v.contains(&"-n".to_string()) && v.contains(&"--namespace".to_string()),
            "{v:?}"
        );
    }

    #[test]
    fn flags_already_given_are_not_offered_again_unless_repeatable() {
        let (v, _) = values(&["ci", "--merge", "--me"]);
        assert!(v.is_empty(), "{v:?}");
        let (v, _) = values(&["ci", "--audience", "a", "--aud"]);
        assert_eq!(v, ["--audience"]);
        let (v, _) = values(&["ci", "-n", "x", "--names"]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn namespace_values() {
        assert_eq!(values(&["ci", "-n", "team"]).0, ["team-a", "team-b"]);
        assert_eq!(values(&["-n", ""]).0, ["default", "team-a", "team-b"]);
        assert_eq!(values(&["create", "--namespace", "t"]).0, ["team-a", "team-b"]);
        assert_eq!(
            values(&["--namespace=team-"]).0,
            ["--namespace=team-a", "--namespace=team-b"]
        );
    }

    #[test]
    fn context_values_come_from_the_chosen_kubeconfig() {
        let fake = Fake::default();
        let a = complete(&words(&["--kubeconfig", "/k", "--context", ""]), &fake);
        assert_eq!(a.values(), ["local", "prod/team-a/ci"]);
        assert_eq!(a.directive, directive::NO_FILE_COMP);
        let asked = fake.asked.borrow();
        assert_eq!(asked[0].0, "contexts");
        assert_eq!(asked[0].1.kubeconfig.as_deref(), Some(Path::new("/k")));
    }

    #[test]
    fn service_accounts_are_looked_up_in_the_typed_namespace_and_context() {
        let fake = Fake::default();
        let a = complete(&words(&["-qnteam-a", "--context=prod", "c"]), &fake);
        assert_eq!(a.values(), ["ci"]);
        let asked = fake.asked.borrow();
        assert_eq!(
            asked[0],
            (
                "service_accounts",
                Target {
                    kubeconfig: None,
                    context: Some("prod".into()),
                    namespace: Some("team-a".into())
                }
            )
        );
    }

    #[test]
    fn more_service_accounts_after_the_first_but_not_the_same_twice() {
        assert_eq!(values(&["ci", ""]).0, ["default", "deployer"]);
        assert_eq!(values(&["create", "ci", "-n", "x", "d"]).0, ["default", "deployer"]);
    }

    #[test]
    fn lifecycle_commands_complete_managed_contexts() {
        for sub in ["inspect", "refresh", "revoke"] {
            assert_eq!(values(&[sub, ""]).0, ["prod/team-a/ci"], "{sub}");
        }
        // One context only: nothing after it.
        assert!(values(&["revoke", "prod/team-a/ci", ""]).0.is_empty());
        let fake = Fake::default();
        complete(&words(&["inspect", "--file", "ci.kubeconfig", ""]), &fake);
        assert_eq!(
            fake.asked.borrow()[0].1.kubeconfig.as_deref(),
            Some(Path::new("ci.kubeconfig"))
        );
    }

    #[test]
    fn enumerated_values_and_paths() {
        assert_eq!(values(&["ci", "--type", ""]).0, ["bound", "secret"]);
        assert_eq!(values(&["ci", "-o", "j"]).0, ["json"]);
        assert_eq!(values(&["list", "-o", ""]).0, ["wide", "json"]);
        assert_eq!(values(&["completion", "z"]).0, ["zsh"]);
        assert_eq!(values(&["ci", "--bound-object-kind", ""]).0, ["Node", "Pod", "Secret"]);
        // Files: the shell completes them (directive 0); directories only for --output-dir.
        assert_eq!(values(&["--kubeconfig", ""]), (vec![], directive::DEFAULT));
        assert_eq!(values(&["ci", "--output-dir", ""]), (vec![], directive::FILTER_DIRS));
        // A free-form value: nothing, and no file names either.
        assert_eq!(values(&["ci", "--duration", ""]), (vec![], directive::NO_FILE_COMP));
    }

    #[test]
    fn help_completes_subcommand_names() {
        assert_eq!(values(&["help", "li"]).0, ["list"]);
    }

    #[test]
    fn output_is_candidates_with_descriptions_then_the_directive() {
        let answer = complete(&words(&["li"]), &Fake::default());
        let mut out = Vec::new();
        answer.write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "list\tList the contexts kubectl-satoken created in the kubeconfig chain\n:4\n"
        );
        let empty = Answer::new(vec![Candidate::plain("a\nb"), Candidate::plain("")], 4);
        let mut out = Vec::new();
        empty.write(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a\n:4\n");
    }

    /// `kubectl_complete-satoken` passes `--` first so that the words reach `__complete`
    /// untouched, even `--help` or `--`.
    #[test]
    fn the_script_contract_passes_every_word_through() {
        for typed in [
            &["--help"][..],
            &["-h"],
            &["--", "x"],
            &["--version"],
            &["ci", ""],
            &[""],
        ] {
            let mut argv = vec!["kubectl-satoken", "__complete", "--"];
            argv.extend(typed);
            let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            match cli.command {
                Some(crate::cli::Command::Complete { words }) => assert_eq!(words, typed, "{argv:?}"),
                other => panic!("{argv:?} parsed as {other:?}"),
            }
        }
    }
}
