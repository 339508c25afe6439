//! The one error type of the kubeconfig module.
//!
//! Every message names the file it is about. None of them carries a value taken from a
//! kubeconfig entry: user entries hold tokens and keys, so only names and paths appear.
//! I/O errors are part of the message (kubectl style, one line) and deliberately not a
//! `source`, so that chain printers such as anyhow's `{:#}` do not repeat them.

use std::io;
use std::path::PathBuf;

use super::section::Section;

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// `--kubeconfig` named a file that is not there (kubectl fails the same way).
    #[error("kubeconfig file \"{}\" does not exist", path.display())]
    ExplicitMissing { path: PathBuf },

    /// A file in the chain is a directory.
    #[error("error loading config file \"{}\": is a directory", path.display())]
    IsDirectory { path: PathBuf },

    /// A file in the chain exists but cannot be read.
    #[error("error loading config file \"{}\": {error}", path.display())]
    Read { path: PathBuf, error: io::Error },

    /// A file in the chain is not YAML, or not a single YAML mapping.
    #[error("error loading config file \"{}\": {message}", path.display())]
    Parse { path: PathBuf, message: String },

    /// A file parses but its shape is not a kubeconfig (e.g. `clusters` is not a list).
    #[error("invalid kubeconfig \"{}\": {message}", path.display())]
    Invalid { path: PathBuf, message: String },

    /// Two entries of one list in one file share a name (an entry without one counts as
    /// named ""). kubectl refuses such a file, printing every entry of the list, credentials
    /// included; this names the duplicate only.
    #[error(
        "error loading config file \"{}\": duplicate name \"{name}\" in {}: kubectl refuses \
         this file too; rename or remove one of the two",
        path.display(),
        section.list_key()
    )]
    DuplicateName {
        path: PathBuf,
        section: Section,
        name: String,
    },

    /// An entry cannot be turned into kube's types (e.g. a context without `cluster`).
    #[error("invalid {section} \"{name}\" in \"{}\": {message}", path.display())]
    InvalidEntry {
        section: Section,
        name: String,
        path: PathBuf,
        message: String,
    },

    /// A top-level field cannot be turned into kube's types.
    #[error("invalid field \"{field}\" in \"{}\": {message}", path.display())]
    InvalidField {
        field: String,
        path: PathBuf,
        message: String,
    },

    /// The `.lock` file of a kubeconfig stayed in place for the whole timeout. `holder`
    /// says who wrote it, when the lock names its holder (kubectl's locks are empty).
    #[error(
        "kubeconfig {} is locked: {} exists ({}); if none is running, remove {}",
        path.display(),
        lock.display(),
        holder.as_deref().unwrap_or("another kubectl or kubectl-satoken is writing it"),
        lock.display()
    )]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        holder: Option<String>,
    },

    /// The `.lock` file could not be created for another reason than its existence.
    #[error("cannot lock kubeconfig {}: cannot create {}: {error}", path.display(), lock.display())]
    Lock {
        path: PathBuf,
        lock: PathBuf,
        error: io::Error,
    },

    /// An entry of the same name exists and was not created by this tool.
    #[error(
        "{section} \"{name}\" already exists in \"{}\" and was not created by kubectl-satoken",
        file.display()
    )]
    ForeignEntry {
        section: Section,
        name: String,
        file: PathBuf,
    },

    /// The merge request itself is unusable (e.g. an empty name).
    #[error("invalid kubeconfig change: {message}")]
    InvalidRequest { message: String },

    /// A standalone output file exists and replacing it was not asked for.
    #[error("file \"{}\" already exists; refusing to overwrite it", path.display())]
    Exists { path: PathBuf },

    /// A kubeconfig to change may not be written by this user (kubectl would fail on it
    /// too); it could be replaced through its directory, but that is not ours to do.
    #[error(
        "cannot write \"{}\": {error}: kubectl could not write it either; fix its mode or owner, \
         or pass --kubeconfig FILE to use a file you may write",
        path.display()
    )]
    NotWritable { path: PathBuf, error: io::Error },

    /// Writing a file (temp file, rename, directory sync) failed.
    #[error("cannot write \"{}\": {error}", path.display())]
    Write { path: PathBuf, error: io::Error },

    /// The document could not be encoded as YAML.
    #[error("cannot encode kubeconfig as YAML: {message}")]
    Emit { message: String },
}

/// Drops the parts of a serde message that quote the offending input, so that a token
/// given with the wrong type never reaches an error message.
///
/// serde words these as `invalid type: string "VALUE", expected ...` or
/// `unknown variant `VALUE`, expected ...`; what follows `expected` comes from the
/// type, not the input, and stays.
pub(crate) fn redact(message: &str) -> String {
    // These quote a field name of the type, never input.
    const FIELD_MESSAGES: [&str; 3] = ["missing field", "unknown field", "duplicate field"];
    if FIELD_MESSAGES.iter().any(|p| message.starts_with(p)) {
        return message.to_owned();
    }
    let (head, tail) = match message.find(", expected") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in head.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push_str("<redacted>");
            }
            Some(_) => {}
            None if c == '"' || c == '`' => quote = Some(c),
            None => out.push(c),
        }
    }
    if quote.is_some() {
        out.push_str("<redacted>");
    }
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_quoted_input_but_keeps_expectation() {
        let m = redact("invalid type: string \"s3cr3t\", expected a boolean");
        assert_eq!(m, "invalid type: string <redacted>, expected a boolean");
        let m = redact("invalid type: integer `12345`, expected a string");
        assert!(!m.contains("12345"), "{m}");
        let m = redact("unknown variant `Sometimes`, expected one of `Never`, `Always`");
        assert_eq!(m, "unknown variant <redacted>, expected one of `Never`, `Always`");
        let m = redact("invalid type: string \"unterminated");
        assert!(!m.contains("unterminated"), "{m}");
    }

    #[test]
    fn redact_keeps_messages_without_expectation() {
        assert_eq!(redact("missing field `cluster`"), "missing field `cluster`");
    }

    #[test]
    fn lock_message_says_how_to_clear() {
        let e = KubeconfigError::Locked {
            path: "/x/config".into(),
            lock: "/x/config.lock".into(),
            holder: None,
        };
        assert_eq!(
            e.to_string(),
            "kubeconfig /x/config is locked: /x/config.lock exists (another kubectl or \
             kubectl-satoken is writing it); if none is running, remove /x/config.lock"
        );
    }
}
