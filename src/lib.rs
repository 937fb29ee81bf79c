//! Veil: a confidential ledger appliance.
//!
//! Banks submit confidential transfers, regulators open exactly the views
//! their keys are scoped to, and credential holders disclose only what they
//! choose. The ledger holds commitments, one-time keys, proofs and
//! ciphertexts, never amounts or identities in the clear.
//!
//! Layers, dependencies pointing downwards only (DESIGN.md §1):
//!
//! | module | owns |
//! |---|---|
//! | [`cli`] | the `veil` binary's commands |
//! | [`tx`] | transaction types, canonical codec, builder, validation |
//! | [`crypto`] | primitives only, no I/O |
#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod consensus;
pub mod crypto;
pub mod identity;
pub mod ledger;
pub mod net;
pub mod node;
pub mod regulator;
pub mod tx;
pub mod wallet;
