//! The release archives of `scripts/release`: what each holds, that Linux binaries run on old
//! glibc, that another checkout with another $HOME builds the same bytes, and that the foreign
//! binaries really work: linux-arm64 under qemu-user, windows-amd64 under wine, both issuing
//! kubeconfigs against the local cluster that kubectl then uses. darwin and windows-arm64
//! cannot run here; their format, architecture, imports and (macOS) code signature are checked.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::release::{archive, extract_binary};
use support::{Home, Namespace, run, yaml};

const PLATFORMS: [&str; 6] = [
    "linux-amd64",
    "linux-arm64",
    "darwin-amd64",
    "darwin-arm64",
    "windows-amd64",
    "windows-arm64",
];

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("release-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir scratch");
    dir
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// What a binary is, read from its header: (format, architecture).
fn kind(binary: &[u8]) -> (&'static str, &'static str) {
    match binary {
        [0x7f, b'E', b'L', b'F', 2, 1, ..] => (
            "elf64",
            match u16_at(binary, 18) {
                0x3e => "amd64",
                0xb7 => "arm64",
                _ => "other",
            },
        ),
        [b'M', b'Z', ..] => {
            let pe = u32_at(binary, 0x3c) as usize;
            assert_eq!(&binary[pe..pe + 4], b"PE\0\0", "MZ without a PE header");
            // No link time in the COFF header: scripts/release clears it, or no two builds match.
            assert_eq!(u32_at(binary, pe + 8), 0, "a link time stamp");
            // The optional header's magic 0x20b is PE32+ (64-bit).
            assert_eq!(u16_at(binary, pe + 24), 0x20b, "not PE32+");
            // Subsystem 3: a console program, so kubectl sees its stdout and stderr.
            assert_eq!(u16_at(binary, pe + 24 + 68), 3, "not a console subsystem program");
            (
                "pe32+",
                match u16_at(binary, pe + 4) {
                    0x8664 => "amd64",
                    0xaa64 => "arm64",
                    _ => "other",
                },
            )
        }
        [0xcf, 0xfa, 0xed, 0xfe, ..] => (
            "mach-o64",
            match u32_at(binary, 4) {
                0x0100_0007 => "amd64",
                0x0100_000c => "arm64",
                _ => "other",
            },
        ),
        _ => ("unknown", "unknown"),
    }
}

/// A Mach-O executable's load commands: (the dylibs and rpaths it names, its code signature
/// (offset, size), the oldest macOS it runs on (major version)).
fn mach_o_imports_and_signature(binary: &[u8]) -> (Vec<String>, Option<(usize, usize)>, Option<u32>) {
    assert_eq!(u32_at(binary, 12), 2, "MH_EXECUTE");
    let commands = u32_at(binary, 16) as usize;
    let (mut at, mut dylibs, mut signature, mut minos) = (32usize, Vec::new(), None, None);
    for _ in 0..commands {
        let (cmd, size) = (u32_at(binary, at), u32_at(binary, at + 4) as usize);
        match cmd {
            // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LOAD_UPWARD_DYLIB,
            // LC_RPATH: each a name at the offset the command gives.
            0x0c | 0x8000_0018 | 0x8000_001f | 0x8000_0023 | 0x8000_001c => {
                let name = &binary[at + u32_at(binary, at + 8) as usize..at + size];
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                dylibs.push(String::from_utf8_lossy(&name[..end]).into_owned());
            }
            // LC_CODE_SIGNATURE
            0x1d => signature = Some((u32_at(binary, at + 8) as usize, u32_at(binary, at + 12) as usize)),
            // LC_BUILD_VERSION: platform 1 is macOS; minos is xxxx.yy.zz in nibbles.
            0x32 => {
                assert_eq!(u32_at(binary, at + 8), 1, "built for macOS");
                minos = Some(u32_at(binary, at + 12) >> 16);
            }
            _ => {}
        }
        at += size;
    }
    (dylibs, signature, minos)
}

/// Checks an ad-hoc code signature the way the kernel does on Apple silicon: every page hash
/// in the CodeDirectory matches the file (a binary changed after signing is killed at exec).
fn assert_code_signature_matches(binary: &[u8], (offset, _): (usize, usize)) {
    assert_eq!(be32_at(binary, offset), 0xfade_0cc0, "embedded signature superblob");
    let count = be32_at(binary, offset + 8) as usize;
    let directory = (0..count)
        .map(|i| offset + be32_at(binary, offset + 12 + 8 * i + 4) as usize)
        .find(|&at| be32_at(binary, at) == 0xfade_0c02)
        .expect("a CodeDirectory");
    let hash_offset = be32_at(binary, directory + 16) as usize;
    let code_slots = be32_at(binary, directory + 28) as usize;
    let code_limit = be32_at(binary, directory + 32) as usize;
    let (hash_size, hash_type, page_shift) = (
        binary[directory + 36] as usize,
        binary[directory + 37],
        binary[directory + 39],
    );
    assert_eq!((hash_size, hash_type), (32, 2), "SHA-256 page hashes");
    assert_eq!(code_limit, offset, "the signature covers everything before it");
    let page = 1usize << page_shift;
    assert_eq!(code_slots, code_limit.div_ceil(page));
    for slot in 0..code_slots {
        let data = &binary[slot * page..((slot + 1) * page).min(code_limit)];
        let want = &binary[directory + hash_offset + slot * 32..directory + hash_offset + (slot + 1) * 32];
        assert_eq!(
            ring::digest::digest(&ring::digest::SHA256, data).as_ref(),
            want,
            "page {slot} changed after signing"
        );
    }
}

#[test]
fn each_archive_holds_only_its_platforms_binary_and_the_license() {
    let license = std::fs::read(support::repo().join("LICENSE")).expect("LICENSE");
    for platform in PLATFORMS {
        let dir = scratch(&format!("contents-{platform}"));
        let binary_path = extract_binary(platform, &dir);
        let mut names = support::listing(&dir);
        names.sort();
        let exe = binary_path.file_name().expect("name").to_string_lossy().into_owned();
        let mut want = vec!["LICENSE".to_string(), exe];
        want.sort();
        assert_eq!(names, want, "{platform}: the archive holds the binary and LICENSE only");
        assert_eq!(
            std::fs::read(dir.join("LICENSE")).expect("LICENSE"),
            license,
            "{platform}"
        );

        let binary = std::fs::read(&binary_path).expect("binary");
        let (os, arch) = platform.split_once('-').expect("os-arch");
        let format = match os {
            "linux" => "elf64",
            "windows" => "pe32+",
            _ => "mach-o64",
        };
        assert_eq!(kind(&binary), (format, arch), "{platform}");
        if os == "darwin" {
            let (dylibs, signature, minos) = mach_o_imports_and_signature(&binary);
            // README: macOS 11 or later (what kubectl needs too).
            assert_eq!(minos, Some(11), "{platform}: oldest macOS");
            for framework in ["Security", "CoreFoundation"] {
                let path = format!("/System/Library/Frameworks/{framework}.framework/Versions/A/{framework}");
                assert!(dylibs.contains(&path), "{platform}: loads {path}: {dylibs:?}");
            }
            assert!(dylibs.contains(&"/usr/lib/libSystem.B.dylib".to_string()), "{dylibs:?}");
            assert!(
                dylibs
                    .iter()
                    .all(|d| d.starts_with("/usr/lib/") || d.starts_with("/System/Library/")),
                "{platform}: only system libraries: {dylibs:?}"
            );
            // Apple silicon refuses unsigned code; the linker signs arm64 binaries ad hoc (Intel
            // Macs run unsigned ones).
            match (arch, signature) {
                (_, Some(signature)) => assert_code_signature_matches(&binary, signature),
                ("arm64", None) => panic!("{platform}: no code signature"),
                _ => {}
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The highest `GLIBC_x.y` version the binary needs, from its version-needs section.
fn highest_glibc(binary: &Path) -> (u32, u32) {
    let out = run(Command::new("readelf").arg("--version-info").arg("--wide").arg(binary)).ok();
    out.stdout_text()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let (major, minor) = v.split_once('.')?;
            Some((major.parse().ok()?, minor.split('.').next()?.parse().ok()?))
        })
        .max()
        .unwrap_or_else(|| panic!("no GLIBC version in {}\n{out}", binary.display()))
}

#[test]
fn linux_binaries_need_glibc_2_17_at_most() {
    for platform in ["linux-amd64", "linux-arm64"] {
        let dir = scratch(&format!("glibc-{platform}"));
        let binary = extract_binary(platform, &dir);
        let highest = highest_glibc(&binary);
        // RHEL 7 has 2.17, Amazon Linux 2 2.26, Ubuntu 20.04 2.31, RHEL 8 2.28.
        assert!(highest <= (2, 17), "{platform} needs GLIBC_{}.{}", highest.0, highest.1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Copies the files git tracks, as they are in this checkout, to `to`.
fn copy_checkout(to: &Path) {
    let repo = support::repo();
    let listed = run(Command::new("git").arg("-C").arg(repo).args(["ls-files", "-z"])).ok();
    for name in listed.output.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let rel = Path::new(std::str::from_utf8(name).expect("UTF-8 path"));
        let from = repo.join(rel);
        // A file deleted but not yet committed is not part of this checkout.
        if std::fs::symlink_metadata(&from).is_err() {
            continue;
        }
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&from, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

#[test]
fn another_checkout_at_another_path_with_another_home_builds_the_same_linux_amd64_archive() {
    let ours = std::fs::read(archive("linux-amd64")).expect("our archive");
    let base = scratch("elsewhere");
    // A checkout under its $HOME, as most are: the remapping of the checkout must win over
    // that of $HOME (rustc applies the last matching one).
    let other_home = base.join("another-home");
    let checkout = other_home.join("src").join("kubectl-satoken");
    copy_checkout(&checkout);

    // The same toolchain, crate sources and tools; the crate sources reached through another
    // path ($HOME/.cargo, a link), so that the paths of the checkout, $HOME and $CARGO_HOME all
    // differ from this build's (the three that leak into a binary).
    let home = std::env::var_os("HOME").map(PathBuf::from).expect("HOME");
    let real_cargo_home = std::env::var_os("CARGO_HOME").map_or_else(|| home.join(".cargo"), PathBuf::from);
    let cargo_home = other_home.join(".cargo");
    std::os::unix::fs::symlink(&real_cargo_home, &cargo_home).expect("link the cargo home");
    let rustup_home = std::env::var_os("RUSTUP_HOME").map_or_else(|| home.join(".rustup"), PathBuf::from);
    let cache = std::env::var_os("XDG_CACHE_HOME").map_or_else(|| home.join(".cache"), PathBuf::from);
    let out = base.join("dist");
    let built = run(Command::new(checkout.join("scripts/release"))
        .args(["--check", "--platform", "linux-amd64", "--out"])
        .arg(&out)
        .env("HOME", &other_home)
        .env("CARGO_HOME", &cargo_home)
        .env("RUSTUP_HOME", &rustup_home)
        .env("XDG_CACHE_HOME", &cache)
        .env_remove("CARGO_TARGET_DIR"))
    .ok();
    let theirs = std::fs::read(out.join("kubectl-satoken-linux-amd64.tar.gz")).expect("their archive");
    assert!(ours == theirs, "the archives differ\n{built}");
    let _ = std::fs::remove_dir_all(&base);
}

/// A ServiceAccount that may list pods in a fresh namespace, and a home holding the admin
/// kubeconfig at `admin.yaml`.
fn cluster_setup(test: &str) -> (Namespace, Home, PathBuf) {
    let ns = Namespace::new(test);
    ns.service_account_that_lists_pods("ci");
    let home = Home::new();
    let source = home.admin_config("admin.yaml");
    (ns, home, source)
}

/// kubectl, on Linux, uses the kubeconfig in `file` (`--context` if given) as the
/// ServiceAccount and may list pods in its namespace.
fn kubectl_uses(home: &Home, file: &Path, env_kubeconfig: bool, context: Option<&str>, ns: &Namespace) {
    let mut whoami = home.kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
    let mut pods = home.kubectl(["get", "pods", "-n", &ns.name]);
    for cmd in [&mut whoami, &mut pods] {
        if env_kubeconfig {
            cmd.env("KUBECONFIG", file);
        } else {
            cmd.arg("--kubeconfig").arg(file);
        }
        if let Some(context) = context {
            cmd.arg("--context").arg(context);
        }
    }
    let out = run(&mut whoami).ok();
    assert_eq!(
        out.stdout_text(),
        format!("system:serviceaccount:{}:ci", ns.name),
        "{out}"
    );
    run(&mut pods).ok();
}

fn qemu() -> &'static str {
    "qemu-aarch64-static"
}

#[test]
fn linux_arm64_runs_under_qemu_and_issues_a_kubeconfig_kubectl_uses() {
    let dir = scratch("qemu");
    let binary = extract_binary("linux-arm64", &dir);
    // -L: the arm64 dynamic loader and libc (Debian's libc6-arm64-cross).
    let arm64 = |home: &Home| {
        let mut cmd = home.base(qemu());
        cmd.args(["-L", "/usr/aarch64-linux-gnu"]).arg(&binary);
        cmd
    };
    let (ns, home, source) = cluster_setup("qemu");
    let version = run(arm64(&home).arg("--version")).ok();
    assert_eq!(
        version.stdout_text().trim(),
        format!("kubectl-satoken {}", env!("CARGO_PKG_VERSION"))
    );

    let out = run(arm64(&home).args(["ci", "-n", &ns.name, "--kubeconfig"]).arg(&source)).ok();
    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text()).expect("write");
    kubectl_uses(&home, &file, false, None, &ns);
    let _ = std::fs::remove_dir_all(&dir);
}

/// wine64: Debian's package installs it off PATH.
fn wine() -> PathBuf {
    ["/usr/lib/wine/wine64", "/usr/bin/wine64", "/usr/bin/wine"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("wine64 (Debian: apt-get install wine64; .ci/run installs it)")
}

/// The windows-amd64 binary unpacked next to the ProcessPrng stand-in wine 8 lacks, and a wine
/// prefix made once per run.
struct Windows {
    exe: PathBuf,
    prefix: PathBuf,
}

fn windows() -> &'static Windows {
    static WINDOWS: OnceLock<Windows> = OnceLock::new();
    WINDOWS.get_or_init(|| {
        let dir = scratch("wine");
        let exe = extract_binary("windows-amd64", &dir.join("bin"));
        let tools = run(Command::new(support::repo().join("scripts/release")).arg("--tools")).ok();
        let python = PathBuf::from(tools.stdout_text().trim()).join("python");
        run(Command::new(python)
            .args([
                "-m",
                "ziglang",
                "cc",
                "-target",
                "x86_64-windows-gnu",
                "-shared",
                "-O2",
                "-o",
            ])
            .arg(dir.join("bin/bcryptprimitives.dll"))
            .arg(support::repo().join("tests/fixtures/wine/processprng.c"))
            .arg("-ladvapi32"))
        .ok();
        let windows = Windows {
            exe,
            prefix: dir.join("prefix"),
        };
        // The first program in a new prefix creates it; two at once would race.
        let mut first = Command::new(wine());
        quiet_wine(&mut first, &windows.prefix)
            .arg(&windows.exe)
            .arg("--version");
        run(&mut first).ok();
        windows
    })
}

/// `Z:\...`: how a Windows program under wine names a file of this machine.
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// wine with `prefix`, quiet, without the Mono and Gecko installers.
fn quiet_wine<'a>(cmd: &'a mut Command, prefix: &Path) -> &'a mut Command {
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
}

/// wine in `home`, with the shared prefix.
fn wine_in(home: &Home) -> Command {
    let mut cmd = home.base(wine());
    quiet_wine(&mut cmd, &windows().prefix);
    cmd
}

/// The windows-amd64 kubectl-satoken.exe under wine.
fn under_wine(home: &Home) -> Command {
    let mut cmd = wine_in(home);
    cmd.arg(&windows().exe);
    cmd
}

#[test]
fn windows_amd64_runs_under_wine_issues_a_kubeconfig_and_merges_into_a_semicolon_kubeconfig_list() {
    let (ns, home, source) = cluster_setup("wine");
    let version = run(under_wine(&home).arg("--version")).ok();
    assert_eq!(
        version.stdout_text().trim(),
        format!("kubectl-satoken {}", env!("CARGO_PKG_VERSION"))
    );

    // Issued to stdout from a kubeconfig named the Windows way.
    let out = run(under_wine(&home).args(["ci", "-n", &ns.name, "--kubeconfig", &windows_path(&source)])).ok();
    let file = home.path("ci.kubeconfig");
    std::fs::write(&file, out.stdout_text().replace("\r\n", "\n")).expect("write");
    kubectl_uses(&home, &file, false, None, &ns);

    // Merged into a Windows KUBECONFIG of two files: the entry lands in the first file (it
    // exists), the second is untouched, and kubectl on Linux reads the pair.
    let first = source;
    let second = home.path("prefs.yaml");
    let prefs = "apiVersion: v1\nkind: Config\npreferences: {}\nclusters: []\ncontexts: []\nusers: []\n";
    std::fs::write(&second, prefs).expect("write second");
    let list = format!("{};{}", windows_path(&first), windows_path(&second));
    let merged = run(under_wine(&home)
        .args(["ci", "-n", &ns.name, "--merge"])
        .env("KUBECONFIG", &list))
    .ok();
    assert_eq!(std::fs::read_to_string(&second).expect("second"), prefs, "{merged}");
    let config = yaml(&std::fs::read_to_string(&first).expect("first"));
    let context = format!("local/{}/ci", ns.name);
    let contexts: Vec<&str> = config["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        contexts.contains(&"local") && contexts.contains(&context.as_str()),
        "{contexts:?}\n{merged}"
    );
    let pair = std::env::join_paths([&first, &second]).expect("join");
    kubectl_uses(&home, Path::new(&pair), true, Some(&context), &ns);
}

/// kubectl on Windows runs `kubectl_complete-satoken` found through PATH and PATHEXT; wine's
/// cmd does the same lookup, with the helper and the .exe side by side as README says.
#[test]
fn windows_completion_helper_is_found_without_its_extension_and_completes() {
    let home = Home::new();
    let bin = windows().exe.parent().expect("bin dir").to_path_buf();
    std::fs::copy(
        support::repo().join("completions/kubectl_complete-satoken.cmd"),
        bin.join("kubectl_complete-satoken.cmd"),
    )
    .expect("copy the helper");
    let mut cmd = wine_in(&home);
    cmd.env("WINEPATH", windows_path(&bin))
        .args(["cmd", "/c", "kubectl_complete-satoken", "cre"]);
    let out = run(&mut cmd).ok();
    let lines: Vec<String> = out
        .stdout_text()
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    assert!(lines.first().is_some_and(|l| l.starts_with("create\t")), "{out}");
    assert_eq!(lines.last().map(String::as_str), Some(":4"), "{out}");
}
