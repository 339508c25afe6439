//! Atomic file writes: a temp file in the target's own directory, written and synced,
//! then renamed over the target, then the directory synced. A reader (or a crash) sees
//! the old file or the new one, never half of one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::error::KubeconfigError;
use super::paths::{create_dir_all, parent_dir, resolve_target};

/// Mode of a kubeconfig this tool creates: it holds credentials.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// How the written file's mode is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModePolicy {
    /// Keep the mode (and, where allowed, owner) of the file being replaced; 0600 if new.
    KeepExisting,
    /// Always 0600, whatever was there.
    Private,
}

/// A file fully written to a temp file next to its target, waiting to be renamed in.
/// Dropping it without `commit` deletes the temp file and leaves the target untouched.
#[derive(Debug)]
pub(crate) struct Staged {
    tmp: NamedTempFile,
    target: PathBuf,
    shown: PathBuf,
}

/// Writes `contents` to a synced temp file beside `target`; `shown` is the path errors name.
pub(crate) fn stage(
    shown: &Path,
    target: &Path,
    contents: &[u8],
    policy: ModePolicy,
) -> Result<Staged, KubeconfigError> {
    stage_parts(shown, target, &[contents], policy)
}

/// Like [`stage`], the contents given as consecutive parts: a large file edited in a few
/// places is written from its old text and the new pieces, never assembled in memory.
pub(crate) fn stage_parts(
    shown: &Path,
    target: &Path,
    parts: &[&[u8]],
    policy: ModePolicy,
) -> Result<Staged, KubeconfigError> {
    let write_error = |source: io::Error| KubeconfigError::Write {
        path: shown.to_path_buf(),
        error: source,
    };
    let dir = parent_dir(target);
    create_dir_all(dir).map_err(write_error)?;
    let existing = match policy {
        ModePolicy::KeepExisting => fs::metadata(target).ok().filter(|m| m.is_file()),
        ModePolicy::Private => None,
    };
    // The user's own file is replaced by a rename, which needs only the directory's write
    // permission; kubectl writes it in place and fails on a file it may not write (0400, or
    // someone else's 0644). Honour the file's permission as kubectl does, before anything
    // is written.
    if existing.is_some()
        && let Err(error) = check_writable(target)
    {
        return Err(KubeconfigError::NotWritable {
            path: shown.to_path_buf(),
            error,
        });
    }
    let prefix = format!(".{}.", target.file_name().unwrap_or_default().to_string_lossy());
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_error)?;
    for part in parts {
        tmp.write_all(part).map_err(write_error)?;
    }
    match &existing {
        Some(meta) => keep_mode(tmp.as_file(), meta).map_err(write_error)?,
        None => set_private(tmp.as_file()).map_err(write_error)?,
    }
    tmp.as_file().sync_all().map_err(write_error)?;
    Ok(Staged {
        tmp,
        target: target.to_path_buf(),
        shown: shown.to_path_buf(),
    })
}

impl Staged {
    /// Renames the temp file over the target and syncs the directory.
    pub(crate) fn commit(self) -> Result<(), KubeconfigError> {
        let shown = self.shown;
        let dir = parent_dir(&self.target).to_path_buf();
        self.tmp.persist(&self.target).map_err(|e| KubeconfigError::Write {
            path: shown.clone(),
            error: e.error,
        })?;
        sync_dir(&dir).map_err(|source| KubeconfigError::Write {
            path: shown,
            error: source,
        })
    }

    /// Like `commit`, but fails with `Exists` instead of replacing a file that appeared.
    pub(crate) fn commit_new(self) -> Result<(), KubeconfigError> {
        let shown = self.shown;
        let dir = parent_dir(&self.target).to_path_buf();
        self.tmp
            .persist_noclobber(&self.target)
            .map_err(|e| match e.error.kind() {
                io::ErrorKind::AlreadyExists => KubeconfigError::Exists { path: shown.clone() },
                _ => KubeconfigError::Write {
                    path: shown.clone(),
                    error: e.error,
                },
            })?;
        sync_dir(&dir).map_err(|source| KubeconfigError::Write {
            path: shown,
            error: source,
        })
    }
}

/// Refuses, before anything is requested or written, a kubeconfig that a merge would have
/// to replace but that this user may not write (see [`stage_parts`]); links are followed
/// as the write follows them. A file that does not exist yet is fine: it is created.
pub fn check_can_merge_into(path: &Path) -> Result<(), KubeconfigError> {
    let Ok(target) = resolve_target(path) else {
        return Ok(()); // a link loop: the write itself reports it
    };
    match fs::metadata(&target) {
        Ok(meta) if meta.is_file() => check_writable(&target).map_err(|error| KubeconfigError::NotWritable {
            path: path.to_path_buf(),
            error,
        }),
        _ => Ok(()),
    }
}

/// Whether this process may open `path` for writing, as kubectl's open(O_WRONLY) of it
/// would: the effective ids, ACLs, read-only mounts and immutable files all count.
#[cfg(target_os = "linux")]
fn check_writable(path: &Path) -> io::Result<()> {
    use rustix::fs::{Access, AtFlags, CWD};
    match rustix::fs::accessat(CWD, path, Access::WRITE_OK, AtFlags::EACCESS) {
        // A kernel without faccessat2, in a setuid process: ask by opening it.
        Err(rustix::io::Errno::NOSYS) => check_writable_by_opening(path),
        done => done.map_err(io::Error::from),
    }
}

#[cfg(not(target_os = "linux"))]
fn check_writable(path: &Path) -> io::Result<()> {
    check_writable_by_opening(path)
}

/// Opens a regular file for writing without creating or truncating it: changes nothing.
fn check_writable_by_opening(path: &Path) -> io::Result<()> {
    fs::OpenOptions::new().write(true).open(path).map(drop)
}

/// Writes a standalone file (for `--output-file`): atomically, mode 0600. An existing path
/// is refused unless `force`; with `force` it is replaced whole (a symlink is replaced, not
/// followed: the file holds a token and must not land somewhere else).
///
/// Except where the path is not a file to replace: a device, FIFO or socket (directly or
/// through links), or a path through `/proc` such as `/dev/stdout` (a link to
/// `/proc/self/fd/1`), which names whatever this process's stdout is open on. Replacing
/// those would turn `/dev/null` or `/dev/stdout` into a file holding the token (as root it
/// did). They are written through instead, as a shell redirection writes them: opened for
/// appending, never created, truncated, renamed over or chmod-ed. Written through rather
/// than refused, because `--output-file /dev/stdout` or `--output-file >(consumer)` are
/// natural to type. They still take `--force`, as every existing path does.
pub fn write_new(path: &Path, contents: &[u8], force: bool) -> Result<(), KubeconfigError> {
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(KubeconfigError::Exists {
            path: path.to_path_buf(),
        });
    }
    if force && is_stream(path) {
        return write_through(path, contents).map_err(|error| KubeconfigError::Write {
            path: path.to_path_buf(),
            error,
        });
    }
    let staged = stage(path, path, contents, ModePolicy::Private)?;
    if force { staged.commit() } else { staged.commit_new() }
}

/// Whether `path` exists and is something to write into rather than a file to replace: it
/// resolves to neither a regular file nor a directory, or it is reached through `/proc` (a
/// process's own file descriptors, whatever they are open on: `/dev/stdout`, `/dev/fd/N`).
fn is_stream(path: &Path) -> bool {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => true,
        Ok(_) => through_proc(path),
        Err(_) => false,
    }
}

/// Whether `path`, or a link on the way to its target, lies under `/proc`. Only `/proc`:
/// `/dev/shm` and the like hold plain files, which are replaced as anywhere else.
#[cfg(unix)]
fn through_proc(path: &Path) -> bool {
    let proc = Path::new("/proc");
    let in_proc = |p: &Path| {
        p.starts_with(proc)
            || p.parent()
                .and_then(|d| fs::canonicalize(d).ok())
                .is_some_and(|d| d.starts_with(proc))
    };
    let mut current = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for _ in 0..40 {
        if in_proc(&current) {
            return true;
        }
        match fs::read_link(&current) {
            Ok(next) => current = parent_dir(&current).join(next),
            Err(_) => return false,
        }
    }
    false
}

#[cfg(not(unix))]
fn through_proc(_path: &Path) -> bool {
    false
}

/// Writes into `path` as `>>` would (O_WRONLY|O_APPEND, no O_CREAT, no O_TRUNC): a device or
/// pipe takes the bytes; a file behind `/dev/stdout` gets them after what is already there,
/// as stdout would. On Linux without becoming the controlling terminal of a terminal.
fn write_through(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.append(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.flush()
}

#[cfg(unix)]
fn set_private(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))
}

/// Windows has no mode to set: a new file gets the ACL its directory gives new files (in the
/// user's profile: the user, SYSTEM and Administrators).
#[cfg(not(unix))]
fn set_private(_file: &File) -> io::Result<()> {
    Ok(())
}

/// Gives the new file the replaced file's mode and, when they differ (e.g. root editing a
/// user's kubeconfig), its owner; the owner is best effort: without the right to chown, the
/// file stays ours.
#[cfg(unix)]
fn keep_mode(file: &File, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(own) = file.metadata()
        && (own.uid() != meta.uid() || own.gid() != meta.gid())
    {
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
    file.set_permissions(meta.permissions())
}

/// Windows has no mode to keep: its `Permissions` are the file's attributes (read-only,
/// hidden, ...), which tempfile's persist resets to normal when it renames the file in. Access
/// is the ACL, which the new file takes from its directory, as [`set_private`] says.
#[cfg(not(unix))]
fn keep_mode(_file: &File, _meta: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// Makes the rename durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows cannot open a directory as a file to sync it; NTFS journals the rename itself.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    /// The names in `dir`, sorted (the merge tests use it too).
    pub(in crate::kubeconfig) fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_new_creates_0600_and_refuses_existing() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out").join("sa.kubeconfig");
        write_new(&f, b"one", false).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"one");
        #[cfg(unix)]
        assert_eq!(mode(&f), 0o600);
        let err = write_new(&f, b"two", false).unwrap_err();
        assert!(matches!(err, KubeconfigError::Exists { .. }), "{err}");
        assert!(err.to_string().contains(&*f.to_string_lossy()));
        assert_eq!(fs::read(&f).unwrap(), b"one");
        assert_eq!(entries(f.parent().unwrap()), ["sa.kubeconfig"], "no temp file left");
    }

    #[cfg(unix)]
    #[test]
    fn write_new_force_replaces_and_makes_it_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("sa.kubeconfig");
        fs::write(&f, "old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        write_new(&f, b"new", true).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"new");
        assert_eq!(mode(&f), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn write_new_force_replaces_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::write(&elsewhere, "keep").unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        assert!(matches!(
            write_new(&link, b"x", false),
            Err(KubeconfigError::Exists { .. })
        ));
        write_new(&link, b"x", true).unwrap();
        assert!(!fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&elsewhere).unwrap(), b"keep");
    }

    #[cfg(unix)]
    fn kind_and_mode(path: &Path) -> (bool, bool, u32) {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let meta = fs::symlink_metadata(path).unwrap();
        let kind = meta.file_type();
        (
            kind.is_char_device(),
            kind.is_fifo(),
            meta.permissions().mode() & 0o7777,
        )
    }

    #[cfg(unix)]
    #[test]
    fn write_new_force_writes_through_a_device_and_never_replaces_or_chmods_it() {
        let dir = tempfile::tempdir().unwrap();
        // A char device of our own where mknod is allowed (root), else the system's /dev/null.
        let own = dir.path().join("null");
        let made = std::process::Command::new("mknod")
            .arg(&own)
            .args(["-m", "0666", "c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let device = if made {
            own
        } else {
            eprintln!("mknod not permitted here: /dev/null itself is the target");
            PathBuf::from("/dev/null")
        };
        let before = kind_and_mode(&device);
        assert!(before.0, "a char device");
        assert!(matches!(
            write_new(&device, b"token", false),
            Err(KubeconfigError::Exists { .. })
        ));
        write_new(&device, b"token", true).unwrap();
        assert_eq!(kind_and_mode(&device), before, "still the same device, same mode");
        // Through a link too: the link stays a link.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&device, &link).unwrap();
        write_new(&link, b"token", true).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(kind_and_mode(&device), before);
    }

    #[cfg(unix)]
    #[test]
    fn write_new_force_writes_into_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .args(["-m", "0640"])
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let before = kind_and_mode(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write_new(&fifo, b"kind: Config\n", true).unwrap();
        assert_eq!(reader.join().unwrap(), b"kind: Config\n");
        assert_eq!(kind_and_mode(&fifo), before);
        assert_eq!(entries(dir.path()), ["fifo"], "no temp file");
    }

    /// A link to this process's own stdout (what /dev/stdout is) is written through even when
    /// stdout is a regular file: appended to, never replaced by a file of our own.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_link_to_an_open_descriptor_is_written_through_even_onto_a_file() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let behind = dir.path().join("stdout-file");
        fs::write(&behind, "earlier output\n").unwrap();
        let open = fs::OpenOptions::new().append(true).open(&behind).unwrap();
        let link = dir.path().join("my-stdout");
        std::os::unix::fs::symlink(format!("/proc/self/fd/{}", open.as_raw_fd()), &link).unwrap();
        assert!(is_stream(&link));
        write_new(&link, b"kind: Config\n", true).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&behind).unwrap(), b"earlier output\nkind: Config\n");
        drop(open);
        // A plain link to a plain file is still replaced, not followed.
        let plain = dir.path().join("plain-link");
        std::os::unix::fs::symlink(&behind, &plain).unwrap();
        assert!(!is_stream(&plain));
    }

    #[cfg(unix)]
    #[test]
    fn stage_keeps_existing_mode_and_commit_is_atomic() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        fs::write(&f, "old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        let staged = stage(&f, &f, b"new", ModePolicy::KeepExisting).unwrap();
        // Until commit the old content is in place.
        assert_eq!(fs::read(&f).unwrap(), b"old");
        staged.commit().unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"new");
        assert_eq!(mode(&f), 0o644);
        assert_eq!(entries(dir.path()), ["config"]);
    }

    #[test]
    fn staged_parts_are_written_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        let staged = stage_parts(&f, &f, &[b"one ", b"", b"two\n"], ModePolicy::KeepExisting).unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"one two\n");
    }

    #[test]
    fn dropped_stage_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        let staged = stage(&f, &f, b"x", ModePolicy::KeepExisting).unwrap();
        drop(staged);
        assert!(entries(dir.path()).is_empty());
    }

    /// Windows has no modes: a written file, new (`--output-file`) or replacing one that had
    /// an ACL of its own (a merge), has the ACL its directory gives every new file. `icacls`
    /// prints a file's ACL, after the file's own name.
    #[cfg(windows)]
    #[test]
    fn on_windows_a_written_file_has_the_acl_its_directory_gives_new_files() {
        fn icacls(path: &Path, args: &[&str]) -> String {
            let out = std::process::Command::new("icacls")
                .arg(path)
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "icacls {} {args:?}: {out:?}", path.display());
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.replacen(&*path.to_string_lossy(), "", 1)
        }
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh");
        fs::write(&fresh, "").unwrap();
        let inherited = icacls(&fresh, &[]);
        let out = dir.path().join("out");
        write_new(&out, b"token", false).unwrap();
        assert_eq!(icacls(&out, &[]), inherited);
        let merged = dir.path().join("config");
        fs::write(&merged, "old").unwrap();
        // Everyone may read and write it, nothing inherited.
        icacls(&merged, &["/inheritance:r", "/grant:r", "*S-1-1-0:(R,W)"]);
        assert_ne!(icacls(&merged, &[]), inherited);
        stage(&merged, &merged, b"new", ModePolicy::KeepExisting)
            .unwrap()
            .commit()
            .unwrap();
        assert_eq!(fs::read(&merged).unwrap(), b"new");
        assert_eq!(icacls(&merged, &[]), inherited);
    }
}
