//! Transactions, as a node receives them over HTTP and gossip: decoding
//! never panics, whatever decodes re-encodes to exactly the input (one
//! encoding per value), and the structural checks never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_codec::Encode;
use veil_tx::Transaction;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Transaction::decode(data) {
        let again = tx.encode().expect("a decoded transaction fits its encoding");
        assert_eq!(again, data, "non-canonical encoding accepted");
        assert_eq!(tx.hash().ok(), Some(Transaction::hash_of(data)));
        if let Transaction::Transfer(t) = &tx {
            let _ = t.check_shape();
            let _ = t.signing_hash();
        }
    }
});
