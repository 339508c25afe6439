//! The release archive and the krew manifest, used by krew itself.
//!
//! The linux-amd64 archive comes from `scripts/release --check` (support::release: built once
//! per test run, and proved to be the one plugin.yaml names), and `tests/krew/tools` builds
//! krew v0.4.3 and its `validate-krew-manifest` once (cached). Then:
//! - the archive holds the binary and LICENSE and nothing else, with krew's modes and owner;
//! - krew's own validator accepts the manifest; krew refuses an archive of another sha256;
//!   `kubectl krew install --manifest --archive` installs it (krew checks the sha256, unpacks, applies `files`, links the binary under
//!   `$KREW_ROOT/bin`), `kubectl satoken --version` runs through that link, `kubectl plugin
//!   list` shows it with no warning, and `kubectl krew uninstall satoken` removes it;
//! - `.krew.yaml`, the template krew-release-bot renders for each release, renders to
//!   plugin.yaml, and krew's validator accepts the result;
//! - the release workflow publishes every platform of plugin.yaml and runs each archive on
//!   its own OS and CPU.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::{kubectl_bin, run, yaml};

const PLATFORM: &str = "linux-amd64";

struct Release {
    /// A copy of plugin.yaml, named as krew's validator wants it.
    manifest: PathBuf,
    /// The repository's plugin.yaml.
    original: String,
}

impl Release {
    /// The archive `scripts/release --check` built (so plugin.yaml names exactly it).
    fn archive(&self, platform: &str) -> PathBuf {
        support::release::archive(platform)
    }
}

/// plugin.yaml copied as `satoken.yaml`, once for this test binary.
fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("krew-release");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir release dir");
        let original = read(&support::repo().join("plugin.yaml"));
        let manifest = dir.join("satoken.yaml");
        std::fs::write(&manifest, &original).expect("copy plugin.yaml");
        Release { manifest, original }
    })
}

/// The directory holding `kubectl-krew` and `validate-krew-manifest` (built once, cached).
fn krew_tools() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let start = std::time::Instant::now();
        let out = run(&mut Command::new(support::repo().join("tests/krew/tools"))).ok();
        eprintln!("tests/krew/tools took {:?}\n{}", start.elapsed(), out.stderr_text());
        let dir = PathBuf::from(out.stdout_text().trim_end());
        for bin in ["kubectl-krew", "validate-krew-manifest"] {
            assert!(
                dir.join(bin).is_file(),
                "tests/krew/tools printed {}, which lacks {bin}",
                dir.display()
            );
        }
        dir
    })
}

/// krew's own manifest checks (the ones krew-index's CI runs), without downloading the
/// platforms' URIs. The file must be named `<plugin name>.yaml`.
pub fn validate(manifest: &Path) {
    assert_eq!(manifest.file_name().and_then(|n| n.to_str()), Some("satoken.yaml"));
    run(Command::new(krew_tools().join("validate-krew-manifest"))
        .arg("-skip-install")
        .arg("-manifest")
        .arg(manifest))
    .ok();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
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

/// `os-arch` of every platform entry, in the manifest's order.
fn platform_names(manifest: &Value) -> Vec<String> {
    manifest["spec"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| {
            let labels = &p["selector"]["matchLabels"];
            format!(
                "{}-{}",
                labels["os"].as_str().unwrap_or(""),
                labels["arch"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn sha256(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path)).ok();
    out.stdout_text().split_whitespace().next().expect("digest").to_string()
}

/// The archive holds the binary (executable) and LICENSE, nothing else, owned by root: krew
/// installs whatever `files` selects, so this is checked here, not by krew.
#[test]
fn the_release_archive_is_what_the_manifest_names() {
    let r = release();
    let manifest = yaml(&read(&r.manifest));
    assert_eq!(platform(&manifest, PLATFORM)["sha256"], sha256(&r.archive(PLATFORM)));

    let archive = r.archive(PLATFORM);
    let listing = run(Command::new("tar").arg("-tzvf").arg(&archive)).ok().stdout_text();
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
}

/// kubectl with `$KREW_ROOT/bin`, krew (as the plugin `kubectl-krew`) and the system
/// directories on PATH, and nothing of the caller's environment.
fn kubectl(home: &Path, root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(kubectl_bin());
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .env("KREW_ROOT", root)
        // No look-up of a newer krew on GitHub: everything comes from the manifest and archive.
        .env("KREW_NO_UPGRADE_CHECK", "1")
        .env(
            "PATH",
            format!(
                "{}:{}:/usr/bin:/bin",
                root.join("bin").display(),
                krew_tools().display()
            ),
        )
        .current_dir(home);
    cmd
}

fn plugin_list(home: &Path, root: &Path) -> String {
    let list = run(&mut kubectl(home, root, &["plugin", "list"]));
    format!("{}{}", list.stdout_text(), list.stderr_text())
}

#[test]
fn installed_and_uninstalled_by_krew() {
    let r = release();
    validate(&r.manifest);
    let version = yaml(&r.original)["spec"]["version"]
        .as_str()
        .expect("spec.version")
        .to_string();

    let home = tempfile::tempdir().expect("home");
    let root = home.path().join(".krew");
    let archive = format!("--archive={}", r.archive(PLATFORM).display());

    // An archive that is not the one the manifest names is refused, and nothing is linked.
    let text = read(&r.manifest);
    let digest = sha256(&r.archive(PLATFORM));
    let other = home.path().join("satoken.yaml");
    std::fs::write(&other, text.replace(&digest, &"0".repeat(64))).expect("write manifest");
    let manifest = format!("--manifest={}", other.display());
    run(&mut kubectl(
        home.path(),
        &root,
        &["krew", "install", &manifest, &archive],
    ))
    .fails()
    .stderr_has("checksum does not match");
    assert!(!root.join("bin/kubectl-satoken").exists());

    let manifest = format!("--manifest={}", r.manifest.display());
    run(&mut kubectl(
        home.path(),
        &root,
        &["krew", "install", &manifest, &archive],
    ))
    .ok();

    // krew's link runs the binary it unpacked into its store, with the LICENSE beside it
    // (krew-index's CI requires one).
    let link = root.join("bin/kubectl-satoken");
    let store = root.join("store/satoken").join(&version);
    let target = std::fs::canonicalize(&link).expect("krew's link resolves");
    assert_eq!(
        target,
        std::fs::canonicalize(store.join("kubectl-satoken")).expect("store")
    );
    assert!(store.join("LICENSE").is_file(), "no LICENSE in {}", store.display());
    let out = run(&mut kubectl(home.path(), &root, &["satoken", "--version"])).ok();
    assert_eq!(
        out.stdout_text().trim(),
        format!("kubectl-satoken {}", env!("CARGO_PKG_VERSION"))
    );
    let list = plugin_list(home.path(), &root);
    assert!(
        list.contains(&link.display().to_string()),
        "plugin list lacks {}:\n{list}",
        link.display()
    );
    assert!(!list.to_lowercase().contains("warning"), "plugin list warns:\n{list}");

    // Uninstalling reads the index, which an install from a manifest never fetched: an empty
    // one (a git repository with no plugins) stands in, so nothing is downloaded.
    let index = root.join("index/default");
    std::fs::create_dir_all(index.join("plugins")).expect("mkdir index");
    run(Command::new("git").args(["init", "-q"]).arg(&index)).ok();
    run(&mut kubectl(home.path(), &root, &["krew", "uninstall", "satoken"])).ok();

    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "{} is still there",
        link.display()
    );
    assert!(!root.join("store/satoken").exists());
    let list = plugin_list(home.path(), &root);
    assert!(!list.contains(&link.display().to_string()), "still listed:\n{list}");
    run(&mut kubectl(home.path(), &root, &["satoken", "--version"]))
        .fails()
        .stderr_has("unknown command");
}

/// What krew-release-bot does with `.krew.yaml` (its `RenderTemplate`: Go's text/template with
/// the release's tag as `.TagName` and `addURIAndSha URL TAG`, which renders URL with the tag
/// and returns `uri: URL` and, at the platform's indentation, `sha256: DIGEST` of the
/// downloaded asset). `digest` stands in for the download. Only these two actions are
/// rendered: anything else the bot might render differently, so it fails the test.
fn render_krew_template(template: &str, tag: &str, digest: &dyn Fn(&str) -> String) -> String {
    const ADD: &str = "addURIAndSha";
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let action = rest[open + 2..].trim_start();
        let (rendered, after) = if let Some(args) = action.strip_prefix(ADD) {
            let args = args
                .trim_start()
                .strip_prefix('"')
                .expect("addURIAndSha takes a string");
            let end = args.find('"').expect("the URL string ends");
            let url = &args[..end];
            assert!(!url.contains('\\'), "escapes in {url}");
            let after = args[end + 1..]
                .trim_start()
                .strip_prefix(".TagName")
                .expect("addURIAndSha's tag is .TagName");
            let after = after
                .trim_start()
                .strip_prefix("}}")
                .expect("addURIAndSha URL .TagName }}");
            let url = render_krew_template(url, tag, &|_| unreachable!("addURIAndSha inside a URL"));
            let sha = digest(&url);
            (format!("uri: {url}\n    sha256: {sha}"), after)
        } else if let Some(after) = action.strip_prefix(".TagName") {
            let after = after.trim_start().strip_prefix("}}").expect("{{ .TagName }}");
            (tag.to_string(), after)
        } else {
            panic!("an action krew-release-bot's template may render otherwise: {{{{{action:.40}");
        };
        out.push_str(&rendered);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[test]
fn the_krew_release_bot_template_renders_plugin_yaml() {
    let r = release();
    let manifest = yaml(&read(&r.manifest));
    let tag = manifest["spec"]["version"].as_str().expect("spec.version");
    let template = read(&support::repo().join(".krew.yaml"));
    let by_uri = |uri: &str| -> String {
        let name = platform_names(&manifest)
            .into_iter()
            .find(|n| platform(&manifest, n)["uri"] == uri)
            .unwrap_or_else(|| panic!("plugin.yaml has no platform with uri {uri}"));
        // The archive built here, as the bot downloads the published one.
        sha256(&r.archive(&name))
    };
    let rendered = render_krew_template(&template, tag, &by_uri);
    // The bot writes sha256 unquoted: a digest of digits only (the all-zero placeholder of a
    // platform never built) would be read as a number, and krew would refuse the manifest.
    let document = yaml(&rendered);
    for name in platform_names(&document) {
        let sha = &platform(&document, &name)["sha256"];
        assert!(
            sha.as_str().is_some_and(|s| s.len() == 64),
            "{name}: sha256 {sha} as krew-release-bot would write it is no digest; is plugin.yaml's a placeholder? (scripts/release writes the real ones)"
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("satoken.yaml");
    std::fs::write(&path, &rendered).expect("write rendered manifest");
    validate(&path);

    // The same document as plugin.yaml (with this build's sha256): same platforms in the same
    // order, uris, files, bin, descriptions, version. Only YAML formatting may differ.
    assert_eq!(platform_names(&document), platform_names(&manifest));
    assert_eq!(
        document,
        manifest,
        "the rendered .krew.yaml differs from plugin.yaml:\n{}",
        read(&path)
    );
}

#[test]
fn the_template_renderer_refuses_what_it_does_not_know() {
    let tag = "v1.2.3";
    let sha = |url: &str| format!("sha-of-{url}");
    assert_eq!(
        render_krew_template(
            "v: {{ .TagName }}\n    {{addURIAndSha \"https://x/{{ .TagName }}/a.tgz\" .TagName }}\n",
            tag,
            &sha
        ),
        "v: v1.2.3\n    uri: https://x/v1.2.3/a.tgz\n    sha256: sha-of-https://x/v1.2.3/a.tgz\n"
    );
    for unknown in ["{{ .Version }}", "{{- .TagName }}", "{{ indent 4 .TagName }}"] {
        let refused = std::panic::catch_unwind(|| render_krew_template(unknown, tag, &sha));
        assert!(refused.is_err(), "rendered {unknown}");
    }
}

/// Every platform of plugin.yaml is built and published by the release workflow, and its
/// archive runs there on its own OS and CPU: linux-amd64 in the build job, the others in the
/// `run` matrix.
#[test]
fn the_release_workflow_runs_every_platform() {
    let workflow = yaml(&read(&support::repo().join(".github/workflows/release.yml")));
    let jobs = &workflow["jobs"];
    let mut ran: Vec<String> = jobs["run"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("run.strategy.matrix.include")
        .iter()
        .map(|m| m["platform"].as_str().expect("platform").to_string())
        .collect();
    let build = serde_json::to_string(&jobs["build"]).expect("json");
    assert!(build.contains(&format!("kubectl-satoken-{PLATFORM}.tar.gz")), "{build}");
    ran.push(PLATFORM.to_string());
    ran.sort();
    let mut platforms = platform_names(&yaml(&read(&support::repo().join("plugin.yaml"))));
    platforms.sort();
    assert_eq!(ran, platforms);
    let publish = serde_json::to_string(&jobs["publish"]).expect("json");
    assert!(
        publish.contains("kubectl-satoken-*.tar.gz") && publish.contains("SHA256SUMS"),
        "{publish}"
    );
}
