//! kubectl's kubeconfig lock: `<file>.lock` created exclusively for every file of the
//! chain before writing, removed afterwards. Taking the same lock means this tool and
//! kubectl never interleave their writes.
//!
//! kubectl's lock files are empty. Ours name their holder (`kubectl-satoken pid=… host=…
//! boot=… pidns=…`), so that a lock left behind by a killed kubectl-satoken can be told
//! from a live one: a lock whose holder ran on this host, in this boot and pid namespace,
//! and is no longer running is removed (under a `flock` of the directory, so that two
//! waiters never both remove one lock and then both take the next). Every other lock,
//! empty ones included, is waited for and then reported with the command that clears it.
//!
//! Whatever else is at a lock path (a FIFO, a symbolic link, a device, a directory, a socket,
//! a file larger than a lock line) is someone else's lock too: it is waited for and reported,
//! never followed, never read past a few KiB, and never opened in a way that could block
//! (see [`read_lock`]). A FIFO or a link to `/dev/zero` planted there must not stop a run for
//! longer than `--lock-timeout`, nor fill its memory.
//!
//! Having taken a file's lock, the leftovers of killed writers of that file are removed:
//! temp files of an interrupted atomic write (see `write::stage`) and, where locks are made
//! through named holder files (no `O_TMPFILE`), holder files of an interrupted lock
//! creation. Under the lock nobody else can be writing them.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::error::KubeconfigError;
use super::paths::{create_dir_all, parent_dir, resolve_target};
use crate::verbose;

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// First word of the lock files this tool writes.
const TAG: &str = "kubectl-satoken";
/// Suffix of the file a lock's content is written to before it is linked into place.
const HOLDER_SUFFIX: &str = ".holder";
/// Suffix of `write::stage`'s temp files, and the length of their random part (tempfile's
/// default). A test below stages a file to keep the two in step.
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM_LEN: usize = 6;
/// The most of a lock file that is read: kubectl's are empty and ours one short line.
const LOCK_READ_LIMIT: u64 = 4096;

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
    /// Each busy lock is retried with backoff until `timeout` has passed since the start;
    /// a lock left by a dead kubectl-satoken of this host is removed instead of waited for.
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
        let me = Holder::this_process();
        let mut locks = Locks { held: Vec::new() };
        for path in &sorted {
            // On error `locks` drops here and releases what was taken so far.
            let lock = lock_one(path, deadline, &me)?;
            locks.held.push(lock);
        }
        for path in &sorted {
            remove_leftovers(path);
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

/// Who wrote a lock file: enough to tell, on the same machine, whether it still runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pid: u32,
    /// Hostname, boot ID and pid namespace; `None` where they cannot be read (then a
    /// lock is never judged stale: a pid alone does not say which machine it is on).
    host: Option<String>,
    boot: Option<String>,
    pidns: Option<String>,
}

impl Holder {
    /// This process, as far as it can tell.
    fn this_process() -> Holder {
        Holder {
            pid: std::process::id(),
            host: read_word("/proc/sys/kernel/hostname"),
            boot: read_word("/proc/sys/kernel/random/boot_id"),
            pidns: fs::read_link("/proc/self/ns/pid")
                .ok()
                .and_then(|p| p.to_str().map(str::to_owned))
                .filter(|s| is_word(s)),
        }
    }

    /// The one line written into a lock file.
    fn line(&self) -> String {
        let mut line = format!("{TAG} pid={}", self.pid);
        for (key, value) in [("host", &self.host), ("boot", &self.boot), ("pidns", &self.pidns)] {
            if let Some(value) = value {
                line.push_str(&format!(" {key}={value}"));
            }
        }
        line.push('\n');
        line
    }

    /// Reads a lock file's content; `None` for anything but a line this tool wrote
    /// (kubectl's empty locks included).
    pub(crate) fn parse(text: &str) -> Option<Holder> {
        let mut words = text.lines().next()?.split(' ');
        if words.next()? != TAG {
            return None;
        }
        let mut holder = Holder {
            pid: 0,
            host: None,
            boot: None,
            pidns: None,
        };
        for word in words {
            let (key, value) = word.split_once('=')?;
            match key {
                "pid" => holder.pid = value.parse().ok()?,
                "host" => holder.host = Some(value.to_owned()).filter(|v| is_word(v)),
                "boot" => holder.boot = Some(value.to_owned()).filter(|v| is_word(v)),
                "pidns" => holder.pidns = Some(value.to_owned()).filter(|v| is_word(v)),
                _ => {} // a later version may say more
            }
        }
        (holder.pid != 0).then_some(holder)
    }

    /// Whether `self` ran on the same machine, boot and pid namespace as `me`, so that
    /// its pid means the same process number here.
    fn same_pid_space(&self, me: &Holder) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        same(&self.host, &me.host) && same(&self.boot, &me.boot) && same(&self.pidns, &me.pidns)
    }

    /// Whether this lock was left by a process that is gone: same pid space, not us, and
    /// no such process (or only its zombie).
    fn is_stale(&self, me: &Holder) -> bool {
        self.same_pid_space(me) && self.pid != me.pid && !process_runs(self.pid)
    }

    /// For the timeout message.
    fn describe(&self, me: &Holder) -> String {
        let host = self.host.as_deref().unwrap_or("an unknown host");
        if !self.same_pid_space(me) {
            format!(
                "held by kubectl-satoken pid {} on {host}, another machine, boot or container: \
                 it cannot be checked from here",
                self.pid
            )
        } else if self.pid == me.pid {
            "held by this very process".to_owned()
        } else {
            format!("held by kubectl-satoken pid {}, which is still running", self.pid)
        }
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && s.bytes().all(|b| b.is_ascii_graphic())
}

fn read_word(path: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let word = text.trim();
    is_word(word).then(|| word.to_owned())
}

/// Whether process `pid` of this pid namespace exists and is not a zombie. When that cannot
/// be known (no `/proc` of our own namespace, not Linux), it is assumed to run.
fn process_runs(pid: u32) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    // `/proc` must be the one of our pid namespace: `/proc/self` is then our pid.
    let own = fs::read_link("/proc/self")
        .ok()
        .is_some_and(|p| p.as_os_str() == std::process::id().to_string().as_str());
    if !own {
        return true;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state follows the last ')'; comm may hold anything.
        Ok(stat) => !matches!(
            stat.rfind(')')
                .and_then(|at| stat[at + 1..].trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().into_owned()
}

/// What is at a lock path, as far as this tool may look.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LockFile {
    /// Nothing: the lock is free.
    Missing,
    /// A regular file of at most [`LOCK_READ_LIMIT`] bytes: kubectl's (empty), ours (a
    /// holder line), or anything else written into a file, which [`Holder::parse`] tells apart.
    Text(String),
    /// A regular file that cannot be read: kubectl creates its lock mode 0, which only
    /// root reads.
    Unreadable,
    /// Something neither kubectl nor this tool makes there; says what it is.
    Other(&'static str),
}

impl LockFile {
    /// What the timeout message says about the lock's holder; `None` for the default wording.
    fn describe(&self, me: &Holder) -> Option<String> {
        match self {
            LockFile::Text(text) => Holder::parse(text).map(|h| h.describe(me)),
            LockFile::Other(what) => Some(format!(
                "it is {what}, which neither kubectl nor kubectl-satoken creates"
            )),
            LockFile::Missing | LockFile::Unreadable => None,
        }
    }
}

/// Reads what is at `path` without ever blocking: a symbolic link is not followed, only a
/// regular file is opened (non-blocking, so that a FIFO swapped in meanwhile does not wait for
/// a writer) and checked again once open, and at most [`LOCK_READ_LIMIT`] bytes are read.
pub(crate) fn read_lock(path: &Path) -> LockFile {
    match fs::symlink_metadata(path) {
        Ok(meta) => {
            if let Some(what) = not_regular(&meta.file_type()) {
                return LockFile::Other(what);
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return LockFile::Missing,
        Err(_) => return LockFile::Unreadable,
    }
    let file = match open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return LockFile::Missing,
        // Replaced by something else between the two looks (a link: ELOOP; a socket: ENXIO).
        Err(_) => match fs::symlink_metadata(path) {
            Ok(meta) => match not_regular(&meta.file_type()) {
                Some(what) => return LockFile::Other(what),
                None => return LockFile::Unreadable,
            },
            Err(_) => return LockFile::Unreadable,
        },
    };
    match file.metadata() {
        Ok(meta) => {
            if let Some(what) = not_regular(&meta.file_type()) {
                return LockFile::Other(what);
            }
        }
        Err(_) => return LockFile::Unreadable,
    }
    let mut bytes = Vec::new();
    if io::Read::read_to_end(&mut io::Read::take(file, LOCK_READ_LIMIT + 1), &mut bytes).is_err() {
        return LockFile::Unreadable;
    }
    if bytes.len() as u64 > LOCK_READ_LIMIT {
        return LockFile::Other("a file larger than a lock (over 4 KiB)");
    }
    LockFile::Text(String::from_utf8_lossy(&bytes).into_owned())
}

/// What a file type is, in words, unless it is a regular file.
fn not_regular(kind: &fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Opens `path` for reading without following a final symbolic link and without blocking
/// (a FIFO would otherwise wait for a writer forever, a terminal become ours).
#[cfg(target_os = "linux")]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
}

/// Elsewhere the look before opening must do: only a regular file gets here, and the type
/// is checked again on the open file.
#[cfg(not(target_os = "linux"))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    File::open(path)
}

fn lock_one(path: &Path, deadline: Instant, me: &Holder) -> Result<PathBuf, KubeconfigError> {
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
    let content = me.line();
    let mut backoff = FIRST_BACKOFF;
    loop {
        match create_lock(&lock, content.as_bytes()) {
            Ok(()) => return Ok(lock),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if remove_if_stale(&lock, me) {
                    continue;
                }
                let now = Instant::now();
                if now >= deadline {
                    let holder = read_lock(&lock).describe(me);
                    return Err(KubeconfigError::Locked {
                        path: path.to_path_buf(),
                        lock,
                        holder,
                    });
                }
                thread::sleep(backoff.min(deadline - now));
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => return Err(lock_error(e)),
        }
    }
}

/// Creates `lock` exclusively with `content` in it, in one step: the content is written to
/// a file without a name (Linux `O_TMPFILE`) that is then linked to the lock's name, which
/// fails if it exists, like O_CREAT|O_EXCL. A process killed at any moment thus leaves
/// neither an empty lock that would look like kubectl's nor anything else: an unlinked file
/// vanishes with its process. Where the file system has no `O_TMPFILE`, a named holder file
/// does the same job (see `create_lock_named`).
fn create_lock(lock: &Path, content: &[u8]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    match create_lock_anonymous(lock, content) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {}
        done => return done,
    }
    create_lock_named(lock, content)
}

#[cfg(target_os = "linux")]
fn create_lock_anonymous(lock: &Path, content: &[u8]) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    let fd = rustix::fs::open(
        parent_dir(lock),
        OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    let mut file = File::from(fd);
    file.write_all(content)?;
    // Linking through /proc needs no privilege (AT_EMPTY_PATH on the fd would).
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(CWD, proc_path.as_str(), CWD, lock, AtFlags::SYMLINK_FOLLOW)?;
    Ok(())
}

/// The portable way: the content is written to a named holder file first and hard-linked
/// to the lock's name. A process killed between creating and writing the holder leaves an
/// empty holder that cannot be told from a live one's, and so stays (it blocks nothing).
/// Where hard links are not supported the lock is created with O_CREAT|O_EXCL and then
/// written.
fn create_lock_named(lock: &Path, content: &[u8]) -> io::Result<()> {
    let dir = parent_dir(lock);
    let mut holder = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(lock)))
        .suffix(HOLDER_SUFFIX)
        .tempfile_in(dir)?;
    holder.write_all(content)?;
    match fs::hard_link(holder.path(), lock) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            let mut file = OpenOptions::new().write(true).create_new(true).open(lock)?;
            file.write_all(content)
        }
    }
    // `holder` is removed here; the lock keeps the content.
}

/// Removes `lock` if it names a holder that is gone; true if it did (retry at once).
fn remove_if_stale(lock: &Path, me: &Holder) -> bool {
    let LockFile::Text(seen) = read_lock(lock) else {
        return false;
    };
    if !Holder::parse(&seen).is_some_and(|h| h.is_stale(me)) {
        return false;
    }
    // Serialize with other waiters: without this, two of them could both judge the lock
    // stale, one removes it and takes a new one, and the other removes that new one. The
    // flock is released by the kernel if we are killed, so it can never go stale itself.
    let Ok(dir) = File::open(parent_dir(lock)) else {
        return false;
    };
    if dir.lock().is_err() {
        return false;
    }
    // Still the same dead holder? (Another waiter may have removed it and locked anew.)
    let still = matches!(read_lock(lock), LockFile::Text(now) if now == seen)
        && Holder::parse(&seen).is_some_and(|h| h.is_stale(me));
    let removed = still && fs::remove_file(lock).is_ok();
    drop(dir);
    if removed {
        verbose::log(
            1,
            format_args!("removed the stale lock {} ({})", lock.display(), seen.trim_end()),
        );
    }
    removed
}

/// Having locked `path`, removes what killed writers of it left: temp files of an atomic
/// write beside its (symlink-resolved) target, and holder files beside its lock whose
/// holder is gone. Best effort: a leftover is harmless, only untidy.
fn remove_leftovers(path: &Path) {
    if let Ok(target) = resolve_target(path) {
        let prefix = format!(".{}.", file_name(&target));
        remove_matching(parent_dir(&target), |name| {
            name.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
                .is_some_and(|random| {
                    random.len() == TEMP_RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric())
                })
        });
    }
    let lock = lock_path(path);
    let prefix = format!(".{}.", file_name(&lock));
    let me = Holder::this_process();
    remove_matching(parent_dir(&lock), |name| {
        name.starts_with(&prefix)
            && name.ends_with(HOLDER_SUFFIX)
            && matches!(read_lock(&parent_dir(&lock).join(name)),
                LockFile::Text(text) if Holder::parse(&text).is_some_and(|h| h.is_stale(&me)))
    });
}

fn remove_matching(dir: &Path, matches: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if entry.file_type().is_ok_and(|t| t.is_file()) && matches(name) && fs::remove_file(entry.path()).is_ok() {
            verbose::log(
                1,
                format_args!("removed {}, left by an interrupted write", entry.path().display()),
            );
        }
    }
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
    /// The pid of a process that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    fn holder_with_pid(pid: u32) -> Holder {
        Holder {
            pid,
            ..Holder::this_process()
        }
    }

    #[test]
    fn the_lock_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let locks = Locks::acquire(std::slice::from_ref(&a), Duration::ZERO).unwrap();
        let text = fs::read_to_string(lock_path(&a)).unwrap();
        assert!(
            text.starts_with(&format!("kubectl-satoken pid={} ", std::process::id())),
            "{text}"
        );
        assert_eq!(Holder::parse(&text), Some(Holder::this_process()));
        // On Linux the lock was made from an unnamed file: nothing else is in the directory,
        // so a kill at any moment could have left nothing else either.
        #[cfg(target_os = "linux")]
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(locks);
        // The holder file used to create the lock in one step is gone too.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_named_holder_way_makes_the_same_lock_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let lock = lock_path(&dir.path().join("a"));
        let line = Holder::this_process().line();
        create_lock_named(&lock, line.as_bytes()).unwrap();
        assert_eq!(fs::read_to_string(&lock).unwrap(), line);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "only the lock");
        let err = create_lock_named(&lock, b"other").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        #[cfg(target_os = "linux")]
        assert_eq!(
            create_lock_anonymous(&lock, b"other").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(
            fs::read_to_string(&lock).unwrap(),
            line,
            "the first one's content stays"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_host_is_identified() {
        let me = Holder::this_process();
        assert!(me.host.is_some() && me.boot.is_some() && me.pidns.is_some(), "{me:?}");
        assert!(process_runs(std::process::id()));
        assert!(!process_runs(dead_pid()));
    }

    #[test]
    fn parse_accepts_only_our_lines() {
        let line = "kubectl-satoken pid=42 host=h boot=b pidns=pid:[1] future=x\n";
        let h = Holder::parse(line).unwrap();
        assert_eq!(h.pid, 42);
        assert_eq!(h.host.as_deref(), Some("h"));
        assert_eq!(h.pidns.as_deref(), Some("pid:[1]"));
        assert_eq!(Holder::parse(&h.line()), Some(h));
        for other in [
            "",
            "\n",
            "kubectl-satoken\n",
            "kubectl-satoken pid=0 host=h\n",
            "kubectl-satoken pid=-3 host=h\n",
            "kubectl-satoken pid=x host=h\n",
            "kubectl-satoken pid=1 junk\n",
            "someone-else pid=1 host=h\n",
            "\u{0}\u{1}binary",
        ] {
            assert_eq!(Holder::parse(other), None, "{other:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_left_by_a_dead_process_of_this_host_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(lock_path(&a), holder_with_pid(dead_pid()).line()).unwrap();
        let start = Instant::now();
        let locks = Locks::acquire(std::slice::from_ref(&a), Duration::from_secs(10)).unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "it did not wait for the timeout"
        );
        let text = fs::read_to_string(lock_path(&a)).unwrap();
        assert_eq!(Holder::parse(&text), Some(Holder::this_process()), "now ours");
        drop(locks);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_zombie_holder_counts_as_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Exited but not reaped: /proc/PID still exists, in state Z.
        let zombie = (0..200).any(|_| {
            thread::sleep(Duration::from_millis(10));
            fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
        });
        assert!(zombie);
        assert!(!process_runs(pid));
        assert!(holder_with_pid(pid).is_stale(&Holder::this_process()));
        child.wait().unwrap();
    }

    #[test]
    fn a_lock_of_a_running_process_is_waited_for_and_named() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(lock_path(&a), holder_with_pid(child.id()).line()).unwrap();
        let err = Locks::acquire(std::slice::from_ref(&a), Duration::from_millis(100)).unwrap_err();
        child.kill().unwrap();
        child.wait().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "held by kubectl-satoken pid {}, which is still running",
                child.id()
            )),
            "{msg}"
        );
        assert!(msg.contains(&format!("remove {}", lock_path(&a).display())), "{msg}");
        assert!(lock_path(&a).exists());
    }

    #[test]
    fn locks_that_cannot_be_checked_from_here_are_never_removed() {
        let me = Holder::this_process();
        let dead = dead_pid();
        let cases = [
            // Another machine, another boot of this one, another container's pid namespace.
            Holder {
                host: Some("elsewhere".into()),
                ..holder_with_pid(dead)
            },
            Holder {
                boot: Some("an-earlier-boot".into()),
                ..holder_with_pid(dead)
            },
            Holder {
                pidns: Some("pid:[1]".into()),
                ..holder_with_pid(dead)
            },
            // A holder that could not tell where it ran.
            Holder {
                host: None,
                boot: None,
                pidns: None,
                ..holder_with_pid(dead)
            },
        ];
        for holder in cases {
            let dir = tempfile::tempdir().unwrap();
            let a = dir.path().join("a");
            fs::write(lock_path(&a), holder.line()).unwrap();
            let err = Locks::acquire(std::slice::from_ref(&a), Duration::from_millis(50)).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("cannot be checked from here"), "{holder:?}: {msg}");
            assert_eq!(fs::read_to_string(lock_path(&a)).unwrap(), holder.line());
        }
        // Nor is one that is not ours to read (kubectl's empty lock, or anything else).
        for content in ["", "kubectl-satoken pid=garbage\n", "locked by hand\n"] {
            let dir = tempfile::tempdir().unwrap();
            let a = dir.path().join("a");
            fs::write(lock_path(&a), content).unwrap();
            let err = Locks::acquire(std::slice::from_ref(&a), Duration::from_millis(50)).unwrap_err();
            assert!(
                err.to_string()
                    .contains("another kubectl or kubectl-satoken is writing it"),
                "{err}"
            );
            assert_eq!(fs::read_to_string(lock_path(&a)).unwrap(), content);
        }
        let _ = me;
    }

    /// Plants `kind` at `at`: what a hostile or careless neighbour could leave at a lock path.
    #[cfg(unix)]
    fn plant(kind: &str, at: &Path) {
        match kind {
            "fifo" => assert!(std::process::Command::new("mkfifo").arg(at).status().unwrap().success()),
            "zero" => std::os::unix::fs::symlink("/dev/zero", at).unwrap(),
            "null" => std::os::unix::fs::symlink("/dev/null", at).unwrap(),
            "dangling" => std::os::unix::fs::symlink("nowhere", at).unwrap(),
            "dir" => fs::create_dir(at).unwrap(),
            "socket" => drop(std::os::unix::net::UnixListener::bind(at).unwrap()),
            "big" => fs::write(at, vec![b'x'; 64 * 1024]).unwrap(),
            _ => unreachable!("{kind}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn read_lock_never_blocks_follows_or_reads_much() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        assert_eq!(read_lock(&at("missing")), LockFile::Missing);
        fs::write(at("empty"), "").unwrap();
        assert_eq!(read_lock(&at("empty")), LockFile::Text(String::new()));
        let line = Holder::this_process().line();
        fs::write(at("ours"), &line).unwrap();
        assert_eq!(read_lock(&at("ours")), LockFile::Text(line));
        for (kind, what) in [
            ("fifo", "a named pipe (FIFO)"),
            ("zero", "a symbolic link"),
            ("null", "a symbolic link"),
            ("dangling", "a symbolic link"),
            ("dir", "a directory"),
            ("socket", "a socket"),
            ("big", "a file larger than a lock (over 4 KiB)"),
        ] {
            plant(kind, &at(kind));
            let start = Instant::now();
            assert_eq!(read_lock(&at(kind)), LockFile::Other(what), "{kind}");
            assert!(start.elapsed() < Duration::from_secs(2), "{kind}");
        }
        // A device node itself (not a link to one), where mknod is allowed (root).
        let dev = at("dev");
        let made = std::process::Command::new("mknod")
            .arg(&dev)
            .args(["c", "1", "5"]) // /dev/zero's numbers
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if made {
            assert_eq!(read_lock(&dev), LockFile::Other("a device"));
        } else {
            eprintln!("mknod not permitted here: the device-node case is skipped");
        }
    }

    #[cfg(unix)]
    #[test]
    fn anything_but_a_lock_file_at_the_lock_path_is_waited_for_then_named_and_left_alone() {
        for kind in ["fifo", "zero", "dangling", "dir", "socket", "big"] {
            let dir = tempfile::tempdir().unwrap();
            let a = dir.path().join("a");
            fs::write(&a, "kind: Config\n").unwrap();
            let lock = lock_path(&a);
            plant(kind, &lock);
            let before = fs::symlink_metadata(&lock).unwrap();
            let start = Instant::now();
            let err = Locks::acquire(std::slice::from_ref(&a), Duration::from_millis(300)).unwrap_err();
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(300), "{kind}: waited for the timeout");
            assert!(took < Duration::from_secs(5), "{kind}: took {took:?}");
            let msg = err.to_string();
            assert!(matches!(err, KubeconfigError::Locked { .. }), "{kind}: {msg}");
            assert!(msg.contains(&format!("remove {}", lock.display())), "{kind}: {msg}");
            assert!(
                msg.contains("which neither kubectl nor kubectl-satoken creates"),
                "{kind}: {msg}"
            );
            let after = fs::symlink_metadata(&lock).unwrap();
            assert_eq!(before.file_type(), after.file_type(), "{kind}");
            assert_eq!(fs::read(&a).unwrap(), b"kind: Config\n");
        }
    }

    /// A holder file that is a FIFO or a link is not read either (a leftover is only ever a
    /// regular file this tool wrote).
    #[cfg(unix)]
    #[test]
    fn leftover_lookalikes_that_are_not_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        let fifo = dir.path().join(".config.lock.AbC123.holder");
        plant("fifo", &fifo);
        let link = dir.path().join(".config.lock.XyZ789.holder");
        plant("zero", &link);
        let start = Instant::now();
        let locks = Locks::acquire(std::slice::from_ref(&f), Duration::ZERO).unwrap();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert!(fs::symlink_metadata(&fifo).is_ok() && fs::symlink_metadata(&link).is_ok());
        drop(locks);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn waiters_racing_for_a_stale_lock_never_hold_it_together() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU32, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        for _round in 0..5 {
            fs::write(lock_path(&a), holder_with_pid(dead_pid()).line()).unwrap();
            let inside = Arc::new(AtomicU32::new(0));
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    let (a, inside) = (a.clone(), inside.clone());
                    thread::spawn(move || {
                        let locks = Locks::acquire(std::slice::from_ref(&a), Duration::from_secs(20)).unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders at once");
                        thread::sleep(Duration::from_millis(2));
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(locks);
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            assert!(!lock_path(&a).exists());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn leftovers_of_killed_writers_are_removed_under_the_lock() {
        use super::super::write::{ModePolicy, stage};
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "kind: Config\n").unwrap();
        // A write killed between staging and renaming: no destructor ran.
        std::mem::forget(stage(&f, &f, b"half", ModePolicy::KeepExisting).unwrap());
        // A lock creation killed before its holder file was removed, and one of a live
        // process (ours), which must stay.
        let dead_holder = dir.path().join(".config.lock.AbC123.holder");
        fs::write(&dead_holder, holder_with_pid(dead_pid()).line()).unwrap();
        let live_holder = dir.path().join(".config.lock.XyZ789.holder");
        fs::write(&live_holder, Holder::this_process().line()).unwrap();
        // Files that only look similar.
        let keep = [
            ".config.my-backup.tmp",
            ".config.AbC12.tmp",
            ".config.x.AbC123.tmp",
            ".other.AbC123.tmp",
            "config.AbC123.tmp",
        ];
        for name in keep {
            fs::write(dir.path().join(name), "").unwrap();
        }
        let listing = || -> Vec<String> {
            let mut names: Vec<String> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let before = listing();
        let forgotten: Vec<&String> = before
            .iter()
            .filter(|n| n.starts_with(".config.") && n.ends_with(".tmp") && !keep.contains(&n.as_str()))
            .collect();
        assert_eq!(forgotten.len(), 1, "{before:?}");
        let locks = Locks::acquire(std::slice::from_ref(&f), Duration::ZERO).unwrap();
        let after = listing();
        let gone: Vec<&String> = before.iter().filter(|n| !after.contains(n)).collect();
        let mut expected = [forgotten[0].clone(), ".config.lock.AbC123.holder".to_owned()];
        expected.sort();
        assert_eq!(gone, expected.iter().collect::<Vec<_>>());
        assert!(!dead_holder.exists());
        assert!(live_holder.exists());
        for name in keep {
            assert!(dir.path().join(name).exists(), "{name}");
        }
        assert_eq!(fs::read(&f).unwrap(), b"kind: Config\n");
        drop(locks);
    }
}
