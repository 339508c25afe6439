//! Putting new entries into the user's kubeconfig chain where kubectl would put them,
//! under kubectl's lock, losing nothing of what is already there. What changes is decided
//! once (`plan.rs`), then spliced into the text (`splice.rs`) or applied to the parsed
//! documents here.

use super::chain::Chain;
use super::error::KubeconfigError;
use super::lock::Locks;
use super::paths::resolve_target;
use super::plan::{MergeReport, MergeRequest, apply_to_doc, doc_item_is_ours, names_of, plan, validate};
use super::raw_file::RawFile;
use super::rules::LoadingRules;
use super::splice;
use super::write::{ModePolicy, Staged, stage};
use super::yaml::{to_yaml, uses_crlf};

/// Applies `req` to the chain of `rules`: each entry replaces the one of the same name in
/// the file that defines it (only if it is the caller's, or `overwrite`), or is appended
/// to the destination file; `set_current` goes to the destination file. Everything is
/// checked before anything is written, and files that do not change are not rewritten.
pub fn merge(rules: &LoadingRules, req: &MergeRequest) -> Result<MergeReport, KubeconfigError> {
    merge_with(rules, req, true)
}

/// `merge`, with the text-splicing path allowed or not (the tests compare both).
fn merge_with(rules: &LoadingRules, req: &MergeRequest, splice_ok: bool) -> Result<MergeReport, KubeconfigError> {
    validate(req)?;
    let precedence = rules.precedence();
    let _locks = Locks::acquire(&precedence, req.lock_timeout)?;
    // Read under the lock, so that a write that finished just before is not lost. Each file
    // is read once: when every file is plain enough, the changes are spliced into the text
    // (a 26 MB kubeconfig is then neither parsed whole nor emitted again); otherwise the
    // files are parsed whole, which also reports whatever is wrong with them.
    let raw = precedence
        .iter()
        .map(|path| RawFile::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let destination = rules.destination();
    if splice_ok && let Some(report) = splice::merge(&raw, &destination, req)? {
        return Ok(report);
    }
    // A file written with CRLF line endings keeps them.
    let crlf: Vec<bool> = raw.iter().map(|r| r.bytes.as_deref().is_some_and(uses_crlf)).collect();
    let chain = Chain::parse(rules.clone(), &raw)?;
    drop(raw);
    let bug = |message: String| KubeconfigError::InvalidRequest { message };
    let dest = chain
        .files
        .iter()
        .position(|f| f.path == destination)
        // The destination is always one of the listed files; this is a bug guard.
        .ok_or_else(|| {
            bug(format!(
                "destination {} is not in the kubeconfig chain",
                destination.display()
            ))
        })?;
    let names: Vec<_> = chain.files.iter().map(|f| names_of(&f.path, &f.doc)).collect();
    let ours = |f: usize, section, i| Some(doc_item_is_ours(&chain.files[f].doc, section, i, req));
    let plan = plan(&names, dest, req, ours)?.ok_or_else(|| bug("no merge plan for parsed files".to_owned()))?;

    // Stage every changed file first: a failure here leaves every file as it was.
    let mut staged: Vec<Staged> = Vec::new();
    for ((file, fp), crlf) in chain.files.iter().zip(&plan.files).zip(crlf) {
        if fp.is_empty() {
            continue;
        }
        let mut doc = file.doc.clone();
        apply_to_doc(&mut doc, fp);
        if doc == file.doc {
            continue;
        }
        let mut text = to_yaml(&doc)?;
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let target = resolve_target(&file.path).map_err(|source| KubeconfigError::Write {
            path: file.path.clone(),
            error: source,
        })?;
        staged.push(stage(&file.path, &target, text.as_bytes(), ModePolicy::KeepExisting)?);
    }
    for file in staged {
        file.commit()?;
    }
    Ok(plan.report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use serde_json::{Map, Value};

    use crate::kubeconfig::lock::lock_path;
    use crate::kubeconfig::section::Section;
    use crate::kubeconfig::write::tests::entries as listing;
    use crate::kubeconfig::yaml::parse_doc;
    use crate::record::{MARKER, is_managed};
    use serde_json::json;
    use std::fs;
    use std::sync::Arc;

    fn env_rules(paths: &[&Path]) -> LoadingRules {
        LoadingRules::new(None, Some(std::env::join_paths(paths).unwrap()), None)
    }

    fn read(path: &Path) -> Map<String, Value> {
        parse_doc(&fs::read(path).unwrap(), path).unwrap()
    }

    fn managed(server: &str) -> Value {
        json!({"server": server, "extensions": [{"name": MARKER, "extension": {"v": 1}}]})
    }

    fn req(entries: Vec<(Section, &str, Value)>) -> MergeRequest {
        MergeRequest {
            entries: entries.into_iter().map(|(s, n, b)| (s, n.to_owned(), b)).collect(),
            remove: Vec::new(),
            set_current: None,
            overwrite: false,
            ours: is_managed,
            lock_timeout: Duration::from_millis(100),
        }
    }

    #[test]
    fn removes_only_managed_entries_and_unsets_a_removed_current_context() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        let ours = json!({"cluster": "c", "extensions": [{"name": MARKER, "extension": {}}]});
        fs::write(
            &f,
            serde_json::to_string(&json!({
                "current-context": "ours",
                "contexts": [{"name": "ours", "context": ours}, {"name": "theirs", "context": {"cluster": "c"}}],
                "x-kept": 1
            }))
            .unwrap(),
        )
        .unwrap();
        let rules = env_rules(&[&f]);
        let mut r = req(vec![]);
        r.remove = vec![(Section::Contexts, "theirs".to_owned())];
        assert!(matches!(
            merge(&rules, &r).unwrap_err(),
            KubeconfigError::ForeignEntry { .. }
        ));

        r.remove = vec![
            (Section::Contexts, "ours".to_owned()),
            (Section::Users, "absent".to_owned()),
        ];
        let report = merge(&rules, &r).unwrap();
        assert_eq!(report.removed, vec![(Section::Contexts, "ours".to_owned(), f.clone())]);
        let doc = read(&f);
        assert_eq!(
            doc["contexts"],
            json!([{"name": "theirs", "context": {"cluster": "c"}}])
        );
        assert_eq!(doc["current-context"], "");
        assert_eq!(doc["x-kept"], 1);
    }

    fn sa_entries() -> Vec<(Section, &'static str, Value)> {
        vec![
            (Section::Clusters, "sa-cluster", managed("https://sa")),
            (
                Section::Users,
                "sa-user",
                json!({"token": "T0KEN", "extensions": [{"name": MARKER, "extension": {}}]}),
            ),
            (
                Section::Contexts,
                "sa",
                json!({"cluster": "sa-cluster", "user": "sa-user", "namespace": "ns",
                       "extensions": [{"name": MARKER, "extension": {}}]}),
            ),
        ]
    }

    const EXISTING: &str = r#"apiVersion: v1
kind: Config
top-unknown: {keep: me}
preferences: {}
clusters:
- name: prod
  cluster:
    server: https://prod
    certificate-authority-data: LS0t
    cluster-unknown: [1, "2"]
    extensions:
    - name: someone-else
      extension: {a: "0123"}
- name: sa-cluster
  item-sibling: keep
  cluster:
    server: https://old
    extensions:
    - name: kubectl-satoken
      extension: {}
- name: last
  cluster: {server: https://last}
users:
- name: admin
  user: {token: ADMIN, user-unknown: "yes"}
contexts:
- name: prod
  context: {cluster: prod, user: admin}
current-context: prod
"#;

    #[test]
    fn new_entries_go_to_the_last_file_when_none_exists() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("sub").join("b");
        let report = merge(&env_rules(&[&a, &b]), &req(sa_entries())).unwrap();
        assert!(!a.exists());
        let doc = read(&b);
        let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
        assert_eq!(keys, ["apiVersion", "kind", "clusters", "users", "contexts"]);
        assert_eq!(doc["apiVersion"], json!("v1"));
        assert_eq!(doc["kind"], json!("Config"));
        assert_eq!(
            doc["clusters"][0],
            json!({"name": "sa-cluster", "cluster": managed("https://sa")})
        );
        assert_eq!(doc["users"][0]["user"]["token"], json!("T0KEN"));
        assert!(doc.get("preferences").is_none() && doc.get("current-context").is_none());
        assert_eq!(report.written.len(), 3);
        assert!(report.written.iter().all(|(_, _, f)| *f == b));
        assert_eq!(report.current_context_file, None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&b).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(listing(dir.path()), ["sub"]);
        assert_eq!(listing(&dir.path().join("sub")), ["b"]);
    }

    #[test]
    fn new_entries_go_to_the_first_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&b, EXISTING).unwrap();
        merge(
            &env_rules(&[&a, &b]),
            &req(vec![(Section::Clusters, "new", managed("s"))]),
        )
        .unwrap();
        assert!(!a.exists(), "only b exists: b gets it");
        assert_eq!(read(&b)["clusters"][3]["name"], json!("new"));

        fs::write(&a, "").unwrap();
        let before_b = fs::read(&b).unwrap();
        merge(
            &env_rules(&[&a, &b]),
            &req(vec![(Section::Clusters, "new2", managed("s"))]),
        )
        .unwrap();
        assert_eq!(read(&a)["clusters"][0]["name"], json!("new2"), "both exist: a gets it");
        assert_eq!(fs::read(&b).unwrap(), before_b, "b untouched");
    }

    #[test]
    fn explicit_file_is_created_and_gets_everything() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let explicit = dir.path().join("explicit.yaml");
        let rules = LoadingRules::new(Some(explicit.clone()), None, Some(home.clone()));
        let mut r = req(sa_entries());
        r.set_current = Some("sa".into());
        let report = merge(&rules, &r).unwrap();
        assert_eq!(report.current_context_file.as_deref(), Some(explicit.as_path()));
        let doc = read(&explicit);
        assert_eq!(doc["current-context"], json!("sa"));
        assert_eq!(doc["contexts"][0]["name"], json!("sa"));
        assert!(!home.exists());
    }

    #[test]
    fn existing_entry_is_replaced_in_its_file_at_its_position_and_the_rest_survives() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "kind: Config\nclusters: []\n").unwrap();
        fs::write(&b, EXISTING).unwrap();
        let before_a = fs::read(&a).unwrap();
        let before = read(&b);
        let report = merge(
            &env_rules(&[&a, &b]),
            &req(vec![(Section::Clusters, "sa-cluster", managed("https://new"))]),
        )
        .unwrap();
        assert_eq!(
            report.written,
            [(Section::Clusters, "sa-cluster".to_owned(), b.clone())]
        );
        assert_eq!(
            fs::read(&a).unwrap(),
            before_a,
            "a did not change and was not rewritten"
        );
        let after = read(&b);
        // Exactly one thing changed: the body of clusters[1]; its sibling key stays.
        let mut expected = before.clone();
        expected["clusters"][1]["cluster"] = managed("https://new");
        assert_eq!(after, expected);
        assert_eq!(after["clusters"][1]["item-sibling"], json!("keep"));
        let item_keys: Vec<&str> = after["clusters"][1]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(item_keys, ["name", "item-sibling", "cluster"]);
        // Values that look like other types stayed strings.
        assert_eq!(after["users"][0]["user"]["user-unknown"], json!("yes"));
        assert_eq!(
            after["clusters"][0]["cluster"]["extensions"][0]["extension"]["a"],
            json!("0123")
        );
    }

    #[test]
    fn foreign_entry_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "kind: Config\n").unwrap();
        fs::write(&b, EXISTING).unwrap();
        let before_a = fs::read(&a).unwrap();
        let before_b = fs::read(&b).unwrap();
        // The first entry alone would be fine: the refusal must still write nothing.
        let r = req(vec![
            (Section::Clusters, "brand-new", managed("x")),
            (Section::Users, "admin", json!({"token": "NEW-SECRET"})),
        ]);
        let err = merge(&env_rules(&[&a, &b]), &r).unwrap_err();
        match &err {
            KubeconfigError::ForeignEntry { section, name, file } => {
                assert_eq!(
                    (*section, name.as_str(), file.as_path()),
                    (Section::Users, "admin", b.as_path())
                );
            }
            other => panic!("unexpected error: {other}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("user \"admin\"") && msg.contains(&*b.to_string_lossy()),
            "{msg}"
        );
        assert!(!msg.contains("ADMIN") && !msg.contains("NEW-SECRET"), "{msg}");
        assert_eq!(fs::read(&a).unwrap(), before_a);
        assert_eq!(fs::read(&b).unwrap(), before_b);
        assert_eq!(listing(dir.path()), ["a", "b"], "no lock or temp file left");
    }

    #[test]
    fn overwrite_replaces_a_foreign_entry() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, EXISTING).unwrap();
        let mut r = req(vec![(
            Section::Contexts,
            "prod",
            json!({"cluster": "sa-cluster", "user": "admin"}),
        )]);
        r.overwrite = true;
        merge(&env_rules(&[&f]), &r).unwrap();
        let doc = read(&f);
        assert_eq!(
            doc["contexts"][0],
            json!({"name": "prod", "context": {"cluster": "sa-cluster", "user": "admin"}})
        );
        assert_eq!(doc["contexts"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn current_context_goes_to_the_destination_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "kind: Config\n").unwrap();
        fs::write(&b, EXISTING).unwrap();
        let rules = env_rules(&[&a, &b]);

        // Not asked: no file gets current-context.
        merge(&rules, &req(sa_entries())).unwrap();
        assert!(read(&a).get("current-context").is_none());
        assert_eq!(read(&b)["current-context"], json!("prod"));

        // Asked: the destination (a, first existing) gets it, b keeps its own.
        let mut r = req(sa_entries());
        r.set_current = Some("sa".into());
        let report = merge(&rules, &r).unwrap();
        assert_eq!(report.current_context_file.as_deref(), Some(a.as_path()));
        assert_eq!(read(&a)["current-context"], json!("sa"));
        assert_eq!(read(&b)["current-context"], json!("prod"));

        // Already in force: nothing to write (kubectl skips it too).
        let before = fs::read(&a).unwrap();
        let mut r = req(vec![]);
        r.set_current = Some("sa".into());
        let report = merge(&rules, &r).unwrap();
        assert_eq!(report.current_context_file, None);
        assert_eq!(fs::read(&a).unwrap(), before);
    }

    #[test]
    fn current_context_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, EXISTING).unwrap();
        let mut r = req(vec![]);
        r.set_current = Some("other".into());
        merge(&env_rules(&[&f]), &r).unwrap();
        let doc = read(&f);
        assert_eq!(doc["current-context"], json!("other"));
        assert_eq!(doc.keys().next_back().map(String::as_str), Some("current-context"));
        assert_eq!(doc.keys().nth(2).map(String::as_str), Some("top-unknown"));
    }

    #[test]
    fn held_lock_times_out_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&b, EXISTING).unwrap();
        let before = fs::read(&b).unwrap();
        fs::write(lock_path(&b), "").unwrap();
        let err = merge(&env_rules(&[&a, &b]), &req(sa_entries())).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, KubeconfigError::Locked { .. }), "{msg}");
        assert!(msg.contains(&*lock_path(&b).to_string_lossy()), "{msg}");
        assert_eq!(fs::read(&b).unwrap(), before);
        assert!(!a.exists() && !lock_path(&a).exists(), "our own lock on a was released");
        assert!(lock_path(&b).exists(), "someone else's lock is not ours to remove");
    }

    #[test]
    fn no_lock_left_after_success() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, EXISTING).unwrap();
        merge(&env_rules(&[&a, &b]), &req(sa_entries())).unwrap();
        assert_eq!(listing(dir.path()), ["a"]);
    }

    #[test]
    fn no_lock_left_after_a_load_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "clusters: [\n").unwrap();
        let err = merge(&env_rules(&[&f]), &req(sa_entries())).unwrap_err();
        assert!(matches!(err, KubeconfigError::Parse { .. }), "{err}");
        assert_eq!(listing(dir.path()), ["config"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_stays_a_symlink_and_its_target_is_updated() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("dotfiles");
        fs::create_dir(&real_dir).unwrap();
        let real = real_dir.join("kubeconfig");
        fs::write(&real, EXISTING).unwrap();
        let link = dir.path().join("config");
        std::os::unix::fs::symlink("dotfiles/kubeconfig", &link).unwrap();
        let report = merge(&env_rules(&[&link]), &req(sa_entries())).unwrap();
        assert!(report.written.iter().all(|(_, _, f)| *f == link));
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), PathBuf::from("dotfiles/kubeconfig"));
        assert_eq!(read(&real)["contexts"][1]["name"], json!("sa"));
        assert_eq!(
            listing(&real_dir),
            ["kubeconfig"],
            "temp file was in the target's directory"
        );
        assert_eq!(listing(dir.path()), ["config", "dotfiles"]);
    }

    #[cfg(unix)]
    #[test]
    fn existing_mode_is_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, EXISTING).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        merge(&env_rules(&[&f]), &req(sa_entries())).unwrap();
        assert_eq!(fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o644);
    }

    #[cfg(unix)]
    #[test]
    fn unchanged_files_are_not_rewritten() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, EXISTING).unwrap();
        fs::write(&b, EXISTING).unwrap();
        let (ino_a, ino_b) = (fs::metadata(&a).unwrap().ino(), fs::metadata(&b).unwrap().ino());
        merge(
            &env_rules(&[&a, &b]),
            &req(vec![(Section::Clusters, "x", managed("x"))]),
        )
        .unwrap();
        assert_ne!(fs::metadata(&a).unwrap().ino(), ino_a, "a was replaced atomically");
        assert_eq!(fs::metadata(&b).unwrap().ino(), ino_b, "b was not touched");
    }

    #[test]
    fn a_name_repeated_in_the_request_ends_with_the_last_body() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        let r = req(vec![
            (Section::Clusters, "c", managed("one")),
            (Section::Clusters, "c", managed("two")),
        ]);
        merge(&env_rules(&[&f]), &r).unwrap();
        let doc = read(&f);
        assert_eq!(doc["clusters"].as_array().unwrap().len(), 1);
        assert_eq!(doc["clusters"][0]["cluster"]["server"], json!("two"));
    }

    #[test]
    fn null_list_is_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "apiVersion: v1\nclusters: null\nkind: Config\n").unwrap();
        merge(&env_rules(&[&f]), &req(vec![(Section::Clusters, "c", managed("s"))])).unwrap();
        let doc = read(&f);
        let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
        assert_eq!(keys, ["apiVersion", "clusters", "kind"]);
    }

    #[test]
    fn invalid_requests_are_refused_without_locking() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        for r in [
            req(vec![(Section::Users, "", json!({}))]),
            req(vec![(Section::Users, "u", json!("token"))]),
            MergeRequest {
                set_current: Some(String::new()),
                ..req(vec![])
            },
        ] {
            let err = merge(&env_rules(&[&f]), &r).unwrap_err();
            assert!(matches!(err, KubeconfigError::InvalidRequest { .. }), "{err}");
        }
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn debug_of_a_request_shows_no_body() {
        let r = req(sa_entries());
        let shown = format!("{r:?}");
        assert!(shown.contains("sa-user") && !shown.contains("T0KEN"), "{shown}");
    }

    #[test]
    fn concurrent_merges_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = Arc::new(dir.path().join("config"));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let f = Arc::clone(&f);
                std::thread::spawn(move || {
                    for i in 0..5 {
                        let name = format!("c-{t}-{i}");
                        let mut r = req(vec![(Section::Clusters, name.as_str(), managed("s"))]);
                        r.lock_timeout = Duration::from_secs(30);
                        merge(&env_rules(&[&f]), &r).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let doc = read(&f);
        assert_eq!(doc["clusters"].as_array().unwrap().len(), 20);
        assert_eq!(listing(dir.path()), ["config"]);
    }

    /// Runs `r` on copies of `files` twice, splicing and parsing whole, and checks that both
    /// give the same documents (key order included) and the same report. Returns the spliced
    /// texts.
    fn same_both_ways(files: &[(&str, &str)], r: &MergeRequest) -> Vec<String> {
        let run = |splice_ok: bool| {
            let dir = tempfile::tempdir().unwrap();
            let paths: Vec<PathBuf> = files.iter().map(|(n, _)| dir.path().join(n)).collect();
            for ((_, text), p) in files.iter().zip(&paths) {
                if !text.is_empty() {
                    fs::write(p, text).unwrap();
                }
            }
            let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let result = merge_with(&env_rules(&refs), r, splice_ok).map(|mut rep| {
                for list in [&mut rep.written, &mut rep.removed] {
                    for (_, _, f) in list.iter_mut() {
                        *f = f.strip_prefix(dir.path()).unwrap().to_path_buf();
                    }
                }
                rep.current_context_file = rep
                    .current_context_file
                    .map(|f| f.strip_prefix(dir.path()).unwrap().to_path_buf());
                rep
            });
            let texts: Vec<String> = paths
                .iter()
                .map(|p| fs::read_to_string(p).unwrap_or_default())
                .collect();
            (
                result.map_err(|e| format!("{e}").replace(&*dir.path().to_string_lossy(), "")),
                texts,
            )
        };
        let (spliced, spliced_texts) = run(true);
        let (whole, whole_texts) = run(false);
        assert_eq!(spliced, whole);
        for (a, b) in spliced_texts.iter().zip(&whole_texts) {
            let docs = [a, b].map(|t| {
                serde_json::to_string(&parse_doc(t.as_bytes(), Path::new("x")).unwrap_or_else(|e| panic!("{e}:\n{t}")))
                    .unwrap()
            });
            assert_eq!(docs[0], docs[1], "spliced:\n{a}\nwhole:\n{b}");
        }
        spliced_texts
    }

    const KUBECTL_STYLE: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0t
    server: https://prod:6443
  name: prod
- cluster:
    extensions:
    - extension: {}
      name: kubectl-satoken
    server: https://old
  name: prod/ns/sa
contexts:
- context:
    cluster: prod
    user: admin
  name: prod
- context:
    cluster: prod/ns/sa
    extensions:
    - extension: {}
      name: kubectl-satoken
    user: prod/ns/sa
  name: prod/ns/sa
current-context: prod/ns/sa
kind: Config
preferences: {}
users:
- name: admin
  user:
    token: ADMIN
- name: prod/ns/sa
  user:
    extensions:
    - extension: {}
      name: kubectl-satoken
    token: OLD
"#;

    const ODD_LAYOUT: &str = "# my clusters\nkind: Config\nclusters:\n  - name: \"quoted\"   # trailing\n    cluster: {server: 'https://q'}\n\n  # about the next one\n  -   name: flowish\n      cluster:\n        server: https://f\n        note: |\n          two\n\n          lines\n  - {name: sa-cluster, cluster: {server: s, extensions: [{name: kubectl-satoken, extension: {}}]}}\nusers:\n  - name: u\n    user: {token: \"T\"}\ncontexts:\n  - name: c\n    context: {cluster: quoted, user: u}\nx-unknown: [1, {a: b}]";

    /// A file kubectl refuses for a name it holds twice is refused by the merge too, by the
    /// splice and by the whole-document path alike, and nothing is written.
    #[test]
    fn a_file_with_a_name_twice_is_refused_and_left_alone() {
        let text = EXISTING.replace(
            "users:\n- name: admin\n",
            "users:\n- name: admin\n  user: {token: SECRET-TOKEN-2}\n- name: admin\n",
        );
        for splice_ok in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("config");
            fs::write(&f, &text).unwrap();
            let err = merge_with(&env_rules(&[&f]), &req(sa_entries()), splice_ok).unwrap_err();
            assert!(matches!(err, KubeconfigError::DuplicateName { .. }), "{err}");
            assert!(!err.to_string().contains("SECRET"), "{err}");
            assert_eq!(fs::read_to_string(&f).unwrap(), text);
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }

    #[test]
    fn spliced_merges_equal_whole_document_merges() {
        let sa = || {
            let body = |x: Value| {
                let mut x = x;
                x["extensions"] = json!([{"name": MARKER, "extension": {"v": 2}}]);
                x
            };
            vec![
                (
                    Section::Clusters,
                    "prod/ns/sa",
                    body(json!({"server": "https://new", "insecure-skip-tls-verify": true})),
                ),
                (Section::Users, "prod/ns/sa", body(json!({"token": "NEW\nline"}))),
                (
                    Section::Contexts,
                    "prod/ns/sa",
                    body(json!({"cluster": "prod/ns/sa", "user": "prod/ns/sa", "namespace": "0123"})),
                ),
            ]
        };
        for text in [KUBECTL_STYLE, ODD_LAYOUT, EXISTING] {
            // New entries, then the same again (replaced in place), with and without current.
            let mut r = req(sa());
            let out = same_both_ways(&[("config", text)], &r);
            r.set_current = Some("prod/ns/sa".into());
            same_both_ways(&[("config", &out[0])], &r);
            same_both_ways(&[("config", text)], &r);
            // Removal of our entries, the current context among them.
            let mut rm = req(vec![]);
            rm.remove = sa().into_iter().map(|(s, n, _)| (s, n.to_owned())).collect();
            same_both_ways(&[("config", &out[0])], &rm);
            same_both_ways(&[("config", text)], &rm);
            // A foreign entry is refused the same way.
            same_both_ways(&[("config", text)], &req(vec![(Section::Users, "admin", json!({}))]));
            same_both_ways(&[("config", text)], &req(vec![(Section::Users, "u", json!({}))]));
            // In a chain: entries stay in the file that has them, new ones go to the first.
            same_both_ways(&[("a", ODD_LAYOUT), ("b", text)], &r);
            same_both_ways(&[("a", text), ("b", KUBECTL_STYLE)], &r);
        }
        // The comments outside rewritten entries are kept (only the splice keeps them).
        let out = same_both_ways(&[("config", ODD_LAYOUT)], &req(sa()));
        assert!(out[0].starts_with("# my clusters\n"), "{}", out[0]);
        assert!(out[0].contains("# about the next one\n"), "{}", out[0]);
        assert!(out[0].ends_with("x-unknown: [1, {a: b}]"), "{}", out[0]);
    }

    #[test]
    fn spliced_merge_replaces_a_flow_item_and_sets_a_missing_current_context() {
        let mut r = req(vec![(Section::Clusters, "sa-cluster", managed("https://new"))]);
        r.set_current = Some("c".into());
        let out = same_both_ways(&[("config", ODD_LAYOUT)], &r);
        let doc = parse_doc(out[0].as_bytes(), Path::new("x")).unwrap();
        assert_eq!(doc["clusters"][2]["cluster"], managed("https://new"));
        assert_eq!(doc["current-context"], json!("c"));
        assert!(out[0].ends_with("current-context: c\n"), "{}", out[0]);
    }

    #[test]
    fn files_the_splice_does_not_take_still_merge() {
        for text in [
            "{\"kind\": \"Config\", \"clusters\": [{\"name\": \"a\", \"cluster\": {}}]}",
            "clusters: null\n",
            "clusters: []\n",
            "\u{feff}clusters:\n- name: a\n  cluster: {}\n",
            "base: &b {server: s}\nclusters:\n- name: a\n  cluster: *b\n",
            "clusters:\n- name: 123\n  cluster: {}\n",
            "clusters:\n- name: yes\n  cluster: {}\n",
            "clusters:\n-\n  name: a\n  cluster: {}\n",
            "clusters:\n- name: a\n  cluster: {}\nclusters:\n- name: b\n",
            "",
        ] {
            same_both_ways(&[("config", text)], &req(vec![(Section::Clusters, "a", managed("s"))]));
            let mut r = req(vec![(Section::Clusters, "new", managed("s"))]);
            r.set_current = Some("x".into());
            same_both_ways(&[("config", text)], &r);
        }
    }

    #[test]
    fn spliced_merge_into_a_file_without_a_final_newline() {
        let text = "clusters:\n- name: a\n  cluster: {server: s}";
        let mut r = req(vec![(Section::Clusters, "b", managed("t"))]);
        r.set_current = Some("x".into());
        let out = same_both_ways(&[("config", text)], &r);
        assert!(out[0].starts_with(text), "{}", out[0]);
    }

    #[test]
    fn spliced_merge_of_a_large_file_rewrites_only_what_changes() {
        let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for i in 0..2000 {
            text.push_str(&format!("- cluster:\n    server: https://c{i}\n  name: c{i}\n"));
        }
        text.push_str(
            "contexts:\n- context: {cluster: c1}\n  name: c1\ncurrent-context: c1\nusers:\n- name: u\n  user: {}\n",
        );
        let mut r = req(sa_entries());
        r.set_current = Some("sa".into());
        let out = same_both_ways(&[("config", &text)], &r);
        // Everything before the first change is byte for byte the same.
        let clusters_end = text.find("contexts:").unwrap();
        assert_eq!(&out[0][..clusters_end], &text[..clusters_end]);
    }

    /// A list that is `null`, left out, `[]` or missing, and a file of comments only, take
    /// the text path too: every comment stays, and the documents equal the other path's.
    #[test]
    fn spliced_merges_keep_comments_around_null_empty_and_missing_lists() {
        let base = "# head\napiVersion: v1\nkind: Config\n";
        for (users, tail) in [
            ("users: null # was null\n", "# tail\n"),
            ("users: # left out\n", "# tail\n"),
            ("users: [] # was empty\n", "# tail\n"),
            ("users: ~\n", "# tail"),
            ("", "# tail\n"),
        ] {
            let text = format!("{base}{users}contexts:\n- name: c # kept\n  context: {{cluster: x}}\n{tail}");
            let mut r = req(sa_entries());
            r.set_current = Some("sa".into());
            let out = same_both_ways(&[("config", &text)], &r);
            for comment in ["# head", "# kept", "# tail", "# was", "# left"] {
                assert_eq!(
                    out[0].contains(comment),
                    text.contains(comment),
                    "{comment}:\n{}",
                    out[0]
                );
            }
            assert!(out[0].starts_with(base), "{}", out[0]);
        }
        for text in ["# only a comment\n", "# no final newline", "\n\n"] {
            let mut r = req(sa_entries());
            r.set_current = Some("sa".into());
            let out = same_both_ways(&[("config", text)], &r);
            assert!(out[0].starts_with(text), "{}", out[0]);
            assert!(out[0].contains("apiVersion: v1\nkind: Config\n"), "{}", out[0]);
        }
        // New entries into an earlier file of the chain with a null list, a later one missing.
        same_both_ways(&[("a", "users: null\n# a\n"), ("b", "# b only\n")], &req(sa_entries()));
    }

    #[test]
    fn a_crlf_file_stays_crlf_both_ways() {
        let text = KUBECTL_STYLE.replace('\n', "\r\n");
        let mut r = req(sa_entries());
        r.set_current = Some("sa".into());
        let mut rm = req(vec![]);
        rm.remove = vec![(Section::Contexts, "prod/ns/sa".into())];
        for splice_ok in [true, false] {
            for (r, text) in [
                (&r, text.clone()),
                (&rm, text.clone()),
                (&r, "users: null\r\n# c\r\n".to_owned()),
            ] {
                let dir = tempfile::tempdir().unwrap();
                let f = dir.path().join("config");
                fs::write(&f, &text).unwrap();
                merge_with(&env_rules(&[&f]), r, splice_ok).unwrap();
                let out = fs::read_to_string(&f).unwrap();
                assert_ne!(out, text);
                assert_eq!(
                    out.matches('\n').count(),
                    out.matches("\r\n").count(),
                    "{splice_ok}: {out:?}"
                );
                // Only the text path keeps comments: it was the one taken.
                assert_eq!(out.contains("# c"), splice_ok && text.contains("# c"), "{out:?}");
            }
            same_both_ways(&[("config", &text)], &r);
        }
    }

    /// A name written twice, or written and removed, in one request: the text path follows
    /// the one plan too.
    #[test]
    fn repeated_names_in_a_request_are_spliced_like_the_documents() {
        let entry = |server: &str| (Section::Clusters, "prod/ns/sa", managed(server));
        let new = |server: &str| (Section::Clusters, "new", managed(server));
        let mut twice = req(vec![entry("1"), new("1"), entry("2"), new("2")]);
        same_both_ways(&[("config", KUBECTL_STYLE)], &twice);
        twice.remove = vec![
            (Section::Clusters, "prod/ns/sa".into()),
            (Section::Clusters, "new".into()),
        ];
        same_both_ways(&[("config", KUBECTL_STYLE)], &twice);
        let mut back = req(vec![]);
        back.remove = vec![(Section::Users, "prod/ns/sa".into())];
        back.entries = vec![(Section::Users, "prod/ns/sa".into(), managed("u"))];
        same_both_ways(&[("config", KUBECTL_STYLE)], &back);
    }
}
