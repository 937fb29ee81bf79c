//! Catch-up traffic: tip announcements, requests, bodies and blocks
//! answers, snapshot manifests and chunks. Never a panic; requests and
//! manifests that decode re-encode to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_codec::{DecodeExt, Encode};
use veil_wire::sync::{self, Manifest, Request};

fuzz_target!(|data: &[u8]| {
    let _ = sync::decode_status(data);
    if let Ok(r) = Request::decode(data) {
        assert_eq!(
            r.encode().expect("a decoded request fits"),
            data,
            "non-canonical request"
        );
    }
    let _ = sync::decode_txs(data);
    let _ = sync::decode_blocks(data);
    let _ = sync::decode_chunk(data);
    if let Ok(m) = Manifest::decode(data) {
        assert_eq!(m.encode().expect("a decoded manifest fits"), data);
    }
});
