//! Which kubeconfig files make up the chain, and which one receives new entries
//! (client-go `ClientConfigLoadingRules` and `PathOptions.GetDefaultFilename`).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// Where kubeconfig files come from: `--kubeconfig`, `KUBECONFIG`, the home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadingRules {
    explicit: Option<PathBuf>,
    env: Option<OsString>,
    home: Option<PathBuf>,
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
        }
    }

    /// Rules from this process: `KUBECONFIG` and the home directory.
    pub fn from_env(explicit: Option<PathBuf>) -> Self {
        Self::new(explicit, std::env::var_os("KUBECONFIG"), dirs::home_dir())
    }

    /// The `--kubeconfig` file, if one was given.
    pub fn explicit(&self) -> Option<&Path> {
        self.explicit.as_deref()
    }

    /// `KUBECONFIG` split on the platform's list separator, empty items dropped,
    /// duplicates removed keeping the first.
    pub fn env_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        if let Some(env) = &self.env {
            for path in std::env::split_paths(env) {
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
