//! The release archives, built by `scripts/release --check` once per platform per test run:
//! every test that installs or runs an archive also proves that plugin.yaml's sha256 for it is
//! what this checkout builds. `.ci/run` builds them before `cargo test`, so here cargo finds
//! everything compiled and only the archive is written again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::{repo, run};

/// Where the tests' archives go (inside target/, never dist/).
pub fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-archives")
}

/// The archive for `platform` (`linux-amd64`, ...), built and checked against plugin.yaml.
pub fn archive(platform: &str) -> PathBuf {
    // One build at a time: two would only fight over the two cores and cargo's lock.
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get(platform) {
        return path.clone();
    }
    let out = out_dir();
    let start = std::time::Instant::now();
    let result = run(Command::new(repo().join("scripts/release"))
        .args(["--check", "--platform", platform, "--out"])
        .arg(&out))
    .ok();
    eprintln!(
        "scripts/release --check --platform {platform}: {:?}\n{}",
        start.elapsed(),
        result.stdout_text()
    );
    let path = out.join(format!("kubectl-satoken-{platform}.tar.gz"));
    built.insert(platform.to_string(), path.clone());
    path
}

/// The archive of `platform` unpacked into `dir` (by the system's tar, as a user would); the
/// path of its binary.
pub fn extract_binary(platform: &str, dir: &Path) -> PathBuf {
    let exe = if platform.starts_with("windows-") {
        "kubectl-satoken.exe"
    } else {
        "kubectl-satoken"
    };
    std::fs::create_dir_all(dir).expect("mkdir");
    run(Command::new("tar")
        .arg("-xzf")
        .arg(archive(platform))
        .arg("-C")
        .arg(dir))
    .ok();
    dir.join(exe)
}
