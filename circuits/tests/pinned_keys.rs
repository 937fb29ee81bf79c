//! The verifying keys checked into `keys/` are the ones the development
//! ceremony produces for the circuits as they are now: change a circuit
//! without regenerating the keys (`VEIL_REGENERATE_KEYS=1 cargo test
//! --release -p veil-circuits --test pinned_keys`, or `veil setup`) and this
//! fails.

use std::path::PathBuf;

use veil_circuits::groth::{self, VerifyingKey};
use veil_circuits::presentation::Circuit;

fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../keys")
}

fn check(circuit: Circuit, name: &str) {
    let pk = groth::dev_setup_for(circuit).unwrap();
    let vk = pk.verifying_key();
    assert_eq!(vk.circuit(), circuit);
    let dir = keys_dir();
    let digest_line = format!("{}  {name}.vk\n", hex::encode(vk.digest()));
    if std::env::var_os("VEIL_REGENERATE_KEYS").is_some() {
        std::fs::write(dir.join(format!("{name}.vk")), vk.to_bytes()).unwrap();
        std::fs::write(dir.join(format!("{name}.vk.sha256")), &digest_line).unwrap();
    }
    let bytes = std::fs::read(dir.join(format!("{name}.vk"))).unwrap();
    let pinned = std::fs::read_to_string(dir.join(format!("{name}.vk.sha256"))).unwrap();
    assert_eq!(pinned, digest_line, "keys/{name}.vk.sha256 is stale");
    let loaded = VerifyingKey::from_bytes(&bytes, &vk.digest()).unwrap();
    assert_eq!(loaded.to_bytes(), vk.to_bytes(), "keys/{name}.vk is stale");
}

#[test]
fn checked_in_verifying_key_matches_the_circuit() {
    check(Circuit::Presentation, "presentation");
}

#[test]
fn checked_in_hooked_verifying_key_matches_the_circuit() {
    check(Circuit::Hooked, "presentation-hook");
}
