//! Several standalone files written all or nothing (`--output-dir`): every file is staged
//! (written and synced beside its target) before any is renamed in, and a rename that fails
//! puts back what the earlier ones replaced. A failed run leaves every target as it was.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use super::error::KubeconfigError;
use super::write::{ModePolicy, stage};

/// Writes each `(path, contents)` as `write_new` would (0600; an existing path only with
/// `force`, replaced whole, a symlink replaced rather than followed), all or none.
pub fn write_all(files: &[(PathBuf, Vec<u8>)], force: bool) -> Result<(), KubeconfigError> {
    let mut staged = Vec::with_capacity(files.len());
    for (path, contents) in files {
        if let Ok(meta) = fs::symlink_metadata(path) {
            if !force {
                return Err(KubeconfigError::Exists { path: path.clone() });
            }
            // A rename cannot replace a directory: found now, before any file is replaced.
            if meta.is_dir() {
                return Err(KubeconfigError::Write {
                    path: path.clone(),
                    error: io::Error::other("a directory is in the way; remove it or choose another --output-dir"),
                });
            }
        }
        staged.push(stage(path, path, contents, ModePolicy::Private)?);
    }
    // What --force replaces stays reachable (a hard link beside it) until every rename is done.
    let backups: Vec<Backup> = files.iter().map(|(path, _)| backup(path)).collect();
    for (i, file) in staged.into_iter().enumerate() {
        let renamed = if force { file.commit() } else { file.commit_new() };
        if let Err(e) = renamed {
            for (j, (path, _)) in files.iter().enumerate().take(i) {
                put_back(path, &backups[j]);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// What was at a target before the run.
enum Backup {
    /// Nothing: the new file goes again if the run fails.
    Nothing,
    /// A hard link to the old file, deleted when dropped.
    Kept(TempPath),
    /// A file that could not be linked (a file system without hard links): it cannot be put
    /// back, so the new file stays rather than leaving neither.
    Lost,
}

fn backup(path: &Path) -> Backup {
    if fs::symlink_metadata(path).is_err() {
        return Backup::Nothing;
    }
    link_beside(path).map_or(Backup::Lost, Backup::Kept)
}

/// A hard link to the file (or symlink) at `path`, deleted when dropped.
fn link_beside(path: &Path) -> Option<TempPath> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = format!(".{}.", path.file_name()?.to_string_lossy());
    tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".old")
        .make_in(dir, |link| fs::hard_link(path, link))
        .ok()
        .map(tempfile::NamedTempFile::into_temp_path)
}

/// Undoes one rename: the old file back, or the new file gone if there was none.
fn put_back(path: &Path, backup: &Backup) {
    let _ = match backup {
        Backup::Kept(old) => fs::rename(old, path),
        Backup::Nothing => fs::remove_file(path),
        Backup::Lost => Ok(()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_replaced_when_one_target_cannot_be() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.kubeconfig");
        let b = dir.path().join("b.kubeconfig");
        fs::write(&a, "old a").unwrap();
        fs::create_dir(&b).unwrap();
        let files = vec![(a.clone(), b"new a".to_vec()), (b.clone(), b"new b".to_vec())];
        let err = write_all(&files, true).unwrap_err();
        assert!(err.to_string().contains("a directory is in the way"), "{err}");
        assert_eq!(fs::read(&a).unwrap(), b"old a");
        assert!(b.is_dir());
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a.kubeconfig", "b.kubeconfig"], "no temp file left");
    }

    #[test]
    fn all_are_written_and_no_backup_or_temp_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let new = dir.path().join("new");
        fs::write(&a, "old a").unwrap();
        let files = vec![(a.clone(), b"new a".to_vec()), (new.clone(), b"new".to_vec())];
        assert!(matches!(write_all(&files, false), Err(KubeconfigError::Exists { .. })));
        assert!(!new.exists(), "refused before anything was written");
        write_all(&files, true).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(fs::read(&new).unwrap(), b"new");
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a", "new"]);
    }

    #[test]
    fn put_back_restores_the_old_file_or_removes_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(&a, "old").unwrap();
        let old = backup(&a);
        assert!(matches!(old, Backup::Kept(_)));
        stage(&a, &a, b"new", ModePolicy::Private).unwrap().commit().unwrap();
        put_back(&a, &old);
        assert_eq!(fs::read(&a).unwrap(), b"old");
        let b = dir.path().join("b");
        fs::write(&b, "new").unwrap();
        assert!(matches!(backup(&dir.path().join("missing")), Backup::Nothing));
        put_back(&b, &Backup::Nothing);
        assert!(!b.exists());
        // An old file that could not be kept is never removed in its place.
        fs::write(&b, "new").unwrap();
        put_back(&b, &Backup::Lost);
        assert_eq!(fs::read(&b).unwrap(), b"new");
    }
}
