//! plugin.yaml: krew's own validator accepts it (`validate-krew-manifest`, as krew-index's CI
//! runs it), it lists the six platforms this project releases, each archive named and holding
//! what the release builds, and its version is Cargo.toml's.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{krew, support};

fn manifest() -> Value {
    let path = support::repo().join("plugin.yaml");
    let text = std::fs::read_to_string(path).expect("plugin.yaml");
    serde_saphyr::from_str(&text).expect("plugin.yaml is YAML")
}

/// krew's own checks (name, semver version with `v`, one-line shortDescription, selectors,
/// sha256 form, no two platforms selecting the same os/arch), by krew's validator.
#[test]
fn krews_validator_accepts_the_manifest() {
    let dir = tempfile::tempdir().expect("tmp");
    // The validator wants the file named after the plugin.
    let copy = dir.path().join("satoken.yaml");
    std::fs::copy(support::repo().join("plugin.yaml"), &copy).expect("copy plugin.yaml");
    krew::validate(&copy);
}

/// What krew does not check: the six platforms this project releases, each archive named
/// after its platform in this version's release, holding the binary krew links and LICENSE.
#[test]
fn the_manifest_names_the_six_release_archives() {
    let m = manifest();
    assert_eq!(
        m["metadata"]["name"], "satoken",
        "the plugin is invoked as `kubectl satoken`"
    );
    let version = m["spec"]["version"].as_str().expect("spec.version");
    let mut seen = BTreeSet::new();
    for p in m["spec"]["platforms"].as_array().expect("platforms") {
        let labels = &p["selector"]["matchLabels"];
        let (os, arch) = (
            labels["os"].as_str().expect("os"),
            labels["arch"].as_str().expect("arch"),
        );
        seen.insert((os.to_string(), arch.to_string()));
        let uri = p["uri"].as_str().expect("uri");
        assert_eq!(
            uri,
            format!(
                "https://github.com/kubectl-satoken/kubectl-satoken/releases/download/{version}/kubectl-satoken-{os}-{arch}.tar.gz"
            )
        );
        let exe = if os == "windows" {
            "kubectl-satoken.exe"
        } else {
            "kubectl-satoken"
        };
        assert_eq!(p["bin"], exe);
        let files: Vec<&str> = p["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(|f| f["from"].as_str())
            .collect();
        assert_eq!(files, [exe, "LICENSE"], "{os}/{arch}");
    }
    let expected: BTreeSet<(String, String)> = ["linux", "darwin", "windows"]
        .iter()
        .flat_map(|os| ["amd64", "arm64"].map(|arch| (os.to_string(), arch.to_string())))
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn the_manifest_version_is_the_crate_version() {
    assert_eq!(manifest()["spec"]["version"], format!("v{}", env!("CARGO_PKG_VERSION")));
}
