//! The layers of `lib.rs`, checked on the sources: no module uses a layer above its own, and
//! no two files depend on each other, directly or round about (a `mod.rs` re-exporting its
//! own children does not count as depending on them). Only `crate::` and `super::` paths
//! outside `#[cfg(test)]` code are read; that is how this crate refers to its modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's layer: a module may use its own layer and those below it.
const LAYERS: &[(&str, u8)] = &[
    ("cli", 4),
    ("commands", 4),
    ("services", 3),
    ("token", 2),
    ("kubeconfig", 2),
    ("credentials", 2),
    ("record", 2),
    ("duration", 1),
    ("escape", 1),
    ("jwt", 1),
    ("names", 1),
    ("progress", 1),
    ("read_limit", 1),
    ("redact", 1),
    ("response_limits", 1),
    ("verbose", 1),
];

fn layer(top: &str) -> Option<u8> {
    LAYERS.iter().find(|(name, _)| *name == top).map(|(_, l)| *l)
}

/// The module path of a file under `src/`: `commands/create.rs` -> `commands::create`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_string());
        }
    }
    parts
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The non-test code of a file.
fn code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or_default()
}

/// Paths named after `crate::` or `super::` (one or more) in `text`, made absolute.
fn references(text: &str, me: &[String], is_mod_rs: bool) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let starts_word =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
        let (base, skip): (Vec<String>, usize) = if starts_word && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if starts_word && rest.starts_with("super::") {
            // `super` of a mod.rs is its parent's parent module.
            let mut base = me.to_vec();
            let mut skip = 0;
            if !is_mod_rs {
                base.pop();
            }
            while text[i + skip..].starts_with("super::") {
                if skip > 0 || is_mod_rs {
                    base.pop();
                }
                skip += "super::".len();
            }
            (base, skip)
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let tail: String = text[i + skip..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut path = base;
        path.extend(tail.split("::").filter(|s| !s.is_empty()).map(str::to_string));
        found.push(path);
        i += skip + tail.len().max(1);
    }
    found
}

#[test]
fn no_module_uses_a_layer_above_it_and_no_files_depend_on_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(f.strip_prefix(&src).unwrap()), f.clone()))
        .filter(|(m, _)| !m.is_empty() && m != &["main".to_string()] && m != &["lib".to_string()])
        .collect();
    let mut upward = Vec::new();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (me, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        let is_mod_rs = file.ends_with("mod.rs");
        for path in references(code(&text), me, is_mod_rs) {
            // The longest module that the path names.
            let Some(target) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|m| modules.contains_key(m))
            else {
                continue;
            };
            if &target == me || (is_mod_rs && target.starts_with(me)) {
                continue;
            }
            if let (Some(mine), Some(theirs)) = (layer(&me[0]), layer(&target[0]))
                && theirs > mine
            {
                upward.push(format!("{} uses {}", me.join("::"), target.join("::")));
            }
            edges.entry(me.clone()).or_default().insert(target);
        }
    }
    assert!(
        upward.is_empty(),
        "modules that use a layer above their own: {upward:#?}"
    );

    // A cycle: a path from a module back to itself.
    let mut cycles = Vec::new();
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.join("::")])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} -> {}", trail.join(" -> "), start.join("::")));
                } else if seen.insert(next.clone()) {
                    let mut trail = trail.clone();
                    trail.push(next.join("::"));
                    stack.push((next.clone(), trail));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "files that depend on each other: {cycles:#?}");
}
