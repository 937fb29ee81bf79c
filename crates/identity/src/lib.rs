//! Identity: `did:veil` DIDs, the issuer trust list, credentials and their
//! zero-knowledge presentations.
//!
//! * [`did`], [`keys`]: identifiers, DID Core documents, Multikey keys;
//! * [`tx`]: the three identity transaction kinds (DID, trust list,
//!   credential operations) and their wire layouts;
//! * [`state`]: ledger state and the rules of those transactions;
//! * [`tree`]: issuers' incremental Poseidon Merkle trees;
//! * [`schema`]: credential types and attribute encodings;
//! * [`credential`], [`vc`]: issuance and VC 2.0 envelopes with Data
//!   Integrity proofs;
//! * [`presentation`]: requests, Groth16 presentations and verification;
//! * [`pinned_keys`]: the pinned verifying key and the proving-key cache;
//! * [`local_identity`]: the encrypted identity keystore of issuers, holders and
//!   the root authority.

pub mod credential;
pub mod did;
pub mod keys;
pub mod local_identity;
pub mod pinned_keys;
pub mod presentation;
pub mod rules;
pub mod schema;
pub mod state;
pub mod tree;
pub mod tx;
pub mod vc;

pub use did::{DidDocument, DidId};
pub use state::{IdentityError, IdentityState};

/// An RFC 3339 UTC timestamp (second precision) of `ms` since the Unix
/// epoch.
pub fn timestamp(ms: u64) -> String {
    let secs = ms / 1000;
    let day = schema::Date(719_163 + u32::try_from(secs / 86_400).unwrap_or(0));
    let rem = secs % 86_400;
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
