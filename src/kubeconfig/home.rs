//! The user's home directory, which holds `.kube/config`: found the way client-go's
//! `util/homedir.HomeDir` finds it, so that this tool and kubectl read and write the same file.

use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;

/// The home directory of this process's user, if there is one.
///
/// On Windows, client-go's rule over `%HOME%`, `%HOMEDRIVE%%HOMEPATH%` and `%USERPROFILE%`
/// ([`windows_home_dir`]); elsewhere `$HOME` when set and not empty, else the password
/// database's entry (`dirs::home_dir`; client-go reads only `$HOME`, which is the same
/// wherever `$HOME` is set).
pub fn home_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        windows_home_dir(&|name| std::env::var_os(name))
    } else {
        dirs::home_dir()
    }
}

/// client-go's `HomeDir` on Windows, with the environment given by `env`. Of `%HOME%`,
/// `%HOMEDRIVE%%HOMEPATH%` and `%USERPROFILE%`, the first that holds `.kube\config`; else, in
/// the order `%HOME%`, `%USERPROFILE%`, `%HOMEDRIVE%%HOMEPATH%`, the first that is a writable
/// directory, else the first that exists, else the first that is set. An empty variable
/// counts as unset (Go's `os.Getenv` cannot tell them apart).
fn windows_home_dir(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let home = var("HOME");
    // client-go uses the pair only when both halves are set.
    let drive_path = match (var("HOMEDRIVE"), var("HOMEPATH")) {
        (Some(mut drive), Some(path)) => {
            drive.push(path);
            Some(drive)
        }
        _ => None,
    };
    let profile = var("USERPROFILE");

    // %HOMEDRIVE%%HOMEPATH% before %USERPROFILE% here: client-go keeps it for backward
    // compatibility.
    let with_config = [&home, &drive_path, &profile]
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .find(|dir| fs::metadata(dir.join(".kube").join("config")).is_ok());
    if with_config.is_some() {
        return with_config;
    }

    let mut first_set = None;
    let mut first_existing = None;
    for dir in [home, profile, drive_path].into_iter().flatten().map(PathBuf::from) {
        // Like Go's os.Stat: follows links, any error counts as absent.
        if let Ok(meta) = fs::metadata(&dir) {
            // Go's "owner may write" bit of a Windows file is the absence of the read-only
            // attribute, which is what `readonly()` reads there.
            if meta.is_dir() && !meta.permissions().readonly() {
                return Some(dir);
            }
            first_existing.get_or_insert_with(|| dir.clone());
        }
        first_set.get_or_insert(dir);
    }
    first_existing.or(first_set)
}

#[cfg(test)]
mod tests {
    //! Every branch of the Windows rule, on this platform's file system: the rule only asks
    //! whether a path exists, is a directory, and is read-only.

    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    fn lookup(vars: &[(&str, &Path)]) -> Option<PathBuf> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
            .collect();
        windows_home_dir(&|name| vars.get(name).cloned())
    }

    fn with_config(dir: &Path) -> PathBuf {
        fs::create_dir_all(dir.join(".kube")).unwrap();
        fs::write(dir.join(".kube").join("config"), "").unwrap();
        dir.to_path_buf()
    }

    fn read_only(dir: &Path) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        let mut perms = fs::metadata(dir).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(dir, perms).unwrap();
        dir.to_path_buf()
    }

    #[test]
    fn nothing_set_is_no_home() {
        assert_eq!(lookup(&[]), None);
        let empty = Path::new("");
        assert_eq!(lookup(&[("HOME", empty), ("USERPROFILE", empty)]), None);
    }

    #[test]
    fn the_first_holding_kube_config_wins_with_homedrive_before_userprofile() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        fs::create_dir(&home).unwrap();
        let drive = t.path().join("drive");
        let profile = with_config(&t.path().join("profile"));
        with_config(&drive.join("users").join("u"));
        let vars = [
            ("HOME", home.as_path()),
            ("HOMEDRIVE", drive.as_path()),
            ("HOMEPATH", Path::new("/users/u")),
            ("USERPROFILE", profile.as_path()),
        ];
        // HOME is a writable directory without .kube\config: the config decides.
        assert_eq!(lookup(&vars), Some(drive.join("users").join("u")));
        assert_eq!(lookup(&vars[1..]), Some(drive.join("users").join("u")));
        // Without HOMEPATH the pair is not used: USERPROFILE has the config.
        assert_eq!(lookup(&[vars[0], vars[1], vars[3]]), Some(profile.clone()));
        with_config(&home);
        assert_eq!(lookup(&vars), Some(home));
    }

    #[test]
    fn without_a_config_the_first_writable_directory_with_userprofile_before_homedrive() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("missing");
        let a_file = t.path().join("file");
        fs::write(&a_file, "").unwrap();
        let drive = t.path().join("drive");
        fs::create_dir(&drive).unwrap();
        let profile = t.path().join("profile");
        fs::create_dir(&profile).unwrap();
        let vars = |home: &Path| {
            lookup(&[
                ("HOME", home),
                ("HOMEDRIVE", drive.as_path()),
                ("HOMEPATH", Path::new("")),
                ("USERPROFILE", profile.as_path()),
            ])
        };
        // An empty HOMEPATH: the pair is unset. HOME missing, or a file: USERPROFILE.
        assert_eq!(vars(&missing), Some(profile.clone()));
        assert_eq!(vars(&a_file), Some(profile.clone()));
        // Both halves set: USERPROFILE still comes before HOMEDRIVE%HOMEPATH%.
        let both = [
            ("HOME", missing.as_path()),
            ("HOMEDRIVE", t.path()),
            ("HOMEPATH", Path::new("/drive")),
            ("USERPROFILE", profile.as_path()),
        ];
        assert_eq!(lookup(&both), Some(profile.clone()));
        assert_eq!(lookup(&[both[0], both[1], both[2]]), Some(drive.clone()));
    }

    #[test]
    fn without_a_writable_directory_the_first_existing_then_the_first_set() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("missing");
        let a_file = t.path().join("file");
        fs::write(&a_file, "").unwrap();
        let locked = read_only(&t.path().join("locked"));
        // A file exists though it is no directory; it comes before a read-only directory.
        assert_eq!(
            lookup(&[
                ("HOME", &missing),
                ("USERPROFILE", &a_file),
                ("HOMEDRIVE", t.path()),
                ("HOMEPATH", Path::new("/locked"))
            ]),
            Some(a_file.clone())
        );
        assert_eq!(
            lookup(&[("HOME", &missing), ("USERPROFILE", &locked)]),
            Some(locked.clone())
        );
        // Nothing exists: the first set, in the order HOME, USERPROFILE, HOMEDRIVE%HOMEPATH%.
        let other = t.path().join("other");
        assert_eq!(
            lookup(&[("USERPROFILE", &other), ("HOME", &missing)]),
            Some(missing.clone())
        );
        assert_eq!(
            lookup(&[
                ("HOMEDRIVE", t.path()),
                ("HOMEPATH", Path::new("/gone")),
                ("USERPROFILE", &other)
            ]),
            Some(other)
        );
        assert_eq!(
            lookup(&[("HOMEDRIVE", t.path()), ("HOMEPATH", Path::new("/gone"))]),
            Some(t.path().join("gone"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn elsewhere_home_is_dirs_home_dir() {
        assert_eq!(home_dir(), dirs::home_dir());
    }
}
