//! One pipeline for every transaction kind (after Penumbra's
//! `ActionHandler` split):
//!
//! ```text
//!   decode ─▶ check_stateless(rings) ─▶ check_stateful(state, time) ─▶ effects ─▶ apply
//!             proofs and signatures     what can change between        data     one place
//!             (batched per block by     blocks: key images, keys,               (the ledger's
//!             verify_batch_parallel)    issuers, nonces, identity rules          execute)
//! ```
//!
//! Every kind — transfers, mints, regulator key registrations, access
//! records, DID, trust-list and credential operations — implements
//! [`TxHandler`]. Admission runs both checks against committed state; block
//! execution runs the stateless check once per block in one parallel batch
//! and the stateful check in block order against committed state plus the
//! block's earlier effects, then applies the [`Effect`]s. A kind never
//! writes state itself, so the node, the proposer and every validator
//! interpret a transaction the same way.
//!
//! Identity operations are signed by keys listed in DID documents, which are
//! state: their signatures are checked in the stateful step.

use veil_crypto::clsag::KeyImage;
use veil_crypto::signing::VerifyingKey;
use veil_identity::state::{apply_credential, apply_did, apply_trust, IdentityState};
use veil_identity::tx::{CredentialTx, DidTx, TrustTx};

use crate::access::RegulatorRequest;
use crate::governance::liveness::CommitRecord;
use crate::governance::rules::{self as gov, GovEffect, GovState};
use crate::governance::GovTx;
use crate::ledger_view::{LedgerView, Rings};
use crate::mint::Mint;
use crate::registry::{IdentityRecord, Jurisdiction, KeyRecord, RegulatorKeys, Slot};
use crate::transfer::Transfer;
use crate::vault::{DocId, VaultState, VaultTx, VaultWrite};
use crate::TxError;

/// Everything a stateful check may read: ledger, identity and governance
/// state.
pub trait StateView: LedgerView + IdentityState + GovState + VaultState {}

impl<T: LedgerView + IdentityState + GovState + VaultState> StateView for T {}

/// A state change an accepted transaction makes, as data.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A key image becomes spent.
    Spend(KeyImage),
    /// The transaction's outputs join its asset's output list, in order.
    Outputs,
    /// A regulator key slot is set (published, or revoked with
    /// `record.active == false`).
    RegulatorKey {
        /// The jurisdiction.
        jurisdiction: Jurisdiction,
        /// The slot.
        slot: Slot,
        /// The record it now holds.
        record: KeyRecord,
    },
    /// A regulator identity's record changes (its registry sequence).
    RegulatorIdentity {
        /// The identity.
        id: VerifyingKey,
        /// Its new record.
        record: IdentityRecord,
    },
    /// A served regulator query is recorded; its nonce is used.
    Access {
        /// The requester.
        requester: VerifyingKey,
        /// The request's nonce.
        nonce: [u8; 16],
    },
    /// An identity state change (DID, trust list, issuer tree).
    Identity(veil_identity::state::Effect),
    /// A governance state change (committee, proposals, nodes, assets,
    /// the validator set).
    Gov(GovEffect),
    /// Vault records written or deleted; the record joins `doc`'s trail.
    Vault {
        /// The document the record is about (none for an enrolment).
        doc: Option<DocId>,
        /// The writes.
        writes: Vec<VaultWrite>,
    },
}

/// The two checks of one transaction kind.
pub trait TxHandler {
    /// Proofs and signatures that need no state beyond the rings the
    /// transaction references (resolved from committed, immutable outputs).
    fn check_stateless(&self, rings: &Rings) -> Result<(), TxError>;

    /// Everything that can change between blocks, against `state` at block
    /// time `now_ms`; on success, what accepting the transaction changes.
    fn check_stateful<V: StateView>(&self, state: &V, now_ms: u64) -> Result<Vec<Effect>, TxError>;
}

impl TxHandler for Transfer {
    fn check_stateless(&self, rings: &Rings) -> Result<(), TxError> {
        Transfer::check_stateless(self, rings)
    }

    fn check_stateful<V: StateView>(
        &self,
        state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        self.check_spends(state)?;
        gov::check_ring(state, self.inputs.first().map_or(0, |i| i.ring.len()))?;
        let mut effects: Vec<Effect> = self
            .inputs
            .iter()
            .map(|i| Effect::Spend(i.key_image))
            .collect();
        effects.push(Effect::Outputs);
        Ok(effects)
    }
}

impl TxHandler for Mint {
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        Mint::check_stateless(self)
    }

    fn check_stateful<V: StateView>(
        &self,
        state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        Mint::check_stateful(self, state)?;
        gov::check_mint(state, &self.asset)?;
        Ok(vec![Effect::Outputs])
    }
}

impl TxHandler for RegulatorKeys {
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        RegulatorKeys::check_stateless(self)
    }

    fn check_stateful<V: StateView>(
        &self,
        state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        RegulatorKeys::check_stateful(self, state)?;
        let mut effects = Vec::with_capacity(self.register.len() + self.revoke.len() + 1);
        for e in &self.register {
            effects.push(Effect::RegulatorKey {
                jurisdiction: self.jurisdiction.clone(),
                slot: e.slot,
                record: KeyRecord {
                    key: e.key,
                    active: true,
                },
            });
        }
        for s in &self.revoke {
            // The stateful check found every revoked slot.
            if let Some(mut record) = state.regulator_key_slot(&self.jurisdiction, *s) {
                record.active = false;
                effects.push(Effect::RegulatorKey {
                    jurisdiction: self.jurisdiction.clone(),
                    slot: *s,
                    record,
                });
            }
        }
        if let Some(mut record) = state.regulator_identity(&self.identity) {
            record.sequence = self.sequence;
            effects.push(Effect::RegulatorIdentity {
                id: self.identity,
                record,
            });
        }
        Ok(effects)
    }
}

impl TxHandler for RegulatorRequest {
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        RegulatorRequest::check_stateless(self)
    }

    fn check_stateful<V: StateView>(
        &self,
        state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        RegulatorRequest::check_stateful(self, state)?;
        Ok(vec![Effect::Access {
            requester: self.requester,
            nonce: self.nonce,
        }])
    }
}

fn identity(
    effects: Result<Vec<veil_identity::state::Effect>, veil_identity::IdentityError>,
) -> Result<Vec<Effect>, TxError> {
    Ok(effects
        .map_err(TxError::Identity)?
        .into_iter()
        .map(Effect::Identity)
        .collect())
}

impl TxHandler for DidTx {
    /// Signed by a key of a DID document, which is state: checked in the
    /// stateful step.
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        Ok(())
    }

    fn check_stateful<V: StateView>(&self, state: &V, now_ms: u64) -> Result<Vec<Effect>, TxError> {
        identity(apply_did(state, self, now_ms))
    }
}

impl TxHandler for TrustTx {
    /// Signed by the root authority's DID document: checked in the
    /// stateful step.
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        Ok(())
    }

    fn check_stateful<V: StateView>(&self, state: &V, now_ms: u64) -> Result<Vec<Effect>, TxError> {
        identity(apply_trust(state, self, now_ms))
    }
}

impl TxHandler for CredentialTx {
    /// Signed by the issuer's DID document: checked in the stateful step.
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        Ok(())
    }

    fn check_stateful<V: StateView>(&self, state: &V, now_ms: u64) -> Result<Vec<Effect>, TxError> {
        identity(apply_credential(state, self, now_ms))
    }
}

impl TxHandler for GovTx {
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        GovTx::check_stateless(self)
    }

    /// Membership, sequence and the proposal rules: state.
    fn check_stateful<V: StateView>(
        &self,
        state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        gov::check(self, state)
    }
}

/// A commit record is checked by the ledger, which knows the chain, the
/// parent block and the set that decided it
/// ([`crate::governance::liveness`]); through the pipeline — mempool
/// admission — it is always refused: only a block's proposer includes one.
impl TxHandler for CommitRecord {
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        Ok(())
    }

    fn check_stateful<V: StateView>(
        &self,
        _state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        Err(gov::GovError::CommitRecord("only a block's proposer includes one").into())
    }
}

impl TxHandler for VaultTx {
    fn check_stateless(&self, _rings: &Rings) -> Result<(), TxError> {
        VaultTx::check_stateless(self)
    }

    fn check_stateful<V: StateView>(
        &self,
        state: &V,
        _now_ms: u64,
    ) -> Result<Vec<Effect>, TxError> {
        Ok(vec![Effect::Vault {
            doc: self.doc(),
            writes: VaultTx::check_stateful(self, state)?,
        }])
    }
}
