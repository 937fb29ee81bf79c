//! The README's two commands on a fresh machine: `./start` and
//! `./run-tests` install libclang when it is not found (through `sudo`
//! when not root) and then run exactly `cargo run --release -- node --dev`
//! and `cargo test --release`; when libclang is there they install
//! nothing. `apt-get`, `sudo`, `id` and `cargo` are stand-ins on `PATH`
//! that record how they were called, so the test installs and builds
//! nothing itself.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory of stand-in commands that append their calls to `log`.
fn stand_ins(dir: &Path, log: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = log.display();
    for (name, body) in [
        ("apt-get", format!("echo \"apt-get $*\" >> {log}")),
        ("sudo", format!("echo \"sudo $1\" >> {log}; exec \"$@\"")),
        ("id", "echo 1000".to_owned()),
        ("cargo", format!("echo \"cargo $*\" >> {log}")),
    ] {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn run(script: &str, args: &[&str], libclang_dirs: &Path) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let bin = stand_ins(dir.path(), &log);
    let out = Command::new(repo().join(script))
        .args(args)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin:/usr/sbin:/sbin", bin.display()),
        )
        .env("VEIL_LIBCLANG_DIRS", libclang_dirs)
        .output()
        .unwrap();
    (
        out.status.success(),
        std::fs::read_to_string(&log).unwrap_or_default(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn start_installs_libclang_when_missing_then_runs_the_main_job() {
    let empty = tempfile::tempdir().unwrap();
    let (ok, calls, stdout) = run("start", &[], empty.path());
    assert!(ok, "{calls}");
    assert!(stdout.contains("installing libclang-dev"), "{stdout}");
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [
            "sudo apt-get",
            "apt-get update -qq",
            "sudo apt-get",
            "apt-get install -y -qq libclang-dev",
            "cargo run --release -- node --dev",
        ],
    );
}

#[test]
fn with_libclang_present_nothing_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("llvm-16/lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("libclang-16.so.1"), b"").unwrap();
    let (ok, calls, _) = run("run-tests", &["--no-run"], dir.path());
    assert!(ok, "{calls}");
    assert_eq!(calls.trim(), "cargo test --release --no-run");
    let (ok, calls, _) = run("start", &["--data-dir", "/tmp/x"], dir.path());
    assert!(ok, "{calls}");
    assert_eq!(
        calls.trim(),
        "cargo run --release -- node --dev --data-dir /tmp/x"
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    for command in [
        "./start",
        "./run-tests",
        "cargo run --release -- node --dev",
    ] {
        assert!(readme.contains(command), "README lacks {command}");
    }
    assert!(ci.lines().any(|l| l.trim() == "./run-tests"));
    assert!(ci.lines().any(|l| l.trim() == "scripts/prerequisites"));
}

/// A machine with LLVM's C++ library (`libclang-cpp.so.14`, which other
/// packages pull in) but not libclang itself is a machine without
/// libclang: bindgen skips libclang-cpp, so the script installs
/// libclang-dev (it once took the C++ library for libclang, and the
/// RocksDB build then failed on exactly such a fresh machine).
#[test]
fn libclang_cpp_alone_does_not_count_as_libclang() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("x86_64-linux-gnu");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("libclang-cpp.so.14"), b"").unwrap();
    let (ok, calls, _) = run("run-tests", &["--no-run"], dir.path());
    assert!(ok, "{calls}");
    assert!(
        calls.contains("apt-get install -y -qq libclang-dev"),
        "{calls}"
    );
}
