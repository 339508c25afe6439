//! plugin.yaml against krew's validation rules (krew's pkg/index/validation), and its version
//! against Cargo.toml.

use std::collections::BTreeSet;

use serde_json::Value;

fn manifest() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin.yaml");
    let text = std::fs::read_to_string(path).expect("plugin.yaml");
    serde_saphyr::from_str(&text).expect("plugin.yaml is YAML")
}

fn is_semver_with_v(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')))
}

#[test]
fn the_manifest_follows_krews_rules() {
    let m = manifest();
    assert_eq!(m["apiVersion"], "krew.googlecontainertools.github.com/v1alpha2");
    assert_eq!(m["kind"], "Plugin");
    let name = m["metadata"]["name"].as_str().expect("metadata.name");
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-'),
        "name {name}"
    );
    assert_eq!(name, "satoken", "the plugin is invoked as `kubectl satoken`");

    let spec = &m["spec"];
    let version = spec["version"].as_str().expect("spec.version");
    assert!(
        is_semver_with_v(version),
        "spec.version {version} must be semver with a leading v"
    );
    let short = spec["shortDescription"].as_str().expect("shortDescription");
    assert!(
        !short.is_empty() && !short.contains('\n'),
        "shortDescription is one line"
    );

    let platforms = spec["platforms"].as_array().expect("platforms");
    let mut seen = BTreeSet::new();
    for p in platforms {
        let labels = p["selector"]["matchLabels"].as_object().expect("selector.matchLabels");
        assert!(
            labels.keys().all(|k| k == "os" || k == "arch"),
            "selector keys: {labels:?}"
        );
        let (os, arch) = (
            labels["os"].as_str().expect("os"),
            labels["arch"].as_str().expect("arch"),
        );
        assert!(
            seen.insert((os.to_string(), arch.to_string())),
            "{os}/{arch} listed twice"
        );

        let uri = p["uri"].as_str().expect("uri");
        assert!(
            uri.starts_with("https://") && uri.ends_with(&format!("kubectl-satoken-{os}-{arch}.tar.gz")),
            "{uri}"
        );
        assert!(
            uri.contains(&format!("/{version}/")),
            "{uri} is not the {version} release"
        );
        let sha = p["sha256"].as_str().expect("sha256");
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{sha}"
        );

        let bin = p["bin"].as_str().expect("bin");
        let exe = if os == "windows" {
            "kubectl-satoken.exe"
        } else {
            "kubectl-satoken"
        };
        assert_eq!(bin, exe);
        let files: Vec<&str> = p["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(|f| f["from"].as_str())
            .collect();
        assert!(
            files.contains(&exe) && files.contains(&"LICENSE"),
            "{os}/{arch} archive holds the binary and LICENSE"
        );
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

#[test]
fn semver_check_rejects_what_krew_rejects() {
    assert!(is_semver_with_v("v0.1.0") && is_semver_with_v("v1.2.3-rc.1"));
    for bad in ["0.1.0", "v1.2", "v01.2.3", "vx.y.z", "v1.2.3.4"] {
        assert!(!is_semver_with_v(bad), "{bad}");
    }
}
