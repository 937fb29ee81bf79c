//! What a peer sends before and around frames: the admission hello, frame
//! length prefixes against every channel's limit, and the certificate whose
//! key is checked against the allow-list. Never a panic; no length above a
//! limit is accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veil_net::admission::check_hello;
use veil_net::frame::{frame_length, Channel};
use veil_net::tls::certificate_key;

fuzz_target!(|data: &[u8]| {
    if let Some(hello) = data.get(..5).and_then(|h| <[u8; 5]>::try_from(h).ok()) {
        let _ = check_hello(&hello);
    }
    if let Some(prefix) = data.get(..4).and_then(|h| <[u8; 4]>::try_from(h).ok()) {
        for ch in Channel::ALL {
            if let Ok(n) = frame_length(prefix, ch.max_frame()) {
                assert!(n <= ch.max_frame());
            }
        }
        let _ = data.get(4).and_then(|b| Channel::from_id(*b));
    }
    let der = rustls_pki_types::CertificateDer::from(data);
    let _ = certificate_key(&der);
});
