//! The loaded chain of kubeconfig files: first-wins lookups as client-go merges them,
//! and the conversion into kube's `Kubeconfig` for building a client.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kube::config::{Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::{KubeconfigError, redact};
use super::raw_file::RawFile;
use super::rules::LoadingRules;
use super::section::{Section, find_in_doc, item_body, item_name, items};
use super::unlocked_read::read_unlocked;
use super::yaml::{List as OutlineList, Outline, item_text, outline, parse_doc};

/// One file of the chain, parsed. A missing file is kept with `exists: false` and an
/// empty document so that it can receive new entries.
///
/// With [`Chain::load_lean`], a large file (256 KiB or more) is loaded lean: `doc` then holds its top-level
/// fields with the three named lists left out (`null`), and the lists are read through the
/// chain's methods: one entry is parsed when it is looked up, all of them (the whole file)
/// the first time all are needed. A command that looks up a few entries in a kubeconfig of
/// 10,000 contexts then neither builds nor holds 10,000 parsed entries.
#[derive(Clone)]
pub struct KubeconfigFile {
    pub path: PathBuf,
    pub doc: Map<String, Value>,
    pub exists: bool,
    lean: Option<Box<Lean>>,
}

/// Files from this size on are loaded lean (public for the tests and fuzz targets that make
/// files of this size).
pub const LEAN_MIN_BYTES: usize = 256 * 1024;

/// The text of a lean file, where its entries are, and what has been parsed of them.
#[derive(Clone)]
struct Lean {
    text: String,
    outline: Outline,
    /// Each list item, parsed on its own when first looked up (`None` if it did not parse).
    items: [Vec<OnceLock<Option<Value>>>; 3],
    /// The whole document, parsed the first time every entry is needed.
    full: OnceLock<Option<Map<String, Value>>>,
}

impl Lean {
    /// Outlines `text`; `None` when the file is not plain enough, and then it is parsed whole.
    /// Returns the document without the named lists, to be checked as a whole one is.
    fn new(text: String) -> Option<(Lean, String)> {
        let outline = outline(&text)?;
        // Cut every list's items out of the text: what remains is the rest of the document.
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        // A list written as `null` stays in the rest: it has no items to cut.
        for list in outline.lists.iter().flatten().filter(|l| !l.null) {
            let first = list.items.first()?;
            if !list.block || list.items.iter().any(|it| it.dash_line.is_none()) {
                return None;
            }
            cuts.push((first.dash_line?, list.end));
        }
        cuts.sort_unstable();
        let mut rest = String::new();
        let mut at = 0;
        for (start, end) in cuts {
            rest.push_str(&text[at..start]);
            at = end;
        }
        rest.push_str(&text[at..]);
        let items = std::array::from_fn(|slot| {
            let n = outline.lists[slot].as_ref().map_or(0, |l| l.items.len());
            (0..n).map(|_| OnceLock::new()).collect()
        });
        let lean = Lean {
            text,
            outline,
            items,
            full: OnceLock::new(),
        };
        Some((lean, rest))
    }

    fn list(&self, section: Section) -> Option<&OutlineList> {
        self.outline.lists[section.index()].as_ref()
    }

    fn full(&self, path: &Path) -> Option<&Map<String, Value>> {
        self.full
            .get_or_init(|| parse_doc(self.text.as_bytes(), path).ok())
            .as_ref()
    }

    fn item(&self, section: Section, i: usize, path: &Path) -> Option<&Value> {
        if let Some(Some(doc)) = self.full.get() {
            return items(doc, section).get(i);
        }
        let cell = self.items[section.index()].get(i)?;
        let parsed = cell.get_or_init(|| {
            let item = self.list(section)?.items.get(i)?;
            let doc = parse_doc(item_text(&self.text, item).as_bytes(), path).ok()?;
            // The outline and the parser must agree on the name, else read the whole file.
            (doc.get("name").and_then(Value::as_str) == item.name.as_deref()).then_some(Value::Object(doc))
        });
        match parsed {
            Some(value) => Some(value),
            None => self.full(path).and_then(|doc| items(doc, section).get(i)),
        }
    }
}

/// The document may hold credentials: Debug shows its top-level keys only.
impl fmt::Debug for KubeconfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubeconfigFile")
            .field("path", &self.path)
            .field("keys", &self.doc.keys().collect::<Vec<_>>())
            .field("exists", &self.exists)
            .finish()
    }
}

impl KubeconfigFile {
    /// Parses a file already read, whole.
    pub(crate) fn parse(raw: &RawFile) -> Result<KubeconfigFile, KubeconfigError> {
        let path = &raw.path;
        let Some(bytes) = &raw.bytes else {
            return Ok(KubeconfigFile {
                path: path.clone(),
                doc: Map::new(),
                exists: false,
                lean: None,
            });
        };
        let doc = parse_doc(bytes, path)?;
        check_shape(&doc, path)?;
        Ok(KubeconfigFile {
            path: path.clone(),
            doc,
            exists: true,
            lean: None,
        })
    }

    /// Parses a file already read, lean when it has at least `lean_from` bytes of plain
    /// UTF-8 that [`outline`] takes.
    fn parse_owned(raw: RawFile, lean_from: usize) -> Result<KubeconfigFile, KubeconfigError> {
        let bytes = match raw.bytes {
            Some(bytes) if bytes.len() >= lean_from => bytes,
            _ => return Self::parse(&raw),
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) if !text.starts_with('\u{feff}') => text,
            Ok(text) => {
                return Self::parse(&RawFile {
                    path: raw.path,
                    bytes: Some(text.into_bytes()),
                });
            }
            Err(e) => {
                return Self::parse(&RawFile {
                    path: raw.path,
                    bytes: Some(e.into_bytes()),
                });
            }
        };
        let Some((lean, rest)) = Lean::new(text.clone()) else {
            return Self::parse(&RawFile {
                path: raw.path,
                bytes: Some(text.into_bytes()),
            });
        };
        drop(text);
        let doc = parse_doc(rest.as_bytes(), &raw.path)?;
        check_shape(&doc, &raw.path)?;
        // The lists were cut out of `doc`: their names are checked on the outline.
        if let Some((section, name)) = outline_duplicate(&lean.outline) {
            return Err(KubeconfigError::DuplicateName {
                path: raw.path,
                section,
                name: name.to_owned(),
            });
        }
        Ok(KubeconfigFile {
            path: raw.path,
            doc,
            exists: true,
            lean: Some(Box::new(lean)),
        })
    }

    /// Every item of a section (a lean file is parsed whole for this, once).
    fn all_items(&self, section: Section) -> &[Value] {
        match &self.lean {
            None => items(&self.doc, section),
            Some(lean) => lean.full(&self.path).map_or(&[], |doc| items(doc, section)),
        }
    }

    /// Index of the item in force for `name` in this file (the last of that name).
    fn find(&self, section: Section, name: &str) -> Option<usize> {
        match &self.lean {
            None => find_in_doc(&self.doc, section, name),
            Some(lean) => lean
                .list(section)?
                .items
                .iter()
                .rposition(|item| item.name.as_deref() == Some(name)),
        }
    }

    fn item_at(&self, section: Section, i: usize) -> Option<&Value> {
        match &self.lean {
            None => items(&self.doc, section).get(i),
            Some(lean) => lean.item(section, i, &self.path),
        }
    }
}

/// The first name that two items of one list share. client-go turns each list into a map
/// and refuses a name it already holds (`duplicate name "x" in list`), an item without a
/// name being named "".
pub(crate) fn first_duplicate<'a>(names: impl IntoIterator<Item = Option<&'a str>>) -> Option<&'a str> {
    let mut seen = HashSet::new();
    names.into_iter().map(|n| n.unwrap_or("")).find(|n| !seen.insert(*n))
}

/// The first list of an outline in which two items share a name, and that name.
pub(crate) fn outline_duplicate(outline: &Outline) -> Option<(Section, &str)> {
    Section::ALL.into_iter().find_map(|section| {
        let list = outline.lists[section.index()].as_ref()?;
        first_duplicate(list.items.iter().map(|it| it.name.as_deref())).map(|name| (section, name))
    })
}

/// Rejects documents whose known fields have a shape kubectl would also refuse, so that
/// lookups and merges never have to guess.
fn check_shape(doc: &Map<String, Value>, path: &Path) -> Result<(), KubeconfigError> {
    let invalid = |message: String| KubeconfigError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    for section in Section::ALL {
        let key = section.list_key();
        match doc.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for (i, item) in list.iter().enumerate() {
                    if !item.is_object() {
                        return Err(invalid(format!("{key}[{i}] is not a mapping")));
                    }
                    match item.get("name") {
                        None | Some(Value::Null) | Some(Value::String(_)) => {}
                        Some(_) => return Err(invalid(format!("{key}[{i}].name is not a string"))),
                    }
                }
            }
            Some(_) => return Err(invalid(format!("{key} is not a list"))),
        }
        if let Some(name) = first_duplicate(items(doc, section).iter().map(item_name)) {
            return Err(KubeconfigError::DuplicateName {
                path: path.to_path_buf(),
                section,
                name: name.to_owned(),
            });
        }
    }
    // client-go decodes a kubeconfig as kind Config, version v1; absent or empty values
    // default to those, anything else is refused (kubectl: `no kind "Pod" is registered`).
    // The value is not quoted: the message never repeats what a file holds.
    for (key, want) in [("kind", "Config"), ("apiVersion", "v1")] {
        match doc.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() || s == want => {}
            Some(_) => return Err(invalid(format!("{key} is not \"{want}\": not a kubeconfig"))),
        }
    }
    match doc.get("current-context") {
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(invalid("current-context is not a string".to_owned())),
    }
}

/// An entry as the chain resolves it: the file that defines it and its body.
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub file: &'a Path,
    pub name: &'a str,
    /// The inner `cluster`/`user`/`context` value (`null` when the item has none).
    /// It may hold credentials: never print it with `{:?}`.
    pub body: &'a Value,
}

/// The body may hold credentials: Debug leaves it out.
impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("file", &self.file)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The kubeconfig files of the loading rules, in precedence order.
#[derive(Debug, Clone)]
pub struct Chain {
    pub rules: LoadingRules,
    pub files: Vec<KubeconfigFile>,
}

impl Chain {
    /// Loads every file of the chain. Missing files are skipped (kept as empty), except an
    /// explicit `--kubeconfig` file, which must exist as kubectl requires.
    pub fn load(rules: LoadingRules) -> Result<Chain, KubeconfigError> {
        Self::check_explicit(&rules)?;
        Self::load_allow_missing(rules)
    }

    /// Like [`Chain::load`], large files (256 KiB or more) loaded lean (see
    /// [`KubeconfigFile`]): for a command that looks up a few entries, such as the context
    /// to use, its cluster and user, and builds its client with
    /// [`Chain::to_kube_for_context`]. Every other method works as well and gives the same
    /// answers, but the first one that needs all entries of a lean file parses it whole.
    pub fn load_lean(rules: LoadingRules) -> Result<Chain, KubeconfigError> {
        Self::check_explicit(&rules)?;
        Self::load_lean_from(rules, LEAN_MIN_BYTES)
    }

    /// An explicit `--kubeconfig` file must exist, as kubectl requires.
    fn check_explicit(rules: &LoadingRules) -> Result<(), KubeconfigError> {
        if let Some(explicit) = rules.explicit()
            && let Err(e) = fs::metadata(explicit)
        {
            return Err(if e.kind() == io::ErrorKind::NotFound {
                KubeconfigError::ExplicitMissing {
                    path: explicit.to_path_buf(),
                }
            } else {
                KubeconfigError::Read {
                    path: explicit.to_path_buf(),
                    error: e,
                }
            });
        }
        Ok(())
    }

    /// Loads the chain tolerating a missing explicit file: a merge creates it.
    pub(crate) fn load_allow_missing(rules: LoadingRules) -> Result<Chain, KubeconfigError> {
        Self::load_lean_from(rules, usize::MAX)
    }

    /// Loads the chain, files of at least `lean_from` bytes lean.
    fn load_lean_from(rules: LoadingRules, lean_from: usize) -> Result<Chain, KubeconfigError> {
        let files = rules
            .precedence()
            .iter()
            .map(|path| KubeconfigFile::parse_owned(read_unlocked(path)?, lean_from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Chain { rules, files })
    }

    /// The chain of files already read (in the order of `rules.precedence()`).
    pub(crate) fn parse(rules: LoadingRules, raw: &[RawFile]) -> Result<Chain, KubeconfigError> {
        let files = raw.iter().map(KubeconfigFile::parse).collect::<Result<Vec<_>, _>>()?;
        Ok(Chain { rules, files })
    }

    /// `current-context` of the first file that sets a non-empty one.
    pub fn current_context(&self) -> Option<&str> {
        self.files.iter().find_map(|f| {
            f.doc
                .get("current-context")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
    }

    /// File index and item index of the entry in force for `name`.
    pub(crate) fn locate(&self, section: Section, name: &str) -> Option<(usize, usize)> {
        self.files
            .iter()
            .enumerate()
            .find_map(|(f, file)| file.find(section, name).map(|i| (f, i)))
    }

    fn entry_at(&self, section: Section, file: usize, item: usize) -> Option<Entry<'_>> {
        let file = self.files.get(file)?;
        let item = file.item_at(section, item)?;
        Some(Entry {
            file: &file.path,
            name: item_name(item)?,
            body: item_body(item, section),
        })
    }

    /// The entry in force for `name`: the first file that defines it wins.
    pub fn entry(&self, section: Section, name: &str) -> Option<Entry<'_>> {
        let (file, item) = self.locate(section, name)?;
        self.entry_at(section, file, item)
    }

    /// (file, item) of every entry in force, each name once, in chain order.
    fn effective(&self, section: Section) -> Vec<(usize, usize)> {
        // One pass per file (a kubeconfig may hold 10,000 entries): the last item of a
        // name is the one in force within a file, listed where the name first appears.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut out = Vec::new();
        for (f, file) in self.files.iter().enumerate() {
            let list = file.all_items(section);
            let mut last: HashMap<&str, usize> = HashMap::with_capacity(list.len());
            for (i, item) in list.iter().enumerate() {
                if let Some(name) = item_name(item) {
                    last.insert(name, i);
                }
            }
            for item in list {
                if let Some(name) = item_name(item)
                    && seen.insert(name)
                {
                    out.push((f, last[name]));
                }
            }
        }
        out
    }

    /// Every entry in force, each name once (first file wins), in chain order.
    pub fn names(&self, section: Section) -> Vec<Entry<'_>> {
        self.effective(section)
            .into_iter()
            .filter_map(|(f, i)| self.entry_at(section, f, i))
            .collect()
    }

    /// The merged configuration as kube's `Kubeconfig`, for building a client: entries
    /// first-wins, `current-context` the first non-empty, other top-level fields first-wins,
    /// and relative file paths made absolute against the directory of their own file.
    pub fn to_kube(&self) -> Result<Kubeconfig, KubeconfigError> {
        let mut out = Kubeconfig::default();
        for file in &self.files {
            merge_top_level(&mut out, file)?;
        }
        out.clusters = self.convert::<NamedCluster>(Section::Clusters)?;
        out.auth_infos = self.convert::<NamedAuthInfo>(Section::Users)?;
        out.contexts = self.convert::<NamedContext>(Section::Contexts)?;
        out.current_context = self.current_context().map(str::to_owned);
        Ok(out)
    }

    /// Like [`Chain::to_kube`], with only what a client for `context` reads: that context,
    /// its cluster and its user (when they exist), and the top-level fields. A kubeconfig of
    /// 10,000 contexts is then not converted whole to build one client.
    pub fn to_kube_for_context(&self, context: &str) -> Result<Kubeconfig, KubeconfigError> {
        let mut out = Kubeconfig::default();
        for file in &self.files {
            merge_top_level(&mut out, file)?;
        }
        let pick = |section: Section, name: Option<&str>| -> Vec<(usize, usize)> {
            name.and_then(|n| self.locate(section, n)).into_iter().collect()
        };
        out.contexts = self.convert_at::<NamedContext>(Section::Contexts, pick(Section::Contexts, Some(context)))?;
        let body = self.entry(Section::Contexts, context).map(|e| e.body);
        let field = |key: &str| body.and_then(|b| b.get(key)).and_then(Value::as_str);
        out.clusters = self.convert_at::<NamedCluster>(Section::Clusters, pick(Section::Clusters, field("cluster")))?;
        out.auth_infos = self.convert_at::<NamedAuthInfo>(Section::Users, pick(Section::Users, field("user")))?;
        out.current_context = self.current_context().map(str::to_owned);
        Ok(out)
    }

    fn convert<T: DeserializeOwned>(&self, section: Section) -> Result<Vec<T>, KubeconfigError> {
        self.convert_at(section, self.effective(section))
    }

    fn convert_at<T: DeserializeOwned>(
        &self,
        section: Section,
        at: Vec<(usize, usize)>,
    ) -> Result<Vec<T>, KubeconfigError> {
        let mut out = Vec::new();
        for (f, i) in at {
            let file = &self.files[f];
            let Some(original) = file.item_at(section, i) else {
                continue;
            };
            let mut item = original.clone();
            if let Some(body) = item.get_mut(section.inner_key()) {
                prepare_body(section, body, &base_dir(&file.path));
            }
            let converted = serde_json::from_value(item).map_err(|e| KubeconfigError::InvalidEntry {
                section,
                name: item_name(original).unwrap_or_default().to_owned(),
                path: file.path.clone(),
                message: redact(&e.to_string()),
            })?;
            out.push(converted);
        }
        Ok(out)
    }
}

/// Top-level fields other than the lists and `current-context`: the first file that has
/// one (non-null) wins, key by key.
fn merge_top_level(out: &mut Kubeconfig, file: &KubeconfigFile) -> Result<(), KubeconfigError> {
    fn field<T: DeserializeOwned>(key: &str, value: &Value, path: &Path) -> Result<T, KubeconfigError> {
        serde_json::from_value(value.clone()).map_err(|e| KubeconfigError::InvalidField {
            field: key.to_owned(),
            path: path.to_path_buf(),
            message: redact(&e.to_string()),
        })
    }
    for (key, value) in &file.doc {
        if value.is_null() {
            continue;
        }
        let path = &file.path;
        match key.as_str() {
            "clusters" | "users" | "contexts" | "current-context" => {}
            "preferences" if out.preferences.is_none() => {
                out.preferences = Some(field(key, value, path)?);
            }
            "extensions" if out.extensions.is_none() => {
                out.extensions = Some(field(key, value, path)?);
            }
            "kind" if out.kind.is_none() => out.kind = Some(field(key, value, path)?),
            "apiVersion" if out.api_version.is_none() => {
                out.api_version = Some(field(key, value, path)?);
            }
            "preferences" | "extensions" | "kind" | "apiVersion" => {}
            _ => {
                out.other.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    Ok(())
}

/// Absolute directory of a kubeconfig file, as client-go's `filepath.Abs(filepath.Dir(f))`
/// (symlinks are not resolved).
fn base_dir(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

/// Makes a relative, non-empty path string absolute against `base`.
fn resolve(value: Option<&mut Value>, base: &Path) {
    if let Some(Value::String(s)) = value
        && !s.is_empty()
        && Path::new(s.as_str()).is_relative()
        // A base that is not UTF-8 cannot be put in the string; leave the path as given.
        && let Some(joined) = base.join(s.as_str()).to_str()
    {
        *s = joined.to_owned();
    }
}

/// Readies a body for kube's types: file references made absolute (client-go
/// `ResolveLocalPaths`), and a context without `cluster` given an empty one, which is
/// how client-go reads it.
fn prepare_body(section: Section, body: &mut Value, base: &Path) {
    let Some(map) = body.as_object_mut() else {
        return;
    };
    match section {
        Section::Clusters => resolve(map.get_mut("certificate-authority"), base),
        Section::Users => {
            for key in ["client-certificate", "client-key", "tokenFile"] {
                resolve(map.get_mut(key), base);
            }
            // A bare command is looked up in PATH; only one with a separator is a path.
            let command = map.get_mut("exec").and_then(|e| e.get_mut("command"));
            if command
                .as_deref()
                .and_then(Value::as_str)
                .is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR))
            {
                resolve(command, base);
            }
        }
        Section::Contexts => {
            map.entry("cluster").or_insert_with(|| Value::String(String::new()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn rules_for(paths: &[&Path]) -> LoadingRules {
        LoadingRules::new(None, Some(std::env::join_paths(paths).unwrap()), None)
    }

    const A: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://a", certificate-authority: ca.crt}
- name: only-a
  cluster: {server: "https://only-a"}
users:
- name: shared
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
    tokenFile: ""
    exec: {command: ./bin/plugin, apiVersion: client.authentication.k8s.io/v1}
contexts:
- name: shared
  context: {cluster: shared, user: shared}
current-context: ""
a-only-top: 1
"#;

    const B: &str = r#"
apiVersion: v1
kind: Config
preferences: {colors: true}
clusters:
- name: shared
  cluster: {server: "https://b", unknown-b: 1}
- name: only-b
  cluster: {server: "https://only-b", certificate-authority: ../ca/b.crt}
users:
- name: shared
  user: {token: from-b}
- name: b-user
  user:
    token: b-token
    tokenFile: tok
    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1beta1}
contexts:
- name: b-ctx
  context: {cluster: only-b, user: b-user, namespace: ns}
- name: no-cluster
  context: {user: b-user}
current-context: b-ctx
a-only-top: 2
"#;

    fn two_files() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a").join("config");
        let b = dir.path().join("b").join("config");
        fs::create_dir_all(a.parent().unwrap()).unwrap();
        fs::create_dir_all(b.parent().unwrap()).unwrap();
        fs::write(&a, A).unwrap();
        fs::write(&b, B).unwrap();
        (dir, a, b)
    }

    /// Two entries of one name in one file: kubectl refuses the file (`duplicate name "x"
    /// in list`), and so do both loaders, naming the file, the list and the name, never a
    /// value (kubectl's message prints the whole list, tokens included). An entry without a
    /// name is named "" for this, as client-go reads it. Across files the first still wins.
    #[test]
    fn a_name_twice_in_one_file_is_refused_by_both_loaders_naming_only_the_name() {
        let cases = [
            (
                "clusters",
                "dup",
                "clusters:\n- name: dup\n  cluster: {server: 'https://a'}\n- name: ok\n  cluster: {server: 'https://b'}\n- name: dup\n  cluster: {server: 'https://SECRET-SERVER'}\n",
            ),
            (
                "users",
                "u",
                "users:\n- name: u\n  user: {token: SECRET-TOKEN-1}\n- name: u\n  user: {token: SECRET-TOKEN-2}\n",
            ),
            (
                "contexts",
                "x",
                "contexts:\n- name: x\n  context: {cluster: a}\n- {name: x, context: {cluster: b}}\n",
            ),
            (
                "clusters",
                "",
                "clusters:\n- cluster: {server: 'https://a'}\n- name: null\n  cluster: {server: 'https://b'}\n",
            ),
        ];
        for (list, name, text) in cases {
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("config");
            fs::write(&f, text).unwrap();
            for lean_from in [0, usize::MAX] {
                let err = Chain::load_lean_from(rules_for(&[&f]), lean_from).unwrap_err();
                assert!(
                    matches!(err, KubeconfigError::DuplicateName { .. }),
                    "{list} {lean_from}: {err}"
                );
                let msg = err.to_string();
                assert!(
                    msg.contains(&format!("\"{}\": duplicate name \"{name}\" in {list}", f.display())),
                    "{msg}"
                );
                assert!(!msg.contains("SECRET"), "{msg}");
            }
            // A large file goes the lean way through the public loader too.
            let mut large = text.to_owned();
            large.push('#');
            large.push_str(&"x".repeat(LEAN_MIN_BYTES));
            large.push('\n');
            fs::write(&f, large).unwrap();
            let err = Chain::load_lean(rules_for(&[&f])).unwrap_err();
            assert!(matches!(err, KubeconfigError::DuplicateName { .. }), "{err}");
        }
        // One name in two files is not a duplicate: the first file's entry is in force.
        let (_dir, a, b) = two_files();
        assert!(Chain::load(rules_for(&[&a, &b])).is_ok());
        // One item without a name is fine, as in kubectl.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(
            &f,
            "clusters:\n- cluster: {server: 'https://a'}\n- name: b\n  cluster: {}\n",
        )
        .unwrap();
        assert!(Chain::load(rules_for(&[&f])).is_ok());
    }

    #[test]
    fn first_file_wins_per_name() {
        let (_dir, a, b) = two_files();
        let chain = Chain::load(rules_for(&[&a, &b])).unwrap();
        let shared = chain.entry(Section::Clusters, "shared").unwrap();
        assert_eq!(shared.file, a);
        assert_eq!(shared.body["server"], json!("https://a"));
        // Fields are never mixed across files.
        assert!(shared.body.get("unknown-b").is_none());
        assert_eq!(chain.entry(Section::Clusters, "only-b").unwrap().file, b);
        assert!(chain.entry(Section::Clusters, "nope").is_none());
        let names: Vec<(&str, &Path)> = chain
            .names(Section::Clusters)
            .iter()
            .map(|e| (e.name, e.file))
            .collect();
        assert_eq!(
            names,
            [
                ("shared", a.as_path()),
                ("only-a", a.as_path()),
                ("only-b", b.as_path())
            ]
        );
        let users: Vec<&str> = chain.names(Section::Users).iter().map(|e| e.name).collect();
        assert_eq!(users, ["shared", "b-user"]);
    }

    #[test]
    fn debug_output_holds_no_credentials() {
        let (_dir, a, b) = two_files();
        let chain = Chain::load(rules_for(&[&a, &b])).unwrap();
        let shown = format!("{chain:?} {:?}", chain.entry(Section::Users, "b-user").unwrap());
        assert!(shown.contains("b-user"), "{shown}");
        assert!(!shown.contains("b-token") && !shown.contains("from-b"), "{shown}");
    }

    #[test]
    fn current_context_is_first_non_empty() {
        let (_dir, a, b) = two_files();
        let chain = Chain::load(rules_for(&[&a, &b])).unwrap();
        assert_eq!(chain.current_context(), Some("b-ctx"));
        let chain = Chain::load(rules_for(&[&a])).unwrap();
        assert_eq!(chain.current_context(), None);
    }

    #[test]
    fn missing_files_are_skipped_but_kept() {
        let (dir, a, _b) = two_files();
        let missing = dir.path().join("missing");
        let chain = Chain::load(rules_for(&[&missing, &a])).unwrap();
        assert_eq!(chain.files.len(), 2);
        assert!(!chain.files[0].exists && chain.files[0].doc.is_empty());
        assert!(chain.files[1].exists);
        assert_eq!(chain.entry(Section::Users, "shared").unwrap().file, a);
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("nope");
        let rules = LoadingRules::new(Some(f.clone()), None, None);
        let err = Chain::load(rules.clone()).unwrap_err();
        assert!(matches!(err, KubeconfigError::ExplicitMissing { .. }), "{err}");
        assert!(err.to_string().contains(&*f.to_string_lossy()));
        let chain = Chain::load_allow_missing(rules).unwrap();
        assert!(!chain.files[0].exists);
    }

    #[test]
    fn directory_and_bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Chain::load(rules_for(&[dir.path()])).unwrap_err();
        assert!(matches!(err, KubeconfigError::IsDirectory { .. }), "{err}");
        assert!(err.to_string().contains(&*dir.path().to_string_lossy()));

        let bad = dir.path().join("bad");
        fs::write(&bad, "clusters: [\n").unwrap();
        let err = Chain::load(rules_for(&[&bad])).unwrap_err();
        assert!(err.to_string().contains(&*bad.to_string_lossy()), "{err}");

        fs::write(&bad, "clusters: {a: 1}\n").unwrap();
        let err = Chain::load(rules_for(&[&bad])).unwrap_err();
        assert!(matches!(err, KubeconfigError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("clusters is not a list"), "{err}");

        fs::write(&bad, "users: [token-in-a-list]\n").unwrap();
        let err = Chain::load(rules_for(&[&bad])).unwrap_err();
        assert!(err.to_string().contains("users[0] is not a mapping"), "{err}");
        assert!(!err.to_string().contains("token-in-a-list"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_file_is_an_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "kind: Config\n").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o000)).unwrap();
        // root reads anything; the check only means something for other users.
        if fs::read(&f).is_err() {
            let err = Chain::load(rules_for(&[&f])).unwrap_err();
            assert!(matches!(err, KubeconfigError::Read { .. }), "{err}");
        }
    }

    #[test]
    fn another_kind_or_version_is_not_a_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        for (text, ok) in [
            ("kind: Config\napiVersion: v1\n", true),
            ("kind: ''\napiVersion: null\n", true),
            ("clusters: []\n", true),
            ("kind: Pod\napiVersion: v1\n", false),
            ("kind: Config\napiVersion: v2\n", false),
            ("kind: config\n", false),
            ("kind: [Config]\n", false),
        ] {
            fs::write(&f, text).unwrap();
            match Chain::load(rules_for(&[&f])) {
                Ok(_) => assert!(ok, "{text:?} accepted"),
                Err(err) => {
                    assert!(!ok, "{text:?}: {err}");
                    assert!(matches!(err, KubeconfigError::Invalid { .. }), "{err}");
                    assert!(err.to_string().contains("not a kubeconfig"), "{err}");
                }
            }
        }
    }

    #[test]
    fn empty_file_is_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "").unwrap();
        let chain = Chain::load(rules_for(&[&f])).unwrap();
        assert!(chain.files[0].exists && chain.files[0].doc.is_empty());
        let kc = chain.to_kube().unwrap();
        assert!(kc.clusters.is_empty() && kc.current_context.is_none());
    }

    #[test]
    fn to_kube_merges_first_wins_and_resolves_relative_paths() {
        let (_dir, a, b) = two_files();
        let chain = Chain::load(rules_for(&[&a, &b])).unwrap();
        let kc = chain.to_kube().unwrap();
        let adir = a.parent().unwrap();
        let bdir = b.parent().unwrap();

        let names: Vec<&str> = kc.clusters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["shared", "only-a", "only-b"]);
        let shared = kc.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(shared.server.as_deref(), Some("https://a"));
        let ca = adir.join("ca.crt");
        assert_eq!(shared.certificate_authority.as_deref(), ca.to_str());
        let only_b = kc.clusters[2].cluster.as_ref().unwrap();
        let ca = bdir.join("../ca/b.crt");
        assert_eq!(only_b.certificate_authority.as_deref(), ca.to_str());

        let user = kc.auth_infos[0].auth_info.as_ref().unwrap();
        assert!(user.token.is_none(), "user fields must not mix across files");
        let cert = adir.join("certs/client.crt");
        assert_eq!(user.client_certificate.as_deref(), cert.to_str());
        assert_eq!(user.client_key.as_deref(), Some("/abs/client.key"));
        assert_eq!(user.token_file.as_deref(), Some(""));
        let cmd = adir.join("./bin/plugin");
        assert_eq!(user.exec.as_ref().unwrap().command.as_deref(), cmd.to_str());

        let b_user = kc.auth_infos[1].auth_info.as_ref().unwrap();
        assert_eq!(b_user.token.as_ref().unwrap().expose_secret(), "b-token");
        let tok = bdir.join("tok");
        assert_eq!(b_user.token_file.as_deref(), tok.to_str());
        // A bare command is a PATH lookup and stays as it is.
        assert_eq!(b_user.exec.as_ref().unwrap().command.as_deref(), Some("aws"));

        let ctxs: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(ctxs, ["shared", "b-ctx", "no-cluster"]);
        assert_eq!(kc.contexts[2].context.as_ref().unwrap().cluster, "");
        assert_eq!(kc.current_context.as_deref(), Some("b-ctx"));
        assert_eq!(kc.other.get("a-only-top"), Some(&json!(1)));
        assert_eq!(kc.preferences.as_ref().unwrap().colors, Some(true));
        assert_eq!(kc.kind.as_deref(), Some("Config"));
    }

    #[test]
    fn relative_kubeconfig_path_resolves_against_the_cwd() {
        let base = base_dir(Path::new("config"));
        assert!(base.is_absolute());
        assert_eq!(base_dir(Path::new("/x/y/config")), PathBuf::from("/x/y"));
    }

    #[test]
    fn invalid_entry_names_file_and_entry_without_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(
            &f,
            "users:\n- name: u\n  user: {token: [SECRET-IN-LIST]}\n- name: v\n  user: {token: 1234567}\n",
        )
        .unwrap();
        let chain = Chain::load(rules_for(&[&f])).unwrap();
        let err = chain.to_kube().unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                KubeconfigError::InvalidEntry {
                    section: Section::Users,
                    ..
                }
            ),
            "{msg}"
        );
        assert!(
            msg.contains("user \"u\"") && msg.contains(&*f.to_string_lossy()),
            "{msg}"
        );
        assert!(!msg.contains("SECRET"), "{msg}");

        fs::write(&f, "users:\n- name: v\n  user: {token: 1234567}\n").unwrap();
        let chain = Chain::load(rules_for(&[&f])).unwrap();
        let msg = chain.to_kube().unwrap_err().to_string();
        assert!(!msg.contains("1234567"), "{msg}");
    }

    /// The same chain loaded lean and whole answers every question the same way.
    fn same_lean_and_whole(paths: &[&Path]) {
        let lean = Chain::load_lean_from(rules_for(paths), 0).unwrap();
        let whole = Chain::load_lean_from(rules_for(paths), usize::MAX).unwrap();
        assert!(whole.files.iter().all(|f| f.lean.is_none()));
        assert_eq!(lean.current_context(), whole.current_context());
        let shown = |e: Option<Entry>| e.map(|e| (e.file.to_path_buf(), e.name.to_owned(), e.body.clone()));
        for section in Section::ALL {
            for name in [
                "shared",
                "only-a",
                "only-b",
                "b-user",
                "b-ctx",
                "no-cluster",
                "nope",
                "a",
                "x",
            ] {
                assert_eq!(
                    shown(lean.entry(section, name)),
                    shown(whole.entry(section, name)),
                    "{name}"
                );
            }
        }
        for (f, w) in lean.files.iter().zip(&whole.files) {
            let mut rest = w.doc.clone();
            for section in Section::ALL {
                if f.lean.is_some() && rest.contains_key(section.list_key()) {
                    rest.insert(section.list_key().to_owned(), Value::Null);
                }
            }
            assert_eq!(
                serde_json::to_string(&f.doc).unwrap(),
                serde_json::to_string(&rest).unwrap()
            );
        }
        for context in ["shared", "b-ctx", "no-cluster", "nope"] {
            let l = serde_json::to_value(lean.to_kube_for_context(context).unwrap()).unwrap();
            let w = serde_json::to_value(whole.to_kube_for_context(context).unwrap()).unwrap();
            assert_eq!(l, w, "{context}");
        }
        // Everything at once: the lean files are then parsed whole.
        for section in Section::ALL {
            assert_eq!(
                lean.names(section)
                    .into_iter()
                    .map(|e| shown(Some(e)))
                    .collect::<Vec<_>>(),
                whole
                    .names(section)
                    .into_iter()
                    .map(|e| shown(Some(e)))
                    .collect::<Vec<_>>()
            );
        }
        let l = serde_json::to_value(lean.to_kube().unwrap()).unwrap();
        let w = serde_json::to_value(whole.to_kube().unwrap()).unwrap();
        assert_eq!(l, w);
    }

    #[test]
    fn large_files_are_loaded_lean_with_the_same_answers() {
        let (_dir, a, b) = two_files();
        let lean = Chain::load_lean_from(rules_for(&[&a, &b]), 0).unwrap();
        assert!(
            lean.files.iter().all(|f| f.lean.is_some()),
            "both files are plain enough"
        );
        assert!(lean.files[0].doc["clusters"].is_null());
        same_lean_and_whole(&[&a, &b]);
        same_lean_and_whole(&[&b, &a]);

        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("odd");
        fs::write(
            &odd,
            "# top\nkind: Config\nclusters:\n  - name: \"shared\"  # c\n    cluster: {server: 'https://q'}\n\n  \
             -   name: a\n      cluster:\n        server: https://f\n        note: |\n          x\n\n          y\n\
             users:\n- {name: shared, user: {token: t}}\n- name: x\n  user: {}\n  name: b-user\n\
             contexts:\n- context: {cluster: shared, user: shared, namespace: \"0123\"}\n  name: shared\n\
             current-context: shared\nx-top: [1]",
        )
        .unwrap();
        let lean = Chain::load_lean_from(rules_for(&[&odd]), 0).unwrap();
        assert!(lean.files[0].lean.is_some());
        same_lean_and_whole(&[&odd]);
        same_lean_and_whole(&[&odd, &a]);
        // Not plain enough to be lean: loaded whole, same answers.
        for text in [
            "clusters: []\ncontexts:\n- name: shared\n  context: {cluster: c}\n",
            "{\"clusters\": [{\"name\": \"shared\", \"cluster\": {\"server\": \"s\"}}]}",
            "base: &b {server: s}\nclusters:\n- name: shared\n  cluster: *b\n",
            "clusters:\n-\n  name: shared\n  cluster: {server: s}\n",
        ] {
            fs::write(&odd, text).unwrap();
            let chain = Chain::load_lean_from(rules_for(&[&odd]), 0).unwrap();
            assert!(chain.files[0].lean.is_none(), "{text}");
            same_lean_and_whole(&[&odd, &b]);
        }
    }

    #[test]
    fn load_lean_takes_only_large_files_lean_and_wants_an_explicit_file() {
        let (dir, a, _b) = two_files();
        let chain = Chain::load_lean(rules_for(&[&a])).unwrap();
        assert!(chain.files[0].lean.is_none(), "a small file is parsed whole");
        let mut big = A.to_owned();
        big.push_str(&format!("x-padding: {}\n", "p".repeat(LEAN_MIN_BYTES)));
        fs::write(&a, big).unwrap();
        let chain = Chain::load_lean(rules_for(&[&a])).unwrap();
        assert!(chain.files[0].lean.is_some());
        assert_eq!(
            chain.entry(Section::Clusters, "only-a").unwrap().body["server"],
            json!("https://only-a")
        );
        let missing = dir.path().join("missing");
        let err = Chain::load_lean(LoadingRules::new(Some(missing), None, None)).unwrap_err();
        assert!(matches!(err, KubeconfigError::ExplicitMissing { .. }), "{err}");
    }

    #[test]
    fn what_does_not_parse_inside_an_entry_fails_the_lean_load_too() {
        // Parts a lean file defers must not hide an error the whole file has (fuzzing found
        // a null key): such files are parsed whole, and fail the same way.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        for inner in [
            "null: oops",
            "~: oops",
            "? [complex]\n    : key",
            "!!int 1: tagged",
            "server: .inf",
            "server: -.NaN",
            "port: 1e400",
            "port: !!int abc",
        ] {
            let text = format!(
                "clusters:\n- name: c\n  cluster:\n    {inner}\ncontexts:\n- name: x\n  context: {{cluster: c}}\n"
            );
            fs::write(&f, &text).unwrap();
            let whole = Chain::load_lean_from(rules_for(&[&f]), usize::MAX)
                .map(|_| ())
                .map_err(|e| e.to_string());
            let lean = Chain::load_lean_from(rules_for(&[&f]), 0)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert!(whole.is_err(), "{inner}: {whole:?}");
            assert_eq!(lean, whole, "{inner}");
        }
        // What parses stays lean.
        fs::write(
            &f,
            "clusters:\n- name: c\n  cluster: {server: '.inf', port: 6443, v: 1.5, '': e}\n",
        )
        .unwrap();
        assert!(
            Chain::load_lean_from(rules_for(&[&f]), 0).unwrap().files[0]
                .lean
                .is_some()
        );
    }

    #[test]
    fn a_lean_file_is_still_checked_like_a_whole_one() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        for (text, expected) in [
            (
                "clusters:\n- name: a\ncurrent-context: [x]\n",
                "current-context is not a string",
            ),
            (
                "clusters:\n- name: a\n  cluster: {}\nusers: {a: 1}\n",
                "users is not a list",
            ),
            ("clusters:\n- name: a\n- just-text\n", "clusters[1] is not a mapping"),
            ("clusters:\n- name: [a]\n", "clusters[0].name is not a string"),
        ] {
            fs::write(&f, text).unwrap();
            let err = Chain::load_lean_from(rules_for(&[&f]), 0).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
