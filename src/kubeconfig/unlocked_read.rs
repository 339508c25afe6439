//! Reading a kubeconfig without its lock, waiting out a writer that may be rewriting it.
//!
//! kubectl writes a kubeconfig in place under `<file>.lock` (truncate, then write), so a
//! reader that does not take the lock can see the file empty or cut short, and a cut file
//! often still parses as YAML, only with entries missing. kubectl's own unlocked reads fail
//! that way ("illegal base64 data", seen in the concurrency test). A read is taken as it is
//! when the file did not change while it was read and no writer that writes in place holds
//! its lock; otherwise it is read again after a short pause, for up to [`SETTLE`]. Our own
//! writes replace the file by renaming (atomic), so a lock that names us is no reason to wait.

use std::fs::{self, Metadata};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::error::KubeconfigError;
use super::lock::{Holder, LockFile, lock_path, read_lock};
use super::raw_file::RawFile;
use crate::verbose;

/// How long a read waits for a writer that writes in place (kubectl holds its lock for
/// milliseconds). Past it, the last read is taken: a lock left by a killed kubectl, or a
/// file that never stops changing, must not stop every read for long.
const SETTLE: Duration = Duration::from_secs(1);
const PAUSE: Duration = Duration::from_millis(5);

/// What tells two states of a file apart without reading it: an in-place write changes its
/// size or times, a replacement by rename its inode.
#[derive(PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode_and_ctime: Option<(u64, u64, i64, i64)>,
}

impl Stamp {
    fn from(meta: &Metadata) -> Stamp {
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode_and_ctime: inode_and_ctime(meta),
        }
    }
}

#[cfg(unix)]
fn inode_and_ctime(meta: &Metadata) -> Option<(u64, u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()))
}

/// Windows: the file index and change time are only in unstable std API
/// (`windows_by_handle`); the size and write time (100 ns steps on NTFS) must do.
#[cfg(not(unix))]
fn inode_and_ctime(_: &Metadata) -> Option<(u64, u64, i64, i64)> {
    None
}

/// Whether `<path>.lock` is held by a writer that writes in place: any lock but ours. The
/// lock is looked at as the writers do ([`read_lock`]: a FIFO or a link to `/dev/zero` there
/// neither blocks nor fills memory); what is not ours counts as kubectl's, unreadable ones
/// included (kubectl creates its lock mode 0, which root reads anyway).
fn in_place_writer_holds_lock(path: &Path) -> bool {
    match read_lock(&lock_path(path)) {
        LockFile::Missing => false,
        LockFile::Text(text) => Holder::parse(&text).is_none(),
        LockFile::Unreadable | LockFile::Other(_) => true,
    }
}

/// Reads `path` as [`RawFile::read`] does, again while a writer may be in the middle of
/// rewriting it in place.
pub(crate) fn read_unlocked(path: &Path) -> Result<RawFile, KubeconfigError> {
    // Only a regular file is rewritten in place; a FIFO (`--kubeconfig <(…)`) can be read
    // only once, and reading it changes its times. Missing or odd files: as RawFile::read.
    let mut before = match fs::metadata(path) {
        Ok(meta) if meta.is_file() => Stamp::from(&meta),
        _ => return RawFile::read(path),
    };
    let deadline = Instant::now() + SETTLE;
    let mut waited = false;
    loop {
        let raw = RawFile::read(path)?;
        // `before` was taken before this read (after the previous one, on a retry: a wider
        // window, so a change is never missed, only a retry made more often).
        let after = fs::metadata(path).ok().map(|meta| Stamp::from(&meta));
        let still = after.as_ref() == Some(&before);
        if (still && !in_place_writer_holds_lock(path)) || Instant::now() >= deadline {
            return Ok(raw);
        }
        if !waited {
            waited = true;
            verbose::log(
                1,
                format_args!(
                    "{} is being written by another program: reading it again",
                    path.display()
                ),
            );
        }
        thread::sleep(PAUSE);
        if let Some(after) = after {
            before = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_file_is_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "kind: Config\n").unwrap();
        let start = Instant::now();
        let raw = read_unlocked(&f).unwrap();
        assert_eq!(raw.bytes.as_deref(), Some(&b"kind: Config\n"[..]));
        assert!(start.elapsed() < SETTLE);
        // Missing: nothing to wait for.
        assert!(read_unlocked(&dir.path().join("missing")).unwrap().bytes.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let writer = {
            let fifo = fifo.clone();
            thread::spawn(move || fs::write(fifo, "kind: Config\n").unwrap())
        };
        let raw = read_unlocked(&fifo).unwrap();
        writer.join().unwrap();
        assert_eq!(raw.bytes.as_deref(), Some(&b"kind: Config\n"[..]));
    }

    #[test]
    fn a_file_under_our_own_lock_is_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "kind: Config\n").unwrap();
        fs::write(lock_path(&f), "kubectl-satoken pid=1 host=h\n").unwrap();
        let start = Instant::now();
        read_unlocked(&f).unwrap();
        assert!(start.elapsed() < SETTLE);
    }

    #[test]
    fn a_file_kubectl_is_writing_is_read_once_it_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        // kubectl has truncated the file under its (empty) lock and not written it yet.
        fs::write(lock_path(&f), "").unwrap();
        fs::write(&f, "").unwrap();
        let writer = {
            let f = f.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(100));
                fs::write(&f, "kind: Config\ncurrent-context: done\n").unwrap();
                fs::remove_file(lock_path(&f)).unwrap();
            })
        };
        let raw = read_unlocked(&f).unwrap();
        writer.join().unwrap();
        assert_eq!(
            raw.bytes.as_deref(),
            Some(&b"kind: Config\ncurrent-context: done\n"[..])
        );
    }

    #[test]
    fn a_lock_that_stays_delays_a_read_only_for_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "kind: Config\n").unwrap();
        fs::write(lock_path(&f), "").unwrap();
        let start = Instant::now();
        let raw = read_unlocked(&f).unwrap();
        assert!(start.elapsed() >= SETTLE);
        assert_eq!(raw.bytes.as_deref(), Some(&b"kind: Config\n"[..]));
    }
    /// Something planted at the lock path delays a read as kubectl's lock does, no longer:
    /// a FIFO is not opened for a blocking read, a link to /dev/zero not followed.
    #[cfg(unix)]
    #[test]
    fn a_planted_lock_neither_blocks_a_read_nor_fills_memory() {
        for kind in ["fifo", "zero", "dir"] {
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("config");
            fs::write(&f, "kind: Config\n").unwrap();
            let lock = lock_path(&f);
            match kind {
                "fifo" => assert!(
                    std::process::Command::new("mkfifo")
                        .arg(&lock)
                        .status()
                        .unwrap()
                        .success()
                ),
                "zero" => std::os::unix::fs::symlink("/dev/zero", &lock).unwrap(),
                _ => fs::create_dir(&lock).unwrap(),
            }
            let start = Instant::now();
            let raw = read_unlocked(&f).unwrap();
            assert!(start.elapsed() < SETTLE * 3, "{kind}: {:?}", start.elapsed());
            assert_eq!(raw.bytes.as_deref(), Some(&b"kind: Config\n"[..]), "{kind}");
        }
    }
}
