//! DID documents and identity transactions: the binary forms the ledger
//! stores and gossips, and the DID Core JSON a resolver client reads. Never
//! a panic; binary forms re-encode to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_codec::{DecodeError, Reader, Writer};
use veil_identity::did::{DidDocument, DidId};
use veil_identity::tx::{CredentialTx, DidTx, TrustTx};

fn canonical<T>(
    data: &[u8],
    decode: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
    encode: impl Fn(&T, &mut Writer),
) {
    let mut r = Reader::new(data);
    if let Ok(v) = decode(&mut r) {
        if r.finish().is_ok() {
            let mut w = Writer::new();
            encode(&v, &mut w);
            assert_eq!(w.into_bytes(), data, "non-canonical encoding accepted");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    canonical(data, DidDocument::decode, DidDocument::encode);
    canonical(data, DidTx::decode, DidTx::encode);
    canonical(data, TrustTx::decode, TrustTx::encode);
    canonical(data, CredentialTx::decode, CredentialTx::encode);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<DidId>();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let _ = DidDocument::from_json(&v);
        }
    }
});
