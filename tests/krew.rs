//! The release archive and the krew manifest, used the way krew uses them.
//!
//! `scripts/release` is run once per test run (a release build: LTO, about 1-3 minutes) on a
//! temporary copy of plugin.yaml. Then:
//! - the archive holds what the manifest says, and its sha256 is in the manifest;
//! - installed with krew's own steps (verify the sha256, unpack, apply `files`, link
//!   `$KREW_ROOT/bin/kubectl-satoken` to the binary, write the receipt; the same as krew's
//!   `internal/installation`), `kubectl satoken --version` works through the link and
//!   `kubectl plugin list` shows the plugin with no warning; uninstalling removes it;
//! - with a real krew binary (`SATOKEN_KREW=/path/to/krew`), the same with
//!   `kubectl krew install --manifest --archive` and `kubectl krew uninstall`. The Go module
//!   proxy reachable here refuses `sigs.k8s.io/krew`, so krew cannot be built on these
//!   machines; that test is ignored unless asked for (`-- --ignored`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::{kubectl_bin, run};

const PLATFORM: &str = "linux-amd64";

struct Release {
    manifest: PathBuf,
    archive: PathBuf,
    /// The repository's plugin.yaml before the script ran.
    original: String,
}

/// Runs `scripts/release` once for this test binary, on a copy of plugin.yaml.
fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("krew-release");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir release dir");
        let repo_manifest = support::repo().join("plugin.yaml");
        let original = std::fs::read_to_string(&repo_manifest).expect("plugin.yaml");
        let manifest = dir.join("plugin.yaml");
        std::fs::write(&manifest, &original).expect("copy plugin.yaml");
        let out = dir.join("dist");
        let start = std::time::Instant::now();
        let mut cmd = Command::new(support::repo().join("scripts/release"));
        cmd.arg("--manifest").arg(&manifest).arg("--out").arg(&out);
        let result = run(&mut cmd).ok();
        eprintln!("scripts/release took {:?}\n{}", start.elapsed(), result.stderr_text());
        let after = std::fs::read_to_string(&repo_manifest).expect("plugin.yaml");
        assert_eq!(
            after, original,
            "scripts/release --manifest COPY changed the repository's plugin.yaml"
        );
        Release {
            manifest,
            archive: out.join(format!("kubectl-satoken-{PLATFORM}.tar.gz")),
            original,
        }
    })
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("plugin.yaml is YAML")
}

/// The manifest's entry for an `os-arch` platform.
fn platform<'a>(manifest: &'a Value, os_arch: &str) -> &'a Value {
    let (os, arch) = os_arch.split_once('-').expect("os-arch");
    manifest["spec"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .find(|p| p["selector"]["matchLabels"]["os"] == os && p["selector"]["matchLabels"]["arch"] == arch)
        .unwrap_or_else(|| panic!("no {os_arch} platform in the manifest"))
}

fn sha256(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path)).ok();
    out.stdout_text().split_whitespace().next().expect("digest").to_string()
}

fn text(cmd: &mut Command) -> String {
    run(cmd).ok().stdout_text()
}

#[test]
fn the_release_archive_is_what_the_manifest_names() {
    let r = release();
    let manifest = yaml(&std::fs::read_to_string(&r.manifest).expect("manifest"));
    let original = yaml(&r.original);

    // Its sha256 is written into the manifest; platforms not built here keep theirs.
    let entry = platform(&manifest, PLATFORM);
    assert_eq!(entry["sha256"], sha256(&r.archive), "sha256 of {}", r.archive.display());
    assert!(
        entry["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/kubectl-satoken-{PLATFORM}.tar.gz"))),
        "{entry}"
    );
    let dist = r.archive.parent().expect("dist");
    for p in manifest["spec"]["platforms"].as_array().expect("platforms") {
        let labels = &p["selector"]["matchLabels"];
        let name = format!(
            "{}-{}",
            labels["os"].as_str().unwrap_or(""),
            labels["arch"].as_str().unwrap_or("")
        );
        let archive = dist.join(format!("kubectl-satoken-{name}.tar.gz"));
        if archive.exists() {
            assert_eq!(p["sha256"], sha256(&archive), "{name}");
        } else {
            assert_eq!(
                p["sha256"],
                platform(&original, &name)["sha256"],
                "{name} was not built: unchanged"
            );
        }
    }

    // The archive holds the binary (executable) and LICENSE, nothing else, owned by root.
    let listing = text(Command::new("tar").arg("-tzvf").arg(&r.archive));
    let mut entries: Vec<(String, String)> = listing
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[f.len() - 1].to_string(), format!("{} {}", f[0], f[1]))
        })
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            ("LICENSE".to_string(), "-rw-r--r-- 0/0".to_string()),
            ("kubectl-satoken".to_string(), "-rwxr-xr-x 0/0".to_string())
        ],
        "{listing}"
    );
    let files: Vec<&str> = entry["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["from"].as_str())
        .collect();
    assert_eq!(files, ["kubectl-satoken", "LICENSE"]);
}

/// krew's install steps for one platform (krew `internal/installation`: `Install`,
/// `downloadAndExtract`, `moveToInstallDir`, `createOrUpdateLink`, receipt).
fn krew_install(root: &Path, manifest_path: &Path, archive: &Path) {
    let manifest = yaml(&std::fs::read_to_string(manifest_path).expect("manifest"));
    let name = manifest["metadata"]["name"].as_str().expect("name");
    let version = manifest["spec"]["version"].as_str().expect("version");
    let entry = platform(&manifest, PLATFORM);
    assert_eq!(
        entry["sha256"],
        sha256(archive),
        "krew refuses an archive whose sha256 differs from the manifest's"
    );
    let staging = tempfile::tempdir().expect("staging");
    run(Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(staging.path()))
    .ok();
    let install_dir = root.join("store").join(name).join(version);
    std::fs::create_dir_all(&install_dir).expect("mkdir store");
    for op in entry["files"].as_array().expect("files") {
        let from = staging.path().join(op["from"].as_str().expect("from"));
        assert!(from.exists(), "{} is not in the archive", from.display());
        let to = match op["to"].as_str().expect("to") {
            "." => install_dir.join(from.file_name().expect("file name")),
            to => install_dir.join(to),
        };
        std::fs::rename(&from, &to).expect("move into the store");
    }
    let bin = entry["bin"].as_str().expect("bin");
    assert!(
        install_dir.join(bin).is_file(),
        "bin {bin} is not in the installed files"
    );
    let bin_dir = root.join("bin");
    std::fs::create_dir_all(&bin_dir).expect("mkdir bin");
    let link = bin_dir.join(format!("kubectl-{}", name.replace('-', "_")));
    std::os::unix::fs::symlink(Path::new("..").join("store").join(name).join(version).join(bin), &link).expect("link");
    let receipts = root.join("receipts");
    std::fs::create_dir_all(&receipts).expect("mkdir receipts");
    std::fs::copy(manifest_path, receipts.join(format!("{name}.yaml"))).expect("receipt");
}

/// krew's `Uninstall`: the link, the plugin's store directory, the receipt.
fn krew_uninstall(root: &Path, name: &str) {
    std::fs::remove_file(root.join("bin").join(format!("kubectl-{name}"))).expect("remove link");
    std::fs::remove_dir_all(root.join("store").join(name)).expect("remove store");
    std::fs::remove_file(root.join("receipts").join(format!("{name}.yaml"))).expect("remove receipt");
}

/// kubectl with only `$KREW_ROOT/bin` and the system directories on PATH.
fn kubectl(home: &Path, root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(kubectl_bin());
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .env("KREW_ROOT", root)
        .env("PATH", format!("{}:/usr/bin:/bin", root.join("bin").display()))
        .current_dir(home);
    cmd
}

/// After an install: the plugin runs through krew's link, and `kubectl plugin list` shows it
/// with no warning.
fn check_installed(home: &Path, root: &Path) {
    let link = root.join("bin/kubectl-satoken");
    let target = std::fs::read_link(&link).expect("krew's link");
    assert!(target.starts_with("../store/satoken/"), "{}", target.display());
    let version = text(&mut kubectl(home, root, &["satoken", "--version"]));
    assert_eq!(version.trim(), format!("kubectl-satoken {}", env!("CARGO_PKG_VERSION")));
    let list = run(&mut kubectl(home, root, &["plugin", "list"])).ok();
    let all = format!("{}{}", list.stdout_text(), list.stderr_text());
    assert!(
        all.contains(&link.display().to_string()),
        "plugin list lacks {}:\n{list}",
        link.display()
    );
    assert!(!all.to_lowercase().contains("warning"), "plugin list warns:\n{list}");
}

fn check_uninstalled(home: &Path, root: &Path) {
    assert!(!root.join("bin/kubectl-satoken").exists());
    assert!(!root.join("store/satoken").exists());
    let list = run(&mut kubectl(home, root, &["plugin", "list"]));
    assert!(!list.stdout_text().contains("kubectl-satoken"), "still listed:\n{list}");
    let gone = run(&mut kubectl(home, root, &["satoken", "--version"])).fails();
    assert!(gone.stderr_text().contains("unknown command"), "{gone}");
}

#[test]
fn installed_the_way_krew_installs_it() {
    let r = release();
    let home = tempfile::tempdir().expect("home");
    let root = home.path().join(".krew");
    krew_install(&root, &r.manifest, &r.archive);
    check_installed(home.path(), &root);
    krew_uninstall(&root, "satoken");
    check_uninstalled(home.path(), &root);
}

/// With a krew binary (`SATOKEN_KREW`), the real `kubectl krew install --manifest --archive`.
#[test]
#[ignore = "needs a krew binary in SATOKEN_KREW: the Go module proxy here refuses sigs.k8s.io/krew"]
fn installed_and_uninstalled_by_krew() {
    let krew = std::env::var_os("SATOKEN_KREW")
        .map(PathBuf::from)
        .expect("SATOKEN_KREW names a krew binary");
    let r = release();
    let home = tempfile::tempdir().expect("home");
    let root = home.path().join(".krew");
    std::fs::create_dir_all(root.join("bin")).expect("mkdir");
    // krew as a kubectl plugin, outside KREW_ROOT/bin so that only the plugin is krew's.
    let tools = home.path().join("tools");
    std::fs::create_dir_all(&tools).expect("mkdir tools");
    std::os::unix::fs::symlink(&krew, tools.join("kubectl-krew")).expect("link krew");
    let with_krew = |args: &[&str]| {
        let mut cmd = kubectl(home.path(), &root, args);
        cmd.env(
            "PATH",
            format!("{}:{}:/usr/bin:/bin", root.join("bin").display(), tools.display()),
        );
        // No index update: everything comes from the manifest and the archive.
        cmd.env("KREW_NO_UPGRADE_CHECK", "1");
        cmd
    };
    let manifest = format!("--manifest={}", r.manifest.display());
    let archive = format!("--archive={}", r.archive.display());
    run(&mut with_krew(&["krew", "install", &manifest, &archive])).ok();
    check_installed(home.path(), &root);
    run(&mut with_krew(&["krew", "uninstall", "satoken"])).ok();
    check_uninstalled(home.path(), &root);
}
