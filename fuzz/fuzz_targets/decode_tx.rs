//! Fuzzes the transaction decoder: it must never panic, and whatever it
//! accepts must re-encode to exactly the input (one encoding per value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil::tx::Transaction;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Transaction::decode(data) {
        assert_eq!(tx.encode(), data);
        // Structural checks must not panic either.
        let veil::tx::Transaction::Transfer(t) = &tx;
        let _ = t.check_shape();
        let _ = t.signing_hash();
    }
});
