//! Consensus frames (proposals, votes, polka and round certificates) and
//! commit certificates: never a panic; what decodes re-encodes to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_wire::consensus::{decode_commit, encode_commit, ConsensusMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ConsensusMessage::decode(data) {
        assert_eq!(m.encode(), data, "non-canonical consensus message");
    }
    if let Ok(c) = decode_commit(data) {
        assert_eq!(encode_commit(&c), data, "non-canonical certificate");
    }
});
