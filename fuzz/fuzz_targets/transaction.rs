//! Transactions, as a node receives them over HTTP and gossip: decoding
//! never panics, whatever decodes re-encodes to exactly the input (one
//! encoding per value), and the structural checks never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_tx::Transaction;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Transaction::decode(data) {
        assert_eq!(tx.encode(), data, "non-canonical encoding accepted");
        let _ = tx.hash();
        if let Transaction::Transfer(t) = &tx {
            let _ = t.check_shape();
            let _ = t.signing_hash();
        }
    }
});
