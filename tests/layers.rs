//! `scripts/check-layers` passes on the workspace and fails on an upward
//! edge or a forbidden dependency injected into the real metadata.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check(meta: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metadata.json");
    std::fs::write(&file, serde_json::to_vec(meta).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg(root().join("scripts/check-layers"))
        .arg("--metadata")
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn id_of(meta: &Value, name: &str) -> String {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in metadata"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Adds a normal dependency `from -> to` to the resolve graph.
fn add_edge(meta: &mut Value, from: &str, to: &str) {
    let (from, to) = (id_of(meta, from), id_of(meta, to));
    let node = meta["resolve"]["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["id"] == from.as_str())
        .unwrap();
    node["deps"].as_array_mut().unwrap().push(json!({
        "name": "injected",
        "pkg": to,
        "dep_kinds": [{"kind": null, "target": null}],
    }));
}

#[test]
fn layering_holds_and_violations_are_caught() {
    let meta = metadata();
    let (ok, out) = check(&meta);
    assert!(ok, "the real workspace must pass: {out}");

    let mut up = meta.clone();
    add_edge(&mut up, "veil-crypto", "veil-ledger");
    let (ok, out) = check(&up);
    assert!(!ok, "an upward edge must fail");
    assert!(out.contains("veil-crypto -> veil-ledger"), "{out}");

    let mut sideways = meta.clone();
    add_edge(&mut sideways, "veil-node", "veil-api");
    let (ok, out) = check(&sideways);
    assert!(!ok && out.contains("veil-node -> veil-api"), "{out}");

    let mut impure = meta.clone();
    add_edge(&mut impure, "veil-tx", "tokio");
    let (ok, out) = check(&impure);
    assert!(!ok, "a pure crate reaching tokio must fail");
    assert!(out.contains("veil-tx must not depend on tokio"), "{out}");

    // Reached indirectly: identity -> net pulls quinn and tokio.
    let mut indirect = meta;
    add_edge(&mut indirect, "veil-identity", "veil-net");
    let (ok, out) = check(&indirect);
    assert!(
        !ok && out.contains("veil-identity must not depend on quinn"),
        "{out}"
    );
}
