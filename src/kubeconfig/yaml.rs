//! Parse and emit kubeconfig documents: YAML text <-> `serde_json::Map`, one YAML stack
//! (serde-saphyr) both ways. `preserve_order` keeps key order; comments are not kept
//! (kubectl drops them too).

use std::borrow::Cow;
use std::path::Path;

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, StrInput, StructureStyle};

use super::error::{KubeconfigError, redact};
use super::section::Section;

/// Reader options chosen to read a file the way kubectl (go-yaml v2, YAML 1.1) does,
/// so that a value we do not touch means the same after we write it back.
fn parse_options(input_len: usize) -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: budget(input_len),
        // go-yaml v2: `0123` is octal 83, not 123 (serde-saphyr's default reads 123.0).
        legacy_octal_numbers: true,
        // go-yaml v2 keeps the last of duplicate keys instead of failing.
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        // A snippet would quote the file's lines, and those may hold a token.
        with_snippet: false,
    }
}

/// The parser's resource limits, scaled to the input. serde-saphyr's defaults (250,000
/// nodes, 1,000,000 events, 64 MiB of scalars) refuse a real kubeconfig of 10,000 contexts
/// (about 26 MB). Every node, event and scalar byte needs at least one byte of input except
/// through aliases, and the alias limits (replays, anchors, alias/anchor ratio) keep their
/// defaults: a file is allowed as many nodes as it has bytes, never fewer than the defaults.
fn budget(input_len: usize) -> Option<serde_saphyr::Budget> {
    let defaults = serde_saphyr::Budget::default();
    serde_saphyr::budget! {
        max_nodes: defaults.max_nodes.max(input_len),
        max_events: defaults.max_events.max(input_len.saturating_mul(2)),
        max_total_scalar_bytes: defaults.max_total_scalar_bytes.max(input_len),
    }
}

/// Writer options: long single-line strings (base64 data) stay plain like kubectl writes
/// them instead of being turned into folded `>-` blocks; multi-line strings still use `|`.
fn emit_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        folded_wrap_chars: usize::MAX,
    }
}

/// Decodes file bytes the way kube and go-yaml accept them: UTF-8 (BOM allowed) or
/// UTF-16 with a BOM.
/// UTF-8 is borrowed, not copied: a kubeconfig may be tens of megabytes.
pub(crate) fn decode<'a>(bytes: &'a [u8], path: &Path) -> Result<Cow<'a, str>, KubeconfigError> {
    let invalid = |what: &str| KubeconfigError::Parse {
        path: path.to_path_buf(),
        message: format!("file is not valid {what}"),
    };
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| -> Result<Cow<'a, str>, KubeconfigError> {
        if !rest.len().is_multiple_of(2) {
            return Err(invalid("UTF-16"));
        }
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units)
            .map(Cow::Owned)
            .map_err(|_| invalid("UTF-16"))
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| invalid("UTF-8")),
        _ => std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|_| invalid("UTF-8")),
    }
}

/// Parses the bytes of a kubeconfig file. Empty (or comments only) is an empty document;
/// anything but one mapping is an error naming `path`.
pub(crate) fn parse_doc(bytes: &[u8], path: &Path) -> Result<Map<String, Value>, KubeconfigError> {
    let text = decode(bytes, path)?;
    let parse_error = |message: String| KubeconfigError::Parse {
        path: path.to_path_buf(),
        message,
    };
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(&text, parse_options(text.len()))
        .map_err(|e| parse_error(redact(&e.to_string())))?;
    // `---` alone or a trailing `---` make null documents: nothing to keep there.
    let mut docs = docs.into_iter().filter(|d| !d.is_null());
    let doc = docs.next();
    if docs.next().is_some() {
        // kubectl reads only the first document; writing back would drop the others.
        return Err(parse_error(
            "more than one YAML document in the file is not supported".to_owned(),
        ));
    }
    match doc {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(parse_error("the top level is not a mapping".to_owned())),
    }
}

/// Emits a document (normally a whole kubeconfig, or one list item) as YAML text, with the
/// writer settings used for merged files.
pub fn to_yaml<T: serde::Serialize>(doc: &T) -> Result<String, KubeconfigError> {
    serde_saphyr::to_string_with_options(doc, emit_options())
        .map_err(|e| KubeconfigError::Emit { message: e.to_string() })
}

/// Whether a text's lines end with CRLF, as its first line does.
pub(crate) fn uses_crlf(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .position(|b| *b == b'\n')
        .is_some_and(|i| i > 0 && bytes[i - 1] == b'\r')
}

/// Where a merge may touch a kubeconfig's text: the top-level keys and, for the three named
/// lists, each item's name and extent. Built from parser events without building values, so a
/// merge into a large file copies the text it does not change instead of parsing and emitting
/// all of it. `None` from [`outline`] means "not this simple": the caller then takes the
/// whole-document path, which also reports any error.
#[derive(Debug, Clone)]
pub(crate) struct Outline {
    /// Column of the top-level block mapping's keys.
    pub root_col: usize,
    /// Where a new top-level key goes: the end of the top-level mapping.
    pub root_end: usize,
    pub lists: [Option<List>; 3],
    /// `current-context` when present; `None` when the key is absent.
    pub current: Option<ScalarAt>,
    /// The file holds no document: it is empty or only comments.
    pub empty: bool,
}

/// A `clusters`/`users`/`contexts` value.
#[derive(Debug, Clone)]
pub(crate) struct List {
    /// A block sequence: items can be replaced, removed and appended as text.
    pub block: bool,
    pub items: Vec<Item>,
    /// Where the text after the list's last item starts (an appended item goes there).
    pub end: usize,
    /// The value is `null`, `~` or left out, not a sequence.
    pub null: bool,
    /// For a list written as `null`, `~`, nothing or `[]`: where that value is, so that
    /// items can be put in its place.
    pub empty: Option<EmptyValue>,
}

/// The text of a list value that holds no item.
#[derive(Debug, Clone)]
pub(crate) struct EmptyValue {
    /// The value's text (`null`, `[]`; empty when the value is left out).
    pub start: usize,
    pub end: usize,
    /// The start of the line after the key's line: where the items go.
    pub next_line: usize,
}

/// One item of a named list.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The item's name; `None` when it has no string name (client-go skips it too).
    pub name: Option<String>,
    /// Where the item's mapping starts (after `- `).
    pub start: usize,
    /// Where the text after the item starts.
    pub end: usize,
    /// Start of the line of the item's `- ` indicator, when the item starts on that line.
    pub dash_line: Option<usize>,
    /// Columns of the `-` and of the item's mapping.
    pub dash_col: usize,
    pub col: usize,
}

/// A plain or quoted scalar value and its text.
#[derive(Debug, Clone)]
pub(crate) struct ScalarAt {
    /// The value when it is a string; `None` for null.
    pub value: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// A string scalar's value as serde-saphyr reads it, `Ok(None)` for null, `Err` when the
/// plain scalar may resolve to another type (then the caller does not guess).
fn string_scalar(value: &str, style: ScalarStyle, tagged: bool) -> Result<Option<String>, ()> {
    if tagged {
        return Err(());
    }
    match style {
        ScalarStyle::Plain => {
            if matches!(value, "" | "~" | "null" | "Null" | "NULL") {
                return Ok(None);
            }
            // A plain scalar that starts with a letter is a string unless it is one of
            // YAML 1.1's booleans or a float spelling; everything else is left to the parser.
            let lower = value.to_ascii_lowercase();
            let word = matches!(
                lower.as_str(),
                "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "nan" | "inf" | "infinity"
            );
            if value.starts_with(|c: char| c.is_ascii_alphabetic()) && !word {
                Ok(Some(value.to_owned()))
            } else {
                Err(())
            }
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Ok(Some(value.to_owned())),
        _ => Err(()),
    }
}

/// Start of the line that holds byte `pos`.
pub(crate) fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Where the text that precedes the token at `pos` ends, as an insertion point: the start
/// of the token's line when only indentation and `- ` indicators precede it there, else
/// `pos` itself (a token on the same line, or the end of a file without a final newline).
fn insertion_point(text: &str, pos: usize) -> usize {
    let start = line_start(text, pos);
    if text[start..pos].bytes().all(|b| b == b' ' || b == b'-') {
        start
    } else {
        pos
    }
}

/// Builds the [`Outline`] of `text`, or `None` when the file is not a single block mapping
/// whose named lists hold mappings with string names, or when it uses aliases (text that
/// refers to other text cannot be moved around piecewise). Read top-down from the parser's
/// events: the root mapping's keys, the named lists' items, and each item's `name`.
pub(crate) fn outline(text: &str) -> Option<Outline> {
    let mut ev = Events {
        parser: Parser::new_from_str(text),
        shape: Shape::default(),
        peeked: None,
    };
    let mut out = Outline {
        root_col: 0,
        root_end: text.len(),
        lists: [None, None, None],
        current: None,
        empty: false,
    };
    if !matches!(ev.next()?.0, Event::StreamStart) {
        return None;
    }
    match ev.next()?.0 {
        Event::StreamEnd => {
            // Nothing but comments (or nothing): a document starts at the end.
            out.empty = true;
            return Some(out);
        }
        Event::DocumentStart(..) => {}
        _ => return None,
    }
    // The root: a block mapping whose keys start their lines.
    let (Event::MappingStart(StructureStyle::Block, ..), start, _) = ev.next()? else {
        return None;
    };
    let line = line_start(text, start);
    if !text[line..start].bytes().all(|b| b == b' ') {
        return None;
    }
    out.root_col = start - line;
    let mut seen_keys: Vec<String> = Vec::new();
    loop {
        // Tags and complex keys were refused by `Shape`.
        let (key, key_end) = match ev.next()? {
            (Event::MappingEnd, ..) => break,
            (Event::Scalar(key, ..), _, end) => (key.into_owned(), end),
            _ => return None,
        };
        let section = Section::from_list_key(&key);
        if (section.is_some() || key == "current-context") && seen_keys.contains(&key) {
            return None; // a duplicate key whose last value wins
        }
        seen_keys.push(key.clone());
        let (event, start, end) = ev.next()?;
        match (section, event) {
            (Some(s), Event::SequenceStart(style, ..)) => {
                let block = style == StructureStyle::Block;
                out.lists[s.index()] = Some(list(&mut ev, text, block, start, key_end)?);
            }
            (Some(s), Event::Scalar(value, style, ..)) if string_scalar(&value, style, false) == Ok(None) => {
                // Left out (the parser reports `~` there, with no text): after the key.
                let (start, end, value) = if start == end {
                    (key_end, key_end, "".into())
                } else {
                    (start, end, value)
                };
                out.lists[s.index()] = Some(List {
                    block: false,
                    items: Vec::new(),
                    end: start,
                    null: true,
                    empty: empty_value(text, key_end, start, end, &value),
                });
            }
            (Some(_), _) => return None,
            (None, Event::Scalar(value, style, ..)) if key == "current-context" => {
                let value = string_scalar(&value, style, false).ok()?;
                out.current = Some(ScalarAt { value, start, end });
            }
            (None, _) if key == "current-context" => return None,
            (None, Event::MappingStart(..) | Event::SequenceStart(..)) => skip(&mut ev)?,
            (None, _) => {}
        }
    }
    out.root_end = insertion_point(text, ev.next_start()?);
    // One document only.
    loop {
        match ev.next()?.0 {
            Event::DocumentEnd => {}
            Event::StreamEnd => return Some(out),
            _ => return None,
        }
    }
}

/// The parser's events without comments, with their spans, each checked by [`Shape`].
/// `None` ends the outline: a parse error, an alias or anchor, a shape that might not parse.
struct Events<'t> {
    parser: Parser<'t, StrInput<'t>>,
    shape: Shape,
    peeked: Option<(Event<'t>, usize, usize)>,
}

impl<'t> Events<'t> {
    fn pull(&mut self) -> Option<(Event<'t>, usize, usize)> {
        loop {
            let (event, span) = self.parser.next()?.ok()?;
            let (start, end) = (span.start.byte_offset()?, span.end.byte_offset()?);
            let is_comment = !matches!(
                event,
                Event::StreamStart
                    | Event::StreamEnd
                    | Event::DocumentStart(..)
                    | Event::DocumentEnd
                    | Event::Alias(..)
                    | Event::Anchor(..)
                    | Event::UnresolvedAlias(..)
                    | Event::Scalar(..)
                    | Event::SequenceStart(..)
                    | Event::SequenceEnd
                    | Event::MappingStart(..)
                    | Event::MappingEnd
            );
            if is_comment {
                continue;
            }
            if !self.shape.accepts(&event)
                || matches!(event, Event::Alias(..) | Event::Anchor(..) | Event::UnresolvedAlias(..))
            {
                return None;
            }
            return Some((event, start, end));
        }
    }

    fn next(&mut self) -> Option<(Event<'t>, usize, usize)> {
        match self.peeked.take() {
            Some(event) => Some(event),
            None => self.pull(),
        }
    }

    /// Where the next event starts, without taking it: where the text after a node goes.
    fn next_start(&mut self) -> Option<usize> {
        if self.peeked.is_none() {
            self.peeked = Some(self.pull()?);
        }
        self.peeked.as_ref().map(|(_, start, _)| *start)
    }
}

/// The items of a named list whose sequence has just started (at `start`), to its end.
fn list(ev: &mut Events, text: &str, block: bool, start: usize, key_end: usize) -> Option<List> {
    let mut list = List {
        block,
        items: Vec::new(),
        end: start,
        null: false,
        empty: None,
    };
    loop {
        match ev.next()? {
            (Event::MappingStart(..), start, _) => {
                let ls = line_start(text, start);
                let prefix = &text[ls..start];
                let dash = prefix.trim_end_matches(' ');
                let dash_line = (dash.ends_with('-')
                    && dash[..dash.len() - 1].bytes().all(|b| b == b' ')
                    && dash.len() < prefix.len())
                .then_some(ls);
                let name = item_name(ev)?;
                list.items.push(Item {
                    name,
                    start,
                    end: insertion_point(text, ev.next_start()?),
                    dash_line,
                    dash_col: dash.len().saturating_sub(1),
                    col: start - ls,
                });
            }
            (Event::SequenceEnd, _, end) => {
                if !block && list.items.is_empty() {
                    list.empty = empty_value(text, key_end, start, end, "[]");
                }
                list.end = insertion_point(text, ev.next_start()?);
                return Some(list);
            }
            // An item that is not a mapping: the whole-document path says so.
            _ => return None,
        }
    }
}

/// The `name` of a list item whose mapping has just started, read to the item's end;
/// `Some(None)` when it has no string name (client-go skips it too).
fn item_name(ev: &mut Events) -> Option<Option<String>> {
    let mut name = None;
    loop {
        let key = match ev.next()? {
            (Event::MappingEnd, ..) => return Some(name),
            (Event::Scalar(key, ..), ..) => key,
            _ => return None,
        };
        match (key == "name", ev.next()?.0) {
            // Duplicate keys: the last one wins, as when parsing.
            (true, Event::Scalar(value, style, ..)) => name = string_scalar(&value, style, false).ok()?,
            (true, _) => return None, // a name that is not a scalar
            (false, Event::MappingStart(..) | Event::SequenceStart(..)) => skip(ev)?,
            (false, _) => {}
        }
    }
}

/// Skips the rest of a mapping or sequence that has just started.
fn skip(ev: &mut Events) -> Option<()> {
    let mut depth = 1usize;
    while depth > 0 {
        match ev.next()?.0 {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
    }
    Some(())
}

/// Where an empty list value `text[start..end]` (expected to read `expect`) is, and where
/// items go instead; `None` when the text is not what the parser said.
fn empty_value(text: &str, key_end: usize, start: usize, end: usize, expect: &str) -> Option<EmptyValue> {
    if text.get(start..end)? != expect || start < key_end {
        return None;
    }
    let from = end.max(key_end);
    let next_line = text[from..].find('\n').map_or(text.len(), |i| from + i + 1);
    Some(EmptyValue { start, end, next_line })
}

/// Every node of the document, checked for what would make parsing it into values fail:
/// the parts an [`Outline`] leaves unparsed must parse when they are needed, else a file that
/// [`parse_doc`] refuses would look fine until then (a fuzzer found one). Conservative: what
/// might fail is refused, and the file is then parsed whole.
#[derive(Default)]
struct Shape {
    /// (is a mapping, the next node is a key) for each open collection.
    open: Vec<(bool, bool)>,
}

impl Shape {
    fn accepts(&mut self, event: &serde_saphyr::granit_parser::Event<'_>) -> bool {
        use serde_saphyr::granit_parser::Event;
        let key = matches!(self.open.last(), Some((true, true)));
        let ok = match event {
            Event::Scalar(value, style, _, tag) => {
                tag.is_none()
                    && if key {
                        // serde_json keys are strings: a null key does not parse.
                        !(*style == ScalarStyle::Plain && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL"))
                    } else {
                        *style != ScalarStyle::Plain || !may_be_non_finite(value)
                    }
            }
            Event::MappingStart(_, _, tag) | Event::SequenceStart(_, _, tag) => {
                if key || tag.is_some() || self.open.len() >= 60 {
                    return false;
                }
                self.open.push((matches!(event, Event::MappingStart(..)), true));
                return true;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.open.pop();
                true
            }
            _ => true,
        };
        // A node ended: in a mapping, keys and values alternate.
        if matches!(event, Event::Scalar(..) | Event::MappingEnd | Event::SequenceEnd)
            && let Some((true, next_is_key)) = self.open.last_mut()
        {
            *next_is_key = !*next_is_key;
        }
        ok
    }
}

/// Whether a plain scalar may read as a float that is not finite (`.inf`, `.nan`, `1e400`,
/// hundreds of digits), which serde_json cannot hold.
fn may_be_non_finite(value: &str) -> bool {
    let unsigned = value.strip_prefix(['-', '+']).unwrap_or(value);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan" | "inf" | "nan" | "infinity") {
        return true;
    }
    let numeric = unsigned.bytes().any(|b| b.is_ascii_digit())
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'e' | b'E' | b'-' | b'+'));
    numeric && (lower.contains('e') || unsigned.len() > 300)
}

/// The text of one list item as a document of its own: the item's first line from its
/// start, the following lines without the item's indentation.
pub(crate) fn item_text(text: &str, item: &Item) -> String {
    let mut out = String::with_capacity(item.end - item.start);
    for (n, line) in text[item.start..item.end].split_inclusive('\n').enumerate() {
        if n == 0 {
            out.push_str(line);
            continue;
        }
        let spaces = line.bytes().take(item.col).take_while(|b| *b == b' ').count();
        out.push_str(&line[spaces..]);
    }
    out
}

/// `text` (a document emitted at column 0) placed at column `col`: every line but the first
/// indented, empty lines left empty.
pub(crate) fn indent(text: &str, col: usize) -> String {
    let pad = " ".repeat(col);
    let mut out = String::with_capacity(text.len() + col * 8);
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n > 0 && line != "\n" {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Map<String, Value>, KubeconfigError> {
        parse_doc(text.as_bytes(), Path::new("/k/config"))
    }

    fn roundtrip(text: &str) -> (Map<String, Value>, String, Map<String, Value>) {
        let first = parse(text).unwrap();
        let out = to_yaml(&first).unwrap();
        let second = parse(&out).unwrap();
        (first, out, second)
    }

    const FULL: &str = r#"apiVersion: v1
kind: Config
zeta-top: {keep: [1, 2]}
preferences:
  colors: true
  extensions:
  - name: pref-ext
    extension: {a: b}
clusters:
- name: c1
  item-extra: 7
  cluster:
    server: https://x:6443
    certificate-authority-data: LS0tLS1CRUdJTi
    insecure-skip-tls-verify: false
    proxy-url: ""
    weird-cluster-key: {nested: [a, {b: c}]}
    extensions:
    - name: foo
      extension: {k: v, n: 3}
users:
- name: u1
  user:
    token: abc.def.ghi
    unknown-user-key: ~
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: gke-gcloud-auth-plugin
      args: [a, "--b=c"]
      env: null
      installHint: |
        Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
      interactiveMode: IfAvailable
contexts:
- name: ctx
  context: {cluster: c1, user: u1, namespace: "0123", unknown-ctx: [x]}
current-context: ctx
extensions:
- name: top-ext
  extension: {z: 1}
"#;

    #[test]
    fn unknown_keys_order_and_extensions_survive() {
        let (first, out, second) = roundtrip(FULL);
        assert_eq!(first, second, "{out}");
        let keys: Vec<&str> = second.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "apiVersion",
                "kind",
                "zeta-top",
                "preferences",
                "clusters",
                "users",
                "contexts",
                "current-context",
                "extensions"
            ]
        );
        assert_eq!(second["zeta-top"], json!({"keep": [1, 2]}));
        assert_eq!(second["clusters"][0]["item-extra"], json!(7));
        assert_eq!(
            second["clusters"][0]["cluster"]["extensions"][0]["extension"],
            json!({"k": "v", "n": 3})
        );
        assert_eq!(second["users"][0]["user"]["unknown-user-key"], Value::Null);
        assert_eq!(second["contexts"][0]["context"]["namespace"], json!("0123"));
        assert_eq!(second["preferences"]["colors"], json!(true));
        // Key order inside nested maps too.
        let ckeys: Vec<&str> = second["clusters"][0]["cluster"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            ckeys,
            [
                "server",
                "certificate-authority-data",
                "insecure-skip-tls-verify",
                "proxy-url",
                "weird-cluster-key",
                "extensions"
            ]
        );
    }

    #[test]
    fn ambiguous_strings_stay_strings() {
        let tricky = [
            "0123",
            "1e3",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "Yes",
            "NULL",
            "null",
            "~",
            "",
            "true",
            "false",
            "0x1F",
            "1_000",
            "0o17",
            "+1",
            ".5",
            "1.0",
            ".inf",
            "-.inf",
            ".nan",
            "12:30",
            "2001-12-14",
            "-",
            "- a",
            "a: b",
            "#x",
            " lead",
            "trail ",
            "@x",
            "`x",
            "%x",
            "!x",
            "&x",
            "*x",
            "?",
            "|",
            ">",
            "'",
            "\"",
            "a #b",
            "[x]",
            "{x}",
            "tab\there",
            "uni é ✓",
            "\u{7}bell",
            "a\u{2028}b",
            "\u{feff}bom",
            "=",
        ];
        let mut map = Map::new();
        for (i, s) in tricky.iter().enumerate() {
            map.insert(format!("k{i}"), json!(s));
        }
        let out = to_yaml(&map).unwrap();
        let back = parse(&out).unwrap();
        for (i, s) in tricky.iter().enumerate() {
            assert_eq!(back[&format!("k{i}")], json!(s), "{s:?} in\n{out}");
        }
    }

    #[test]
    fn scalars_keep_their_types() {
        let text = "i: 42\nneg: -5\nbig: 12345678901234567890\nf: 1.5\nf8: 8.0\n\
                    b: true\nbf: false\nn: null\nt: ~\ne:\ns: \"42\"\n";
        let (first, out, second) = roundtrip(text);
        assert_eq!(first, second, "{out}");
        assert_eq!(second["i"], json!(42));
        assert!(second["i"].is_i64() || second["i"].is_u64());
        assert_eq!(second["neg"], json!(-5));
        assert_eq!(second["big"], json!(12345678901234567890u64));
        assert_eq!(second["f"], json!(1.5));
        assert!(second["f8"].is_f64());
        assert_eq!(second["b"], json!(true));
        assert_eq!(second["bf"], json!(false));
        assert!(second["n"].is_null() && second["t"].is_null() && second["e"].is_null());
        assert_eq!(second["s"], json!("42"));
    }

    #[test]
    fn yaml11_scalars_read_like_kubectl() {
        // What go-yaml v2 (kubectl) reads for these plain scalars.
        let m = parse("oct: 0123\nbool: yes\nu: 1_000\nhex: 0x1F\nclock: 12:30\n").unwrap();
        assert_eq!(m["oct"], json!(83));
        assert_eq!(m["bool"], json!(true));
        assert_eq!(m["u"], json!(1000));
        assert_eq!(m["hex"], json!(31));
        assert_eq!(m["clock"], json!("12:30"));
    }

    #[test]
    fn multiline_and_large_strings() {
        let b64 = "QUJD".repeat(2000);
        let mut map = Map::new();
        map.insert("ml".into(), json!("line1\nline2\n"));
        map.insert("ml-strip".into(), json!("a\n  b"));
        map.insert("ml-keep".into(), json!("a\n\nb\n\n"));
        map.insert("lead".into(), json!("  leading\nsecond"));
        map.insert("trail".into(), json!("x  \ny  \n"));
        map.insert("crlf".into(), json!("a\r\nb"));
        map.insert("nl".into(), json!("\n"));
        map.insert("data".into(), json!(b64));
        map.insert("spaced".into(), json!("word ".repeat(40)));
        let out = to_yaml(&map).unwrap();
        assert_eq!(parse(&out).unwrap(), map, "{out}");
        // Base64 data stays one plain line, as kubectl writes it.
        assert!(out.contains(&format!("data: {b64}\n")), "{out}");
        assert!(out.contains("ml: |\n  line1\n  line2\n"), "{out}");
    }

    #[test]
    fn empty_and_comment_only_files_are_empty() {
        for text in [
            "",
            "   \n\n",
            "# only a comment\n",
            "---\n",
            "--- \n# c\n...\n",
            "null\n",
            "~\n",
        ] {
            assert!(parse(text).unwrap().is_empty(), "{text:?}");
        }
    }

    #[test]
    fn json_bom_and_utf16_parse() {
        let m = parse("{\"apiVersion\": \"v1\", \"clusters\": [{\"name\": \"a\"}]}").unwrap();
        assert_eq!(m["clusters"][0]["name"], json!("a"));
        let m = parse_doc(b"\xEF\xBB\xBFkind: Config\n", Path::new("x")).unwrap();
        assert_eq!(m["kind"], json!("Config"));
        let mut le = vec![0xFF, 0xFE];
        le.extend("kind: Config\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(parse_doc(&le, Path::new("x")).unwrap()["kind"], json!("Config"));
        let mut be = vec![0xFE, 0xFF];
        be.extend("kind: Config\n".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(parse_doc(&be, Path::new("x")).unwrap()["kind"], json!("Config"));
    }

    #[test]
    fn trailing_document_marker_is_fine() {
        let m = parse("---\nkind: Config\n---\n").unwrap();
        assert_eq!(m["kind"], json!("Config"));
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        for text in ["a: [\n", "- 1\n- 2\n", "just text\n", "a: 1\n---\nb: 2\n", "x: .inf\n"] {
            let err = parse(text).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, KubeconfigError::Parse { .. }), "{text:?}: {msg}");
            assert!(msg.contains("\"/k/config\""), "{msg}");
        }
        let err = parse_doc(b"a: \xFF\n", Path::new("/k/bin")).unwrap_err();
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn parse_errors_do_not_quote_the_file() {
        let text = "users:\n- name: u\n  user:\n    token: SECRET-TOKEN\n  [broken\n";
        let msg = parse(text).unwrap_err().to_string();
        assert!(!msg.contains("SECRET-TOKEN"), "{msg}");
    }

    #[test]
    fn duplicate_keys_last_wins_like_kubectl() {
        let m = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(m["a"], json!(2));
    }

    #[test]
    fn anchors_are_expanded() {
        let m = parse("base: &b {server: s}\nother: *b\n").unwrap();
        assert_eq!(m["other"], json!({"server": "s"}));
    }

    #[test]
    fn to_yaml_emits_a_value() {
        let out = to_yaml(&json!({"apiVersion": "v1", "kind": "Config", "clusters": []})).unwrap();
        assert_eq!(out, "apiVersion: v1\nkind: Config\nclusters: []\n");
    }

    #[test]
    fn outline_finds_items_names_and_where_text_goes() {
        let text = "# c\napiVersion: v1\nclusters:\n- cluster:\n    server: s\n    note: |\n      a\n\n      b\n  name: one\n\
                    -   name: 'two'   # t\n    cluster: {}\n\n  # about three\n- {name: three}\n\
                    current-context: \"one\"\nusers:\n  - name: u\n    user: {token: x}\nx: [1]\n";
        let o = outline(text).unwrap();
        let clusters = o.lists[0].as_ref().unwrap();
        let names: Vec<Option<&str>> = clusters.items.iter().map(|i| i.name.as_deref()).collect();
        assert_eq!(names, [Some("one"), Some("two"), Some("three")]);
        assert!(clusters.block);
        // Each item's text parses alone to what the whole document holds.
        let whole = parse(text).unwrap();
        for (i, item) in clusters.items.iter().enumerate() {
            let alone = parse(&item_text(text, item)).unwrap();
            assert_eq!(Value::Object(alone), whole["clusters"][i], "{i}");
            assert_eq!(&text[item.dash_line.unwrap()..item.start].trim(), &"-");
        }
        assert_eq!(&text[clusters.end..clusters.end + 16], "current-context:");
        let users = o.lists[1].as_ref().unwrap();
        assert_eq!((users.items[0].dash_col, users.items[0].col), (2, 4));
        assert!(o.lists[2].is_none());
        let current = o.current.as_ref().unwrap();
        assert_eq!(current.value.as_deref(), Some("one"));
        assert_eq!(&text[current.start..current.end], "\"one\"");
        assert_eq!((o.root_col, o.root_end), (0, text.len()));
    }

    #[test]
    fn outline_leaves_what_it_cannot_move_as_text_to_the_whole_document_path() {
        for text in [
            "base: &b {server: s}\nclusters:\n- name: a\n  cluster: *b\n",
            "clusters:\n- name: a\n---\nkind: Config\n",
            "{\"clusters\": []}",
            "!!map\nclusters: []\n",
            "clusters:\n- name: 123\n",
            "clusters:\n- name: yes\n",
            "clusters:\n- name: !!str x\n",
            "clusters:\n- name: [a]\n",
            "clusters:\n- just-text\n",
            "clusters: {a: 1}\n",
            "clusters: []\nclusters: []\n",
            "current-context: [x]\n",
            "? [complex]\n: key\n",
            "clusters: [\n",
            "- a\n",
        ] {
            assert!(outline(text).is_none(), "{text:?}");
        }
        // Nothing, or only comments: an empty document.
        for text in ["", "# only\n  # comments", "\n"] {
            let o = outline(text).unwrap();
            assert!(o.empty && o.lists.iter().all(Option::is_none), "{text:?}");
            assert_eq!(o.root_end, text.len());
        }
        // Null lists and an absent current-context are fine.
        let text = "clusters: null\nusers:   # none\ncontexts: [] # none\n";
        let o = outline(text).unwrap();
        assert!(o.current.is_none());
        let spans: Vec<(&str, &str)> = o
            .lists
            .iter()
            .map(|l| {
                let l = l.as_ref().unwrap();
                assert!(l.items.is_empty() && !l.block);
                let e = l.empty.as_ref().unwrap();
                (&text[e.start..e.end], &text[e.next_line..])
            })
            .collect();
        assert_eq!(
            spans,
            [
                ("null", "users:   # none\ncontexts: [] # none\n"),
                ("", "contexts: [] # none\n"),
                ("[]", "")
            ]
        );
        assert!(o.lists[0].as_ref().unwrap().null && !o.lists[2].as_ref().unwrap().null);
        // A flow list is outlined (for lookups), not marked block.
        let o = outline("clusters: [{name: a}, {name: b}]\n").unwrap();
        assert!(!o.lists[0].as_ref().unwrap().block);
    }

    #[test]
    fn indent_places_a_document_at_a_column() {
        assert_eq!(
            indent("a: 1\nb: |\n  x\n\n  y\n", 4),
            "a: 1\n    b: |\n      x\n\n      y\n"
        );
    }
}
