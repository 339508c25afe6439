//! kubectl's kubeconfig lock: `<file>.lock` created with O_CREAT|O_EXCL for every file of
//! the chain before writing, removed afterwards. Taking the same lock means this tool and
//! kubectl never interleave their writes.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::error::KubeconfigError;

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// The lock file of a kubeconfig: the path as listed (symlinks not resolved), plus `.lock`.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// Locks held on a set of kubeconfig files; dropping it removes them all, on every exit
/// path including errors and panics that unwind.
#[derive(Debug)]
pub(crate) struct Locks {
    held: Vec<PathBuf>,
}

impl Locks {
    /// Locks every file, in sorted order (as kubectl does, so two writers cannot deadlock).
    /// Each busy lock is retried with backoff until `timeout` has passed since the start.
    pub(crate) fn acquire(files: &[PathBuf], timeout: Duration) -> Result<Locks, KubeconfigError> {
        // One file listed twice under two spellings (`a`, `./a`) must not wait on the
        // lock it already took: compare absolute forms (symlinks stay unresolved).
        let mut sorted: Vec<PathBuf> = files
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect();
        sorted.sort();
        sorted.dedup();
        let deadline = Instant::now() + timeout;
        let mut locks = Locks { held: Vec::new() };
        for path in sorted {
            // On error `locks` drops here and releases what was taken so far.
            let lock = lock_one(&path, deadline)?;
            locks.held.push(lock);
        }
        Ok(locks)
    }
}

impl Drop for Locks {
    fn drop(&mut self) {
        for lock in self.held.iter().rev() {
            // Nothing useful to do on failure here; a left-over lock is reported with its
            // path by the next writer.
            let _ = fs::remove_file(lock);
        }
    }
}

fn lock_one(path: &Path, deadline: Instant) -> Result<PathBuf, KubeconfigError> {
    let lock = lock_path(path);
    let lock_error = |source: io::Error| KubeconfigError::Lock {
        path: path.to_path_buf(),
        lock: lock.clone(),
        error: source,
    };
    // kubectl creates the kubeconfig's directory (0755) so the lock can be made there.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_all(dir).map_err(lock_error)?;
    }
    let mut backoff = FIRST_BACKOFF;
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(_) => return Ok(lock),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(KubeconfigError::Locked {
                        path: path.to_path_buf(),
                        lock,
                    });
                }
                thread::sleep(backoff.min(deadline - now));
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => return Err(lock_error(e)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_path_appends_to_the_listed_path() {
        assert_eq!(lock_path(Path::new("/x/config")), PathBuf::from("/x/config.lock"));
        assert_eq!(lock_path(Path::new("rel/k.yaml")), PathBuf::from("rel/k.yaml.lock"));
    }

    #[test]
    fn locks_are_created_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("sub").join("b");
        let locks = Locks::acquire(&[b.clone(), a.clone(), a.clone()], Duration::ZERO).unwrap();
        assert!(lock_path(&a).exists() && lock_path(&b).exists());
        assert_eq!(locks.held, [lock_path(&a), lock_path(&b)], "sorted, deduplicated");
        drop(locks);
        assert!(!lock_path(&a).exists() && !lock_path(&b).exists());
        // The kubeconfigs themselves are not created.
        assert!(!a.exists() && !b.exists());
    }

    #[test]
    fn one_file_under_two_spellings_is_locked_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let dotted = dir.path().join(".").join("a");
        let locks = Locks::acquire(&[a.clone(), dotted], Duration::ZERO).unwrap();
        assert_eq!(locks.held, [lock_path(&a)]);
    }

    #[cfg(unix)]
    #[test]
    fn missing_directory_is_created_0755() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("new").join("config");
        let locks = Locks::acquire(std::slice::from_ref(&f), Duration::ZERO).unwrap();
        let mode = fs::metadata(dir.path().join("new")).unwrap().permissions().mode();
        // umask may only take bits away.
        assert_eq!(mode & 0o7022, 0, "{mode:o}");
        assert_eq!(mode & 0o700, 0o700, "{mode:o}");
        drop(locks);
    }

    #[test]
    fn held_lock_times_out_naming_the_lock_file_and_releases_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(lock_path(&b), "").unwrap();
        let start = Instant::now();
        let err = Locks::acquire(&[a.clone(), b.clone()], Duration::from_millis(120)).unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(120));
        let msg = err.to_string();
        assert!(matches!(err, KubeconfigError::Locked { .. }), "{msg}");
        assert!(msg.contains(&*lock_path(&b).to_string_lossy()), "{msg}");
        assert!(msg.contains("remove"), "{msg}");
        // a's lock, taken first, was released; b's belongs to someone else and stays.
        assert!(!lock_path(&a).exists());
        assert!(lock_path(&b).exists());
    }

    #[test]
    fn lock_released_while_waiting_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let other = lock_path(&a);
        fs::write(&other, "").unwrap();
        let remover = {
            let other = other.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                fs::remove_file(other).unwrap();
            })
        };
        let locks = Locks::acquire(std::slice::from_ref(&a), Duration::from_secs(5)).unwrap();
        remover.join().unwrap();
        assert!(other.exists());
        drop(locks);
        assert!(!other.exists());
    }
}
