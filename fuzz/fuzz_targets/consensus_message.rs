//! Consensus frames (proposals, votes, polka and round certificates) and
//! commit certificates: never a panic; what decodes re-encodes to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_codec::{DecodeExt, Encode};
use veil_wire::consensus::{decode_commit, encode_commit, ConsensusMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ConsensusMessage::decode(data) {
        let again = m.encode().expect("a decoded message fits its encoding");
        assert_eq!(again, data, "non-canonical consensus message");
    }
    if let Ok(c) = decode_commit(data) {
        let again = encode_commit(&c).expect("a decoded certificate fits its encoding");
        assert_eq!(again, data, "non-canonical certificate");
    }
});
