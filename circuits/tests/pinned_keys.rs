//! The verifying key checked into `keys/` is the one the development
//! ceremony produces for the circuit as it is now: change the circuit
//! without regenerating the keys (`VEIL_REGENERATE_KEYS=1 cargo test
//! --release -p veil-circuits --test pinned_keys`, or `veil setup`) and this
//! fails.

use std::path::PathBuf;

use veil_circuits::groth::{self, VerifyingKey};

fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../keys")
}

#[test]
fn checked_in_verifying_key_matches_the_circuit() {
    let pk = groth::dev_setup().unwrap();
    let vk = pk.verifying_key();
    let dir = keys_dir();
    let digest_line = format!("{}  presentation.vk\n", hex::encode(vk.digest()));
    if std::env::var_os("VEIL_REGENERATE_KEYS").is_some() {
        std::fs::write(dir.join("presentation.vk"), vk.to_bytes()).unwrap();
        std::fs::write(dir.join("presentation.vk.sha256"), &digest_line).unwrap();
    }
    let bytes = std::fs::read(dir.join("presentation.vk")).unwrap();
    let pinned = std::fs::read_to_string(dir.join("presentation.vk.sha256")).unwrap();
    assert_eq!(pinned, digest_line, "keys/presentation.vk.sha256 is stale");
    let loaded = VerifyingKey::from_bytes(&bytes, &vk.digest()).unwrap();
    assert_eq!(
        loaded.to_bytes(),
        vk.to_bytes(),
        "keys/presentation.vk is stale"
    );
}
