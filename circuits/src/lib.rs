//! Veil's Groth16 circuits over BN254 (`ark-r1cs-std`) and their native
//! `check` twins.
//!
//! * [`poseidon`]: circomlib's Poseidon, natively and in-circuit, one
//!   parameter set pinned by circomlib's vectors;
//! * [`merkle`]: the depth-32 Poseidon Merkle tree issuers append
//!   credential commitments to;
//! * [`presentation`]: the credential-presentation relation (membership,
//!   holder binding, selective disclosure, a range predicate, a scoped
//!   nullifier, the verifier's nonce) as a circuit and as a native twin;
//! * [`groth`]: keys (with the deterministic *development* ceremony),
//!   proofs, verification and random-linear-combination batch verification;
//! * [`field`]: how field elements are written at the edges.
//!
//! Everything here is hand-written against the specifications each module
//! names: arkworks provides the constraint system and Groth16, and no
//! maintained crate provides these circuits.

pub mod field;
pub mod groth;
pub mod hook;
pub mod merkle;
pub mod poseidon;
pub mod presentation;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use ark_bn254::Fr;
