//! The ledger: blocks, state in RocksDB column families, the state tree,
//! execution, genesis and the mempool.
//!
//! Storage sits behind [`store::StateRead`] / [`store::StateWrite`], so the
//! same execution runs on [`store::RocksStore`] and on
//! [`store::MemoryStore`] (replays, tests).

pub use veil_wire::block;
pub mod chain;
pub mod chunks;
pub mod execute;
pub mod genesis;
pub mod governance;
pub mod identity;
pub mod liveness;
pub mod mempool;
pub mod records;
pub mod replay;
pub mod store;
pub mod tree;
pub mod vault;

pub use chain::Ledger;
