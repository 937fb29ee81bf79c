//! Cryptographic primitives: pure functions over bytes and values, no I/O,
//! no clock.
//!
//! Everything lives in the ristretto255 group (`curve25519-dalek` 5), a
//! prime-order group, so no cofactor or torsion checks are needed: every point
//! decoded from the wire is decompressed and rejected if its encoding is not a
//! canonical ristretto255 encoding ([`point::Point`]).
//!
//! Generators (see [`generators`]):
//!
//! * `G`, the ristretto255 basepoint: the base of every key and of every
//!   commitment blinding factor;
//! * `H = from_uniform_bytes(SHA3-512(G))`, the `bulletproofs` crate's
//!   second Pedersen generator: the base of committed values.
//!
//! | module | protocol |
//! |---|---|
//! | [`keys`] | view/spend key pairs, seed derivation, bech32m addresses |
//! | [`stealth`] | one-time output keys, view tags, scanning |
//! | [`commitment`] | Pedersen commitments and 16-bit limbs |
//! | [`range`] | aggregated Bulletproofs+ range proofs over limbs |
//! | [`clsag`] | CLSAG linkable ring signatures with key images |
//! | [`payload`] | XChaCha20-Poly1305 payloads keyed by ECDH + HKDF |
//! | [`regulator`] | twisted-ElGamal amount handles, their Sigma proof, decryption |
//! | [`batch`] | random-linear-combination batch verification |
//! | [`transcript`] | every Fiat–Shamir label, in one place |
//! | [`signing`] | Ed25519 signatures of authorities (issuers, later regulators and nodes) |
//! | [`threshold`] | t-of-n regulator keys: joint-Feldman DKG, partial decryptions with DLEQ proofs, resharing |
//! | [`hook_threshold`] | the same for the credential-hook key on Baby Jubjub: t officers identify a presentation's holder |

pub mod batch;
pub mod clsag;
pub mod commitment;
pub mod dleq;
pub mod generators;
pub mod hash;
pub mod hook_threshold;
pub mod keys;
pub mod payload;
pub mod point;
pub mod range;
pub mod regulator_ciphertext;
pub mod regulator_keys;
pub mod rng;
pub mod secret;
pub mod signing;
pub mod stealth;
pub mod threshold;
pub mod transcript;

pub use curve25519_dalek::ristretto::RistrettoPoint;
pub use curve25519_dalek::scalar::Scalar;
