//! The merge plan carried out as text edits: each changed item is emitted alone and put in
//! place of the old one, new items go after the last item of their list (or in place of a
//! `null` / `[]` list, or in a new list at the end), and the rest of every file is copied as
//! it is, comments, layout and line endings included. It works from an [`Outline`] of each
//! file instead of a parsed document; `Ok(None)` when a file is not plain enough for that
//! (then the plan is carried out on the parsed documents).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::chain::outline_duplicate;
use super::error::KubeconfigError;
use super::paths::resolve_target;
use super::plan::{FileNames, FilePlan, MergeReport, MergeRequest, Placed, new_item, plan};
use super::raw_file::RawFile;
use super::section::Section;
use super::write::{ModePolicy, Staged, stage_parts};
use super::yaml::{List, Outline, indent, item_text, outline, parse_doc, to_yaml, uses_crlf};

struct File<'a> {
    path: &'a Path,
    text: &'a str,
    /// `None` for a file that is not there.
    outline: Option<Outline>,
}

impl File<'_> {
    fn list(&self, section: Section) -> Option<&List> {
        self.outline.as_ref()?.lists[section.index()].as_ref()
    }
}

/// Replace `text[start..end]` with `with` (an insertion when `start == end`). Insertions at
/// one place go in `rank` order: items of an existing list, the header of an empty file,
/// new lists, then a new `current-context`.
struct Edit {
    start: usize,
    end: usize,
    rank: u8,
    with: String,
}

/// Items parsed on their own, only those the plan needs: (file, section, item).
type Parsed = HashMap<(usize, usize, usize), Map<String, Value>>;

fn parse_item(files: &[File], parsed: &mut Parsed, section: Section, f: usize, i: usize) -> Option<Map<String, Value>> {
    let key = (f, section.index(), i);
    if let Some(m) = parsed.get(&key) {
        return Some(m.clone());
    }
    let it = files[f].list(section)?.items.get(i)?;
    let m = parse_doc(item_text(files[f].text, it).as_bytes(), files[f].path).ok()?;
    // The outline and the parser must agree on the name.
    if m.get("name").and_then(Value::as_str) != it.name.as_deref() {
        return None;
    }
    parsed.insert(key, m.clone());
    Some(m)
}

/// A scalar's text as the emitter writes it, when it fits on the key's line.
fn scalar_text(value: &str) -> Result<Option<String>, KubeconfigError> {
    let mut m = Map::new();
    m.insert("k".to_owned(), Value::String(value.to_owned()));
    let text = to_yaml(&m)?;
    Ok(text
        .strip_prefix("k: ")
        .and_then(|t| t.strip_suffix('\n'))
        .filter(|t| !t.contains('\n'))
        .map(str::to_owned))
}

pub(super) fn merge(
    raw: &[RawFile],
    destination: &Path,
    req: &MergeRequest,
) -> Result<Option<MergeReport>, KubeconfigError> {
    let mut files = Vec::with_capacity(raw.len());
    for r in raw {
        let (text, outline) = match &r.bytes {
            None => ("", None),
            Some(bytes) => {
                // Plain UTF-8 only: a BOM or UTF-16 goes the whole-document way.
                let Ok(text) = std::str::from_utf8(bytes) else {
                    return Ok(None);
                };
                if text.starts_with('\u{feff}') {
                    return Ok(None);
                }
                match outline(text) {
                    Some(o) => (text, Some(o)),
                    None => return Ok(None),
                }
            }
        };
        files.push(File {
            path: &r.path,
            text,
            outline,
        });
    }
    // A file kubectl refuses: the whole-document path reports it.
    if files
        .iter()
        .any(|f| f.outline.as_ref().is_some_and(|o| outline_duplicate(o).is_some()))
    {
        return Ok(None);
    }
    let Some(dest) = files.iter().position(|f| f.path == destination) else {
        return Ok(None);
    };
    if files[dest].outline.is_none() {
        return Ok(None); // a new file: the whole-document path creates it
    }

    let names: Vec<FileNames> = files
        .iter()
        .map(|f| FileNames {
            path: f.path,
            names: Section::ALL.map(|s| {
                f.list(s)
                    .map(|l| l.items.iter().map(|it| it.name.as_deref()).collect())
                    .unwrap_or_default()
            }),
            current: f
                .outline
                .as_ref()
                .and_then(|o| o.current.as_ref())
                .and_then(|c| c.value.as_deref()),
        })
        .collect();
    let mut parsed = Parsed::new();
    let ours = |f: usize, section: Section, i: usize| {
        let m = parse_item(&files, &mut parsed, section, f, i)?;
        Some((req.ours)(m.get(section.inner_key()).unwrap_or(&Value::Null)))
    };
    let Some(plan) = plan(&names, dest, req, ours)? else {
        return Ok(None);
    };

    // Stage every changed file, then rename them all in.
    let mut staged: Vec<Staged> = Vec::new();
    for (f, (file, fp)) in files.iter().zip(&plan.files).enumerate() {
        if fp.is_empty() {
            continue;
        }
        let Some(edits) = edits(&files, &mut parsed, f, fp)? else {
            return Ok(None);
        };
        if edits.is_empty() {
            continue;
        }
        let Some(parts) = apply_edits(file.text, &edits) else {
            return Ok(None);
        };
        let parts: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
        let target = resolve_target(file.path).map_err(|source| KubeconfigError::Write {
            path: file.path.to_path_buf(),
            error: source,
        })?;
        staged.push(stage_parts(file.path, &target, &parts, ModePolicy::KeepExisting)?);
    }
    for file in staged {
        file.commit()?;
    }
    Ok(Some(plan.report))
}

/// The text edits that carry out `fp` on file `f`; `None` when its text does not allow them.
fn edits(files: &[File], parsed: &mut Parsed, f: usize, fp: &FilePlan) -> Result<Option<Vec<Edit>>, KubeconfigError> {
    let file = &files[f];
    let Some(o) = file.outline.as_ref() else {
        return Ok(None);
    };
    let pad = " ".repeat(o.root_col);
    let mut edits = Vec::new();
    let insert = |at: usize, rank: u8, with: String| Edit {
        start: at,
        end: at,
        rank,
        with,
    };
    if o.empty {
        edits.push(insert(
            o.root_end,
            1,
            format!("{pad}apiVersion: v1\n{pad}kind: Config\n"),
        ));
    }
    for (section, placed) in &fp.lists {
        if placed.is_empty() {
            return Ok(None); // an emptied list: `[]`, written by the other path
        }
        let new: Vec<Value> = placed
            .iter()
            .filter_map(|p| match *p {
                Placed::New(name, body) => Some(new_item(*section, name, body)),
                Placed::Kept(..) => None,
            })
            .collect();
        // A list of new items only, under its key at column 0.
        let new_list = || {
            let mut m = Map::new();
            m.insert(section.list_key().to_owned(), Value::Array(new.clone()));
            to_yaml(&m)
        };
        let Some(list) = file.list(*section) else {
            // No such list: a new one at the end of the document.
            edits.push(insert(o.root_end, 2, pad.clone() + &indent(&new_list()?, o.root_col)));
            continue;
        };
        if let Some(empty) = &list.empty {
            // `null`, nothing or `[]`: the items go on the lines after the key.
            let text = new_list()?;
            let Some((_, items)) = text.split_once('\n') else {
                return Ok(None);
            };
            if empty.start < empty.end {
                // `users: null # c` becomes `users: # c`, `users: []` becomes `users:`.
                let blank = |b: &u8| *b == b' ' || *b == b'\t';
                let bytes = file.text.as_bytes();
                let start = empty.start - bytes[..empty.start].iter().rev().take_while(|b| blank(b)).count();
                let end = empty.end + bytes[empty.end..].iter().take_while(|b| blank(b)).count();
                let comment = bytes.get(end) == Some(&b'#');
                edits.push(Edit {
                    start,
                    end,
                    rank: 0,
                    with: if comment { " ".to_owned() } else { String::new() },
                });
            }
            edits.push(insert(empty.next_line, 0, pad.clone() + &indent(items, o.root_col)));
            continue;
        }
        if !list.block {
            return Ok(None);
        }
        let mut kept = vec![false; list.items.len()];
        for p in placed {
            let Placed::Kept(i, body) = *p else { continue };
            let Some(it) = list.items.get(i) else {
                return Ok(None);
            };
            kept[i] = true;
            let Some(body) = body else { continue };
            let Some(mut m) = parse_item(files, parsed, *section, f, i) else {
                return Ok(None);
            };
            if it.dash_line.is_none() {
                return Ok(None);
            }
            if m.get(section.inner_key()) != Some(body) {
                m.insert(section.inner_key().to_owned(), body.clone());
                edits.push(Edit {
                    start: it.start,
                    end: it.end,
                    rank: 0,
                    with: indent(&to_yaml(&m)?, it.col),
                });
            }
        }
        for (it, _) in list.items.iter().zip(&kept).filter(|(_, k)| !**k) {
            let Some(line) = it.dash_line else {
                return Ok(None);
            };
            edits.push(Edit {
                start: line,
                end: it.end,
                rank: 0,
                with: String::new(),
            });
        }
        if !new.is_empty() {
            let Some(last) = list.items.last() else {
                return Ok(None);
            };
            if last.dash_line.is_none() || last.col <= last.dash_col {
                return Ok(None);
            }
            let lead = format!(
                "{}-{}",
                " ".repeat(last.dash_col),
                " ".repeat(last.col - last.dash_col - 1)
            );
            for item in &new {
                edits.push(insert(list.end, 0, lead.clone() + &indent(&to_yaml(item)?, last.col)));
            }
        }
    }
    if let Some(value) = fp.current {
        let Some(text) = scalar_text(value)? else {
            return Ok(None);
        };
        match &o.current {
            Some(c) if c.value.as_deref() == Some(value) => {}
            Some(c) => edits.push(Edit {
                start: c.start,
                end: c.end,
                rank: 0,
                with: text,
            }),
            None => edits.push(insert(o.root_end, 3, format!("{pad}current-context: {text}\n"))),
        }
    }
    if edits.iter().all(|e| e.rank == 1) {
        edits.clear(); // nothing but the header: nothing changes
    }
    Ok(Some(edits))
}

/// `text` with `edits` made, as the pieces to write; new lines end as the file's lines do.
/// `None` when edits overlap (never expected).
fn apply_edits<'t>(text: &'t str, edits: &'t [Edit]) -> Option<Vec<std::borrow::Cow<'t, str>>> {
    use std::borrow::Cow;
    let crlf = uses_crlf(text.as_bytes());
    let newline = if crlf { "\r\n" } else { "\n" };
    let mut order: Vec<&Edit> = edits.iter().collect();
    order.sort_by_key(|e| (e.start, e.rank)); // stable: items stay in the plan's order
    let mut parts: Vec<Cow<str>> = Vec::with_capacity(order.len() * 3 + 1);
    let mut at = 0;
    let mut ends_with_newline = true;
    for e in order {
        if e.start < at {
            return None;
        }
        if e.start > at {
            parts.push(Cow::Borrowed(&text[at..e.start]));
            ends_with_newline = text.as_bytes()[e.start - 1] == b'\n';
        }
        if e.start == e.end && !e.with.is_empty() && !ends_with_newline {
            parts.push(Cow::Borrowed(newline));
        }
        if !e.with.is_empty() {
            parts.push(if crlf {
                Cow::Owned(e.with.replace('\n', "\r\n"))
            } else {
                Cow::Borrowed(e.with.as_str())
            });
            ends_with_newline = e.with.ends_with('\n');
        }
        at = e.end;
    }
    parts.push(Cow::Borrowed(&text[at..]));
    Some(parts)
}
