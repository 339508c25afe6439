//! The merge decided once: which entries go where, which replace which, what is refused
//! and what `current-context` becomes, from the names each file holds. The plan is then
//! rendered onto the parsed documents or as text edits (`splice.rs`); both renderers only
//! carry it out.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::KubeconfigError;
use super::section::{Section, items};

/// What to change in the chain.
#[derive(Clone)]
pub struct MergeRequest {
    /// (section, name, body): the body is the inner `cluster`/`user`/`context` value.
    pub entries: Vec<(Section, String, Value)>,
    /// Context to make current; `None` leaves `current-context` alone everywhere.
    pub set_current: Option<String>,
    /// Entries to remove: (section, name). Only entries this tool created, unless
    /// `overwrite`; a name that is not there is not an error. A removed context that is
    /// some file's `current-context` is unset there, so kubectl is not left pointing at it.
    pub remove: Vec<(Section, String)>,
    /// Replace (or remove) entries of the same name even when `ours` says they are not.
    pub overwrite: bool,
    /// The ownership rule: whether an existing entry's body belongs to the caller, so that
    /// it may be replaced or removed without `overwrite`. This layer knows no owner.
    pub ours: fn(&Value) -> bool,
    /// How long to wait for a `.lock` file held by someone else.
    pub lock_timeout: Duration,
}

/// Bodies may hold tokens: Debug shows only sections and names.
impl fmt::Debug for MergeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<(Section, &str)> = self
            .entries
            .iter()
            .map(|(section, name, _)| (*section, name.as_str()))
            .collect();
        f.debug_struct("MergeRequest")
            .field("entries", &entries)
            .field("remove", &self.remove)
            .field("set_current", &self.set_current)
            .field("overwrite", &self.overwrite)
            .field("ours", &self.ours)
            .field("lock_timeout", &self.lock_timeout)
            .finish()
    }
}

/// Where each change went: files are named as the loading rules list them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergeReport {
    pub written: Vec<(Section, String, PathBuf)>,
    pub removed: Vec<(Section, String, PathBuf)>,
    /// The file that received `current-context`; `None` when it was not asked for or was
    /// already the context in force (kubectl does not write it then either).
    pub current_context_file: Option<PathBuf>,
}

pub(super) fn validate(req: &MergeRequest) -> Result<(), KubeconfigError> {
    let invalid = |message: String| Err(KubeconfigError::InvalidRequest { message });
    for (section, name, body) in &req.entries {
        if name.is_empty() {
            return invalid(format!("a {section} name must not be empty"));
        }
        if !body.is_object() {
            return invalid(format!("{section} \"{name}\" must be a mapping"));
        }
    }
    if req.set_current.as_deref() == Some("") {
        return invalid("the current context name must not be empty".to_owned());
    }
    Ok(())
}

/// What the plan needs to know of one file of the chain.
pub(super) struct FileNames<'a> {
    pub path: &'a Path,
    /// The item names of each list (by [`Section::index`]); `None` for an item without a
    /// string name.
    pub names: [Vec<Option<&'a str>>; 3],
    /// `current-context`, when the file sets it.
    pub current: Option<&'a str>,
}

/// An item of a list as the plan leaves it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Placed<'r> {
    /// The file's item at this index, with a new body when `Some`.
    Kept(usize, Option<&'r Value>),
    /// A new item appended to the list.
    New(&'r str, &'r Value),
}

/// The changes to one file.
#[derive(Debug, Default)]
pub(super) struct FilePlan<'r> {
    /// The changed lists, in the order they were first changed: their items as they end.
    pub lists: Vec<(Section, Vec<Placed<'r>>)>,
    /// The new `current-context` (empty: unset).
    pub current: Option<&'r str>,
}

impl FilePlan<'_> {
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty() && self.current.is_none()
    }
}

pub(super) struct Plan<'r> {
    /// One per file of the chain, in its order.
    pub files: Vec<FilePlan<'r>>,
    pub report: MergeReport,
}

/// Plans `req` over `files`; `dest` is where new entries and `current-context` go.
/// `ours(f, section, i)` tells whether item `i` of `section` in file `f` belongs to the
/// caller (`None`: cannot tell here, and then there is no plan).
pub(super) fn plan<'a, 'r>(
    files: &'a [FileNames<'a>],
    dest: usize,
    req: &'r MergeRequest,
    mut ours: impl FnMut(usize, Section, usize) -> Option<bool>,
) -> Result<Option<Plan<'r>>, KubeconfigError> {
    // The entry in force for a name: the first file that has it, the last item there.
    let locate = |section: Section, name: &str| {
        files.iter().enumerate().find_map(|(f, file)| {
            let i = file.names[section.index()].iter().rposition(|n| *n == Some(name))?;
            Some((f, i))
        })
    };
    // Refuse before changing anything.
    if !req.overwrite {
        let targets = req
            .entries
            .iter()
            .map(|(s, n, _)| (*s, n))
            .chain(req.remove.iter().map(|(s, n)| (*s, n)));
        for (section, name) in targets {
            if let Some((f, i)) = locate(section, name) {
                match ours(f, section, i) {
                    None => return Ok(None),
                    Some(true) => {}
                    Some(false) => {
                        return Err(KubeconfigError::ForeignEntry {
                            section,
                            name: name.clone(),
                            file: files[f].path.to_path_buf(),
                        });
                    }
                }
            }
        }
    }

    let mut lists = Changing {
        files,
        lists: files.iter().map(|_| [None, None, None]).collect(),
        order: vec![Vec::new(); files.len()],
    };
    let mut report = MergeReport::default();
    for (section, name, body) in &req.entries {
        let f = lists.holder(*section, name).unwrap_or(dest);
        let list = lists.list(f, *section);
        match find(list, name) {
            Some(i) => {
                list[i].1 = match list[i].1 {
                    Placed::Kept(at, _) => Placed::Kept(at, Some(body)),
                    Placed::New(n, _) => Placed::New(n, body),
                };
            }
            None => list.push((Some(name), Placed::New(name, body))),
        }
        report
            .written
            .push((*section, name.clone(), files[f].path.to_path_buf()));
    }

    let mut current: Vec<Option<&'r str>> = vec![None; files.len()];
    for (section, name) in &req.remove {
        if let Some(f) = lists.holder(*section, name) {
            let list = lists.list(f, *section);
            if let Some(i) = find(list, name) {
                list.remove(i);
            }
            report
                .removed
                .push((*section, name.clone(), files[f].path.to_path_buf()));
        }
        // kubectl must not be left pointing at a context that is gone.
        if *section == Section::Contexts {
            for (f, file) in files.iter().enumerate() {
                if file.current == Some(name.as_str()) {
                    current[f] = Some("");
                }
            }
        }
    }

    let in_force = files.iter().find_map(|f| f.current.filter(|c| !c.is_empty()));
    if let Some(name) = &req.set_current
        && in_force != Some(name.as_str())
    {
        current[dest] = Some(name);
        report.current_context_file = Some(files[dest].path.to_path_buf());
    }

    let files = lists
        .lists
        .into_iter()
        .zip(lists.order)
        .zip(current)
        .map(|((mut lists, order), current)| FilePlan {
            lists: order
                .into_iter()
                .filter_map(|s| {
                    let list = lists[s.index()].take()?;
                    Some((s, list.into_iter().map(|(_, p)| p).collect()))
                })
                .collect(),
            current,
        })
        .collect();
    Ok(Some(Plan { files, report }))
}

/// A list as it is being changed: (name, item) in order.
type Working<'a, 'r> = Vec<(Option<&'a str>, Placed<'r>)>;

fn find(list: &Working, name: &str) -> Option<usize> {
    list.iter().rposition(|(n, _)| *n == Some(name))
}

/// The lists of every file as the request changes them, one after the other: a name
/// repeated in the request finds what the earlier one wrote.
struct Changing<'a, 'r> {
    files: &'a [FileNames<'a>],
    lists: Vec<[Option<Working<'a, 'r>>; 3]>,
    /// The sections of each file in the order they were first changed.
    order: Vec<Vec<Section>>,
}

impl<'a, 'r> Changing<'a, 'r> {
    fn list(&mut self, f: usize, section: Section) -> &mut Working<'a, 'r> {
        let files = self.files;
        let slot = &mut self.lists[f][section.index()];
        if slot.is_none() {
            self.order[f].push(section);
        }
        slot.get_or_insert_with(|| {
            files[f].names[section.index()]
                .iter()
                .enumerate()
                .map(|(i, n)| (*n, Placed::Kept(i, None)))
                .collect()
        })
    }

    /// The first file whose list holds `name` now.
    fn holder(&self, section: Section, name: &str) -> Option<usize> {
        (0..self.files.len()).find(|&f| match &self.lists[f][section.index()] {
            Some(list) => find(list, name).is_some(),
            None => self.files[f].names[section.index()].contains(&Some(name)),
        })
    }
}

/// The names of a parsed document, for [`plan`].
pub(super) fn names_of<'a>(path: &'a Path, doc: &'a Map<String, Value>) -> FileNames<'a> {
    FileNames {
        path,
        names: Section::ALL.map(|s| {
            items(doc, s)
                .iter()
                .map(|it| it.get("name").and_then(Value::as_str))
                .collect()
        }),
        current: doc.get("current-context").and_then(Value::as_str),
    }
}

/// Carries out one file's plan on its parsed document.
pub(super) fn apply_to_doc(doc: &mut Map<String, Value>, plan: &FilePlan) {
    for (section, placed) in &plan.lists {
        let old = items(doc, *section);
        let list: Vec<Value> = placed
            .iter()
            .filter_map(|p| match *p {
                Placed::Kept(i, body) => {
                    let mut item = old.get(i)?.clone();
                    if let (Some(body), Some(item)) = (body, item.as_object_mut()) {
                        item.insert(section.inner_key().to_owned(), body.clone());
                    }
                    Some(item)
                }
                Placed::New(name, body) => Some(new_item(*section, name, body)),
            })
            .collect();
        // Absent or null (shapes are checked at load): the list is created.
        if !doc.contains_key(section.list_key()) || doc[section.list_key()].is_null() {
            start_if_empty(doc);
        }
        doc.insert(section.list_key().to_owned(), Value::Array(list));
    }
    if let Some(current) = plan.current {
        if !current.is_empty() {
            start_if_empty(doc);
        }
        // Replacing an existing key keeps its position.
        doc.insert("current-context".to_owned(), Value::String(current.to_owned()));
    }
}

/// `{name, <inner>: body}`.
pub(super) fn new_item(section: Section, name: &str, body: &Value) -> Value {
    let mut item = Map::new();
    item.insert("name".to_owned(), Value::String(name.to_owned()));
    item.insert(section.inner_key().to_owned(), body.clone());
    Value::Object(item)
}

/// A file that had nothing gets the header kubectl writes.
fn start_if_empty(doc: &mut Map<String, Value>) {
    if doc.is_empty() {
        doc.insert("apiVersion".to_owned(), Value::String("v1".to_owned()));
        doc.insert("kind".to_owned(), Value::String("Config".to_owned()));
    }
}

/// Whether the item that defines `name` in `doc` belongs to the caller, for [`plan`].
pub(super) fn doc_item_is_ours(doc: &Map<String, Value>, section: Section, i: usize, req: &MergeRequest) -> bool {
    let body = items(doc, section)
        .get(i)
        .and_then(|it| it.get(section.inner_key()))
        .unwrap_or(&Value::Null);
    (req.ours)(body)
}
