//! Which kubeconfig files make up the chain, and which one receives new entries
//! (client-go `ClientConfigLoadingRules` and `PathOptions.GetDefaultFilename`).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use super::home::home_dir;

/// How a list of paths such as `KUBECONFIG` is written (Go's `filepath.SplitList`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListSyntax {
    /// Separated by `:`.
    Unix,
    /// Separated by `;`, which a double-quoted stretch protects; the quotes are dropped
    /// (`C:\a;"C:\b;c"` is `C:\a` and `C:\b;c`). The same as `std::env::split_paths` there.
    Windows,
}

impl ListSyntax {
    const PLATFORM: ListSyntax = if cfg!(windows) {
        ListSyntax::Windows
    } else {
        ListSyntax::Unix
    };

    /// The items of `list`, empty ones included.
    fn split(self, list: &OsStr) -> Vec<PathBuf> {
        let (separator, quote) = match self {
            ListSyntax::Unix => (Unit::from(b':'), None),
            ListSyntax::Windows => (Unit::from(b';'), Some(Unit::from(b'"'))),
        };
        let mut items = Vec::new();
        let mut item: Vec<Unit> = Vec::new();
        let mut quoted = false;
        for unit in units(list) {
            if Some(unit) == quote {
                quoted = !quoted;
            } else if unit == separator && !quoted {
                items.push(path_of(&item));
                item.clear();
            } else {
                item.push(unit);
            }
        }
        items.push(path_of(&item));
        items
    }
}

// The list is cut on ASCII characters, which stand alone in both platforms' encodings: bytes
// on Unix, UTF-16 units on Windows. Going through them keeps paths that are not Unicode intact.
#[cfg(unix)]
type Unit = u8;
#[cfg(unix)]
fn units(s: &OsStr) -> impl Iterator<Item = Unit> + '_ {
    std::os::unix::ffi::OsStrExt::as_bytes(s).iter().copied()
}
#[cfg(unix)]
fn path_of(units: &[Unit]) -> PathBuf {
    PathBuf::from(<OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(units))
}
#[cfg(windows)]
type Unit = u16;
#[cfg(windows)]
fn units(s: &OsStr) -> impl Iterator<Item = Unit> + '_ {
    std::os::windows::ffi::OsStrExt::encode_wide(s)
}
#[cfg(windows)]
fn path_of(units: &[Unit]) -> PathBuf {
    PathBuf::from(<OsString as std::os::windows::ffi::OsStringExt>::from_wide(units))
}

/// Where kubeconfig files come from: `--kubeconfig`, `KUBECONFIG`, the home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadingRules {
    explicit: Option<PathBuf>,
    env: Option<OsString>,
    home: Option<PathBuf>,
    list: ListSyntax,
}

impl LoadingRules {
    /// `explicit`: the `--kubeconfig` value; `env`: the raw `KUBECONFIG` value;
    /// `home`: the user's home directory.
    pub fn new(explicit: Option<PathBuf>, env: Option<OsString>, home: Option<PathBuf>) -> Self {
        LoadingRules {
            // `--kubeconfig ""` means no explicit file in client-go.
            explicit: explicit.filter(|p| !p.as_os_str().is_empty()),
            env,
            home,
            list: ListSyntax::PLATFORM,
        }
    }

    /// The same rules reading `KUBECONFIG` as another platform writes it.
    #[cfg(test)]
    fn with_list_syntax(self, list: ListSyntax) -> Self {
        LoadingRules { list, ..self }
    }

    /// Rules from this process: `KUBECONFIG` and the home directory.
    pub fn from_env(explicit: Option<PathBuf>) -> Self {
        Self::new(explicit, std::env::var_os("KUBECONFIG"), home_dir())
    }

    /// The `--kubeconfig` file, if one was given.
    pub fn explicit(&self) -> Option<&Path> {
        self.explicit.as_deref()
    }

    /// `KUBECONFIG` split on the platform's list separator (`;` on Windows, `:` elsewhere),
    /// empty items dropped, duplicates removed keeping the first.
    pub fn env_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        if let Some(env) = &self.env {
            for path in self.list.split(env) {
                if !path.as_os_str().is_empty() && !files.contains(&path) {
                    files.push(path);
                }
            }
        }
        files
    }

    /// `~/.kube/config`. Without a home directory client-go joins an empty home, which
    /// gives the relative `.kube/config`; do the same.
    pub fn home_file(&self) -> PathBuf {
        self.home.clone().unwrap_or_default().join(".kube").join("config")
    }

    /// The files of the chain, highest precedence first.
    pub fn precedence(&self) -> Vec<PathBuf> {
        if let Some(explicit) = &self.explicit {
            return vec![explicit.clone()];
        }
        let env = self.env_files();
        if env.is_empty() { vec![self.home_file()] } else { env }
    }

    /// The file that receives a new entry and `current-context`: the explicit file; else
    /// the only `KUBECONFIG` file; else the first listed that exists; else the last listed;
    /// else `~/.kube/config`.
    pub fn destination(&self) -> PathBuf {
        if let Some(explicit) = &self.explicit {
            return explicit.clone();
        }
        let env = self.env_files();
        match env.as_slice() {
            [] => self.home_file(),
            [only] => only.clone(),
            [.., last] => env
                .iter()
                // Like Go's os.Stat: follows symlinks, any error counts as absent.
                .find(|p| fs::metadata(p).is_ok())
                .unwrap_or(last)
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(paths: &[&Path]) -> OsString {
        std::env::join_paths(paths).unwrap()
    }

    #[test]
    fn explicit_wins_over_everything() {
        let rules = LoadingRules::new(
            Some("/x/explicit".into()),
            Some(join(&[Path::new("/a"), Path::new("/b")])),
            Some("/home/u".into()),
        );
        assert_eq!(rules.precedence(), [PathBuf::from("/x/explicit")]);
        assert_eq!(rules.destination(), PathBuf::from("/x/explicit"));
        assert_eq!(rules.explicit(), Some(Path::new("/x/explicit")));
    }

    #[test]
    fn empty_explicit_is_no_explicit() {
        let rules = LoadingRules::new(Some(PathBuf::new()), None, Some("/home/u".into()));
        assert_eq!(rules.precedence(), [PathBuf::from("/home/u/.kube/config")]);
    }

    #[test]
    fn home_default() {
        let rules = LoadingRules::new(None, None, Some("/home/u".into()));
        assert_eq!(rules.precedence(), [PathBuf::from("/home/u/.kube/config")]);
        assert_eq!(rules.destination(), PathBuf::from("/home/u/.kube/config"));
        // Set but empty, or only separators: still the home file.
        let envs: &[&str] = if cfg!(unix) { &["", ":", "::"] } else { &["", ";"] };
        for env in envs {
            let rules = LoadingRules::new(None, Some(env.into()), Some("/home/u".into()));
            assert_eq!(rules.precedence(), [PathBuf::from("/home/u/.kube/config")], "{env:?}");
            assert_eq!(rules.destination(), PathBuf::from("/home/u/.kube/config"));
        }
        let rules = LoadingRules::new(None, None, None);
        assert_eq!(rules.precedence(), [PathBuf::from(".kube/config")]);
    }

    #[test]
    fn one_env_entry_is_the_destination_even_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let rules = LoadingRules::new(None, Some(a.clone().into()), Some("/home/u".into()));
        assert_eq!(rules.precedence(), std::slice::from_ref(&a));
        assert_eq!(rules.destination(), a);
    }

    #[cfg(unix)]
    #[test]
    fn env_list_is_split_deduplicated_and_empties_dropped() {
        let rules = LoadingRules::new(None, Some("/a::/b:/a:/c:".into()), None);
        assert_eq!(
            rules.precedence(),
            [PathBuf::from("/a"), PathBuf::from("/b"), PathBuf::from("/c")]
        );
    }

    #[test]
    fn unix_list_splits_on_colons_only() {
        let split = |list: &str| ListSyntax::Unix.split(OsStr::new(list));
        assert_eq!(split(""), [PathBuf::new()]);
        assert_eq!(
            split("/a::\"/b;c\":"),
            [
                PathBuf::from("/a"),
                PathBuf::new(),
                PathBuf::from("\"/b;c\""),
                PathBuf::new()
            ]
        );
    }

    #[test]
    fn windows_list_splits_on_semicolons_outside_quotes_and_drops_the_quotes() {
        let split = |list: &str| ListSyntax::Windows.split(OsStr::new(list));
        assert_eq!(split(""), [PathBuf::new()]);
        assert_eq!(
            split(r#"C:\a;;"C:\b;c";C:\d"e;f"g;C:\x:y;"#),
            [
                PathBuf::from(r"C:\a"),
                PathBuf::new(),
                PathBuf::from(r"C:\b;c"),
                PathBuf::from(r"C:\de;fg"),
                PathBuf::from(r"C:\x:y"),
                PathBuf::new(),
            ]
        );
        // An unclosed quote runs to the end.
        assert_eq!(split(r#"a;"b;c"#), [PathBuf::from("a"), PathBuf::from("b;c")]);
    }

    #[cfg(unix)]
    #[test]
    fn list_items_that_are_not_unicode_survive() {
        use std::os::unix::ffi::OsStrExt;
        let list = OsStr::from_bytes(b"/a\xff:/b\xfe");
        assert_eq!(
            ListSyntax::Unix.split(list),
            [
                PathBuf::from(OsStr::from_bytes(b"/a\xff")),
                PathBuf::from(OsStr::from_bytes(b"/b\xfe"))
            ]
        );
    }

    #[test]
    fn platform_list_is_what_std_splits() {
        let list = if cfg!(windows) {
            r#"C:\a;"C:\b;c";;C:\d"#
        } else {
            "/a:/b;c::/d"
        };
        let std: Vec<PathBuf> = std::env::split_paths(list).collect();
        assert_eq!(ListSyntax::PLATFORM.split(OsStr::new(list)), std);
    }

    #[test]
    fn windows_kubeconfig_list_gives_the_chain_and_destination() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b;c");
        let mut list = OsString::from("\"");
        list.push(&b);
        list.push("\";;");
        list.push(&a);
        list.push(";\"");
        list.push(&b);
        list.push("\"");
        let rules = LoadingRules::new(None, Some(list), Some("/home/u".into())).with_list_syntax(ListSyntax::Windows);
        assert_eq!(rules.precedence(), [b.clone(), a.clone()]);
        assert_eq!(rules.destination(), a);
        fs::write(&b, "").unwrap();
        assert_eq!(rules.destination(), b);
        // A Unix list in the same words is one file whose name holds the semicolons.
        let rules = LoadingRules::new(None, Some("/a;/b".into()), None).with_list_syntax(ListSyntax::Unix);
        assert_eq!(rules.precedence(), [PathBuf::from("/a;/b")]);
        let rules =
            LoadingRules::new(None, Some(";;".into()), Some("/home/u".into())).with_list_syntax(ListSyntax::Windows);
        assert_eq!(rules.precedence(), [PathBuf::from("/home/u/.kube/config")]);
    }

    #[test]
    fn destination_for_a_b() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let rules = LoadingRules::new(None, Some(join(&[&a, &b])), None);
        assert_eq!(rules.precedence(), [a.clone(), b.clone()]);
        // Neither exists: the last one.
        assert_eq!(rules.destination(), b);
        // Only b exists: b.
        fs::write(&b, "").unwrap();
        assert_eq!(rules.destination(), b);
        // Both exist: the first.
        fs::write(&a, "").unwrap();
        assert_eq!(rules.destination(), a);
        // Only a exists: a.
        fs::remove_file(&b).unwrap();
        assert_eq!(rules.destination(), a);
    }
}
