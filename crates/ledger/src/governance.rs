//! Governance state on the ledger: the `governance` column family read
//! through [`GovState`], and the reads the API and the CLI need.
//!
//! The rules themselves (checks, tally, election) are pure and live in
//! `veil_tx::governance::rules`; execution applies their effects
//! (`execute`), and this module only reads.

use veil_codec::DecodeExt;
use veil_tx::governance::rules::{
    self as gov, Candidates, Committee, GovError, GovState, PendingSet, ProposalRecord,
};
use veil_tx::governance::GovParams;

use super::chain::Ledger;
use super::store::{Cf, StoreError};

fn corrupt(e: GovError) -> StoreError {
    StoreError::Corrupt {
        cf: "governance",
        source: veil_codec::DecodeError::Invalid {
            what: "governance record",
            why: match e {
                GovError::Corrupt(what) => what,
                _ => "unreadable",
            },
        },
    }
}

/// Committed state as governance reads it.
impl GovState for Ledger {
    fn gov_record(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.get_or_log(Cf::Governance, key)
    }

    fn current_validators(&self) -> Vec<([u8; 32], u64)> {
        self.validators().unwrap_or_else(|e| {
            tracing::error!(error = %e, "reading validators failed");
            Vec::new()
        })
    }
}

impl Ledger {
    /// The committee (empty on a chain without governance).
    pub fn committee(&self) -> Result<Committee, StoreError> {
        gov::committee(self).map_err(corrupt)
    }

    /// The governed parameters.
    pub fn gov_params(&self) -> Result<GovParams, StoreError> {
        gov::params(self).map_err(corrupt)
    }

    /// Registered validator candidates and observers.
    pub fn candidates(&self) -> Result<Candidates, StoreError> {
        gov::candidates(self).map_err(corrupt)
    }

    /// The validator set scheduled to come into force, if any.
    pub fn pending_set(&self) -> Result<Option<PendingSet>, StoreError> {
        gov::pending_set(self).map_err(corrupt)
    }

    /// The ids of the proposals open for votes.
    pub fn open_proposals(&self) -> Result<Vec<u64>, StoreError> {
        gov::open(self).map_err(corrupt)
    }

    /// One proposal.
    pub fn proposal(&self, id: u64) -> Result<Option<ProposalRecord>, StoreError> {
        gov::proposal(self, id).map_err(corrupt)
    }

    /// Proposals, newest first, at most `limit`.
    pub fn proposals(&self, limit: usize) -> Result<Vec<ProposalRecord>, StoreError> {
        let mut all: Vec<ProposalRecord> = self
            .store()
            .scan(Cf::Governance, b"proposal/", b"proposal/", usize::MAX)?
            .into_iter()
            .map(|(_, v)| {
                ProposalRecord::decode(&v).map_err(|source| StoreError::Corrupt {
                    cf: "governance",
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        all.sort_by_key(|p| std::cmp::Reverse(p.id));
        all.truncate(limit);
        Ok(all)
    }
}
