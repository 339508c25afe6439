//! Parse and emit kubeconfig documents: YAML text <-> `serde_json::Map`, one YAML stack
//! (serde-saphyr) both ways. `preserve_order` keeps key order; comments are not kept
//! (kubectl drops them too).

use std::path::Path;

use serde_json::{Map, Value};

use super::error::{KubeconfigError, redact};

/// Reader options chosen to read a file the way kubectl (go-yaml v2, YAML 1.1) does,
/// so that a value we do not touch means the same after we write it back.
fn parse_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // go-yaml v2: `0123` is octal 83, not 123 (serde-saphyr's default reads 123.0).
        legacy_octal_numbers: true,
        // go-yaml v2 keeps the last of duplicate keys instead of failing.
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        // A snippet would quote the file's lines, and those may hold a token.
        with_snippet: false,
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
fn decode(bytes: &[u8], path: &Path) -> Result<String, KubeconfigError> {
    let invalid = |what: &str| KubeconfigError::Parse {
        path: path.to_path_buf(),
        message: format!("file is not valid {what}"),
    };
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| -> Result<String, KubeconfigError> {
        if !rest.len().is_multiple_of(2) {
            return Err(invalid("UTF-16"));
        }
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|_| invalid("UTF-16"))
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).map_err(|_| invalid("UTF-8")),
        _ => String::from_utf8(bytes.to_vec()).map_err(|_| invalid("UTF-8")),
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
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(&text, parse_options())
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

/// Emits a document as YAML text.
pub(crate) fn emit_doc(doc: &Map<String, Value>) -> Result<String, KubeconfigError> {
    serde_saphyr::to_string_with_options(doc, emit_options())
        .map_err(|e| KubeconfigError::Emit { message: e.to_string() })
}

/// Emits any value (normally a whole kubeconfig) as YAML text, with the same writer
/// settings used for merged files.
pub fn to_yaml(doc: &Value) -> Result<String, KubeconfigError> {
    serde_saphyr::to_string_with_options(doc, emit_options())
        .map_err(|e| KubeconfigError::Emit { message: e.to_string() })
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
        let out = emit_doc(&first).unwrap();
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
        let out = emit_doc(&map).unwrap();
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
        let out = emit_doc(&map).unwrap();
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
}
