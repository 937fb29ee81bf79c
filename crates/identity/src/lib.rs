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
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "9999-12-31T23:59:59Z".to_owned())
}
