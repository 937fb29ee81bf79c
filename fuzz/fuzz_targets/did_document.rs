//! DID documents and identity transactions: the binary forms the ledger
//! stores and gossips, and the DID Core JSON a resolver client reads. Never
//! a panic; binary forms re-encode to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_codec::{DecodeExt, Encode};
use veil_identity::did::{DidDocument, DidId};
use veil_identity::tx::{CredentialTx, DidTx, TrustTx};

/// What decodes re-encodes, without error, to exactly the input.
fn canonical<T: DecodeExt + Encode>(data: &[u8]) {
    if let Ok(v) = T::decode(data) {
        let again = v.encode().expect("a decoded value fits its encoding");
        assert_eq!(again, data, "non-canonical encoding accepted");
    }
}

fuzz_target!(|data: &[u8]| {
    canonical::<DidDocument>(data);
    canonical::<DidTx>(data);
    canonical::<TrustTx>(data);
    canonical::<CredentialTx>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<DidId>();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let _ = DidDocument::from_json(&v);
        }
    }
});
