//! Where files go: the target of a kubeconfig behind symlinks, the directory that holds a
//! file, and the directories to create for it. Shared by the lock and the writers.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where a write to `path` must land so that a symlinked kubeconfig stays a link:
/// the final target of the link chain, even when that target does not exist yet.
pub(crate) fn resolve_target(path: &Path) -> io::Result<PathBuf> {
    if let Ok(real) = fs::canonicalize(path) {
        return Ok(real);
    }
    // Missing file or dangling link: follow the links by hand (kubectl's plain write
    // would create the link's target).
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) => dir.join(next),
                    None => next,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// The directory that holds `path`; `.` for a bare file name.
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `mkdir -p` with mode 0755 for the directories it creates.
pub(crate) fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder.create(dir)
}

// Its one test makes symbolic links, which Windows grants only to some users.
#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    #[test]
    fn resolve_target_follows_links_even_dangling() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let link = dir.path().join("link");
        let link2 = dir.path().join("link2");
        std::os::unix::fs::symlink("real", &link).unwrap();
        std::os::unix::fs::symlink(&link, &link2).unwrap();
        assert_eq!(resolve_target(&link2).unwrap(), dir.path().join("real"));
        fs::write(&real, "").unwrap();
        assert_eq!(resolve_target(&link2).unwrap(), fs::canonicalize(&real).unwrap());
        let plain = dir.path().join("plain");
        assert_eq!(resolve_target(&plain).unwrap(), plain);
        let a = dir.path().join("loop-a");
        let b = dir.path().join("loop-b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        assert!(resolve_target(&a).is_err());
    }
}
