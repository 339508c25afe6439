//! The three named lists of a kubeconfig and the helpers that read their items.

use std::fmt;

use serde_json::{Map, Value};

/// One of the named lists of a kubeconfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Clusters,
    Users,
    Contexts,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Clusters, Section::Users, Section::Contexts];

    /// Top-level key of the list: `clusters`, `users`, `contexts`.
    pub fn list_key(self) -> &'static str {
        match self {
            Section::Clusters => "clusters",
            Section::Users => "users",
            Section::Contexts => "contexts",
        }
    }

    /// Position in [`Section::ALL`], for tables indexed by section.
    pub(crate) fn index(self) -> usize {
        match self {
            Section::Clusters => 0,
            Section::Users => 1,
            Section::Contexts => 2,
        }
    }

    /// The section whose list is under top-level `key`.
    pub(crate) fn from_list_key(key: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.list_key() == key)
    }

    /// Key of the body inside a list item: `cluster`, `user`, `context`.
    pub fn inner_key(self) -> &'static str {
        match self {
            Section::Clusters => "cluster",
            Section::Users => "user",
            Section::Contexts => "context",
        }
    }
}

impl fmt::Display for Section {
    /// The singular word, as kubectl uses it in messages ("context \"x\" ...").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.inner_key())
    }
}

/// The items of a section's list in a document; absent or `null` lists are empty.
/// Shape errors are caught when a file is loaded (`check_shape`), so anything else
/// here is treated as empty too.
pub(crate) fn items(doc: &Map<String, Value>, section: Section) -> &[Value] {
    match doc.get(section.list_key()) {
        Some(Value::Array(list)) => list,
        _ => &[],
    }
}

/// Name of a list item, if it has a string one.
pub(crate) fn item_name(item: &Value) -> Option<&str> {
    item.get("name").and_then(Value::as_str)
}

/// Index of the item that defines `name` in one file (the last of that name; a file that
/// holds a name twice is refused on load, as client-go refuses it: `chain::first_duplicate`).
pub(crate) fn find_in_doc(doc: &Map<String, Value>, section: Section, name: &str) -> Option<usize> {
    items(doc, section)
        .iter()
        .rposition(|item| item_name(item) == Some(name))
}

/// The body of a list item (`cluster`/`user`/`context`), `null` when absent.
pub(crate) fn item_body(item: &Value, section: Section) -> &Value {
    static NULL: Value = Value::Null;
    item.get(section.inner_key()).unwrap_or(&NULL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys() {
        assert_eq!(Section::Users.list_key(), "users");
        assert_eq!(Section::Users.inner_key(), "user");
        assert_eq!(Section::Contexts.to_string(), "context");
    }

    #[test]
    fn last_item_of_a_name_wins_within_a_file() {
        let doc = json!({"clusters": [
            {"name": "a", "cluster": {"server": "1"}},
            {"name": "b"},
            {"name": "a", "cluster": {"server": "2"}},
            {"nameless": true}
        ]});
        let doc = doc.as_object().cloned().unwrap_or_default();
        assert_eq!(find_in_doc(&doc, Section::Clusters, "a"), Some(2));
        assert_eq!(find_in_doc(&doc, Section::Clusters, "b"), Some(1));
        assert_eq!(find_in_doc(&doc, Section::Clusters, "c"), None);
        assert_eq!(find_in_doc(&doc, Section::Users, "a"), None);
        let b = &items(&doc, Section::Clusters)[1];
        assert!(item_body(b, Section::Clusters).is_null());
    }
}
