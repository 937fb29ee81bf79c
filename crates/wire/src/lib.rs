//! Every message a Veil peer sends another, as bytes: block headers
//! ([`block`]), consensus proposals, votes and certificates with the bytes
//! their signatures cover ([`consensus`], over the Malachite context in
//! [`context`]), and catch-up requests and answers ([`sync`]).
//!
//! Pure encoding: no storage, no sockets, no runtime, so the decoders can
//! be fuzzed on their own (`fuzz/`). Every decoder has explicit limits and
//! refuses trailing bytes; the layouts are in `docs/network.md`.

pub mod block;
pub mod consensus;
pub mod context;
pub mod sync;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
