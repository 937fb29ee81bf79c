//! Veil: a confidential ledger appliance.
//!
//! Banks submit confidential transfers, regulators open exactly the views
//! their keys are scoped to, and credential holders disclose only what they
//! choose. The ledger holds commitments, one-time keys, proofs and
//! ciphertexts, never amounts or identities in the clear.
//!
//! This crate is the `veil` binary's library: the commands ([`cli`]), the
//! process wiring ([`daemon`]), the dev network ([`dev`]), the node config
//! file ([`node_config`]) and an in-process chain source for the wallet
//! ([`ledger_source`]). Everything else lives in one crate per layer,
//! dependencies pointing downwards only (`docs/architecture.md#crate-map`,
//! enforced by `scripts/check-layers`); each is re-exported here under its
//! layer's name so the CLI and the integration tests read `veil::tx`,
//! `veil::ledger`, … .
#![forbid(unsafe_code)]

pub mod cli;
pub mod daemon;
pub mod dev;
pub mod ledger_source;
pub mod node_config;

pub use veil_api as api;
pub use veil_client as client;
pub use veil_clock as clock;
pub use veil_codec as codec;
pub use veil_consensus as consensus;
pub use veil_crypto as crypto;
pub use veil_identity as identity;
pub use veil_ledger as ledger;
pub use veil_net as net;
pub use veil_node as node;
pub use veil_regulator as regulator;
pub use veil_tx as tx;
pub use veil_vault as vault;
pub use veil_wallet as wallet;
pub use veil_wire as wire;
