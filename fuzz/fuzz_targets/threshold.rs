//! What officers and the requester of a threshold regulator opening read
//! from others, and what a wallet's backup share holder types in: partial
//! decryptions, public key sets, key shares (from a keystore), the same
//! three for credential-hook keys, presentations' hook ciphertexts, the
//! ceremony's JSON files, and backup shares as bytes or words. Decoding
//! never panics, and what decodes encodes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_crypto::hook_threshold::{Ciphertext, HookKeyShare, HookPartial, HookPublicSet};
use veil_crypto::threshold::{KeyShare, Partial, PublicKeySet};
use veil_regulator::threshold::{DealingFile, GroupFile, Roster, ShareRequest};
use veil_wallet::backup::Share;

fn json<T: serde::de::DeserializeOwned + serde::Serialize>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        serde_json::to_vec(&v).expect("what deserialises serialises");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Partial::from_bytes(data) {
        assert_eq!(p.to_bytes(), data);
    }
    if let Ok(p) = PublicKeySet::from_bytes(data) {
        assert_eq!(p.to_bytes(), data);
    }
    let _ = KeyShare::from_secret_bytes(data);
    if let Ok(p) = HookPartial::from_bytes(data) {
        assert_eq!(p.to_bytes(), data);
    }
    if let Ok(p) = HookPublicSet::from_bytes(data) {
        assert_eq!(p.to_bytes(), data);
    }
    let _ = HookKeyShare::from_secret_bytes(data);
    if let Ok(c) = Ciphertext::from_bytes(data) {
        assert_eq!(&c.to_bytes()[..], data);
    }
    if let Ok(s) = Share::from_bytes(data) {
        assert_eq!(&s.to_bytes().expose()[..], data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Share::from_words(text);
    }
    json::<DealingFile>(data);
    json::<GroupFile>(data);
    json::<Roster>(data);
    json::<ShareRequest>(data);
});
