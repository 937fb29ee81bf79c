//! Why a transaction was refused. Every variant is one specific check, with
//! a stable machine-readable [`TxError::code`].

use veil_crypto::clsag::ClsagError;
use veil_crypto::range::RangeError;
use veil_crypto::regulator_ciphertext::RegulatorProofError;

use veil_codec::{DecodeError, EncodeError};

/// A refused transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The bytes are not a canonical transaction.
    #[error("malformed transaction: {0}")]
    Malformed(#[from] DecodeError),
    /// A field of the transaction does not fit its encoding (only a
    /// transaction built locally can be in this state; decoded ones fit).
    #[error("the transaction cannot be encoded: {0}")]
    Unencodable(#[from] EncodeError),
    /// Two inputs spend the same key image.
    #[error("inputs {first} and {second} have the same key image")]
    DuplicateKeyImage {
        /// First input.
        first: usize,
        /// Second input.
        second: usize,
    },
    /// Two outputs have the same one-time key.
    #[error("outputs {first} and {second} have the same one-time key")]
    DuplicateOutputKey {
        /// First output.
        first: usize,
        /// Second output.
        second: usize,
    },
    /// A ring lists an index twice or out of order.
    #[error("ring of input {input} is not strictly increasing")]
    RingNotSorted {
        /// The input.
        input: usize,
    },
    /// The resolved rings do not match the inputs.
    #[error("resolved rings do not match the transaction's inputs")]
    RingShape,
    /// The aggregated range proof does not verify.
    #[error("range proof: {0}")]
    RangeProof(RangeError),
    /// The regulator handles' proof does not verify.
    #[error("regulator proof: {0}")]
    RegulatorProof(RegulatorProofError),
    /// Inputs do not equal outputs plus fee.
    #[error("amounts do not balance: inputs ≠ outputs + fee")]
    Unbalanced,
    /// A ring signature does not verify.
    #[error("ring signature of input {input}: {source}")]
    Signature {
        /// The input.
        input: usize,
        /// Why.
        source: ClsagError,
    },
    /// A ring member is not on the ledger.
    #[error("input {input} references unknown output {index}")]
    UnknownRingMember {
        /// The input.
        input: usize,
        /// The global output index.
        index: u64,
    },
    /// A key image is already spent.
    #[error("input {input} is already spent (key image seen before)")]
    KeyImageSpent {
        /// The input.
        input: usize,
    },
    /// A one-time key already exists on the ledger.
    #[error("output {output}'s one-time key already exists on the ledger")]
    OutputKeyExists {
        /// The output.
        output: usize,
    },
    /// The transfer is encrypted to a regulator key that is not in force.
    #[error("regulator key is not the one in force")]
    RegulatorKey,
    /// A mint's issuer signature does not verify.
    #[error("issuer signature does not verify")]
    IssuerSignature,
    /// A mint signed by a key that is not the asset's registered issuer.
    #[error("signer is not the asset's registered issuer")]
    NotIssuer,
    /// A registry transaction's signature does not verify.
    #[error("registry signature does not verify")]
    RegistrySignature,
    /// The signer is not a regulator (for that jurisdiction).
    #[error("signer is not a registered regulator for this jurisdiction")]
    NotRegulator,
    /// A registry transaction out of sequence (replayed or skipped).
    #[error("registry sequence {found}, expected {expected}")]
    RegistrySequence {
        /// The next sequence.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// A key registered for a past epoch.
    #[error("epoch {0} has already begun or passed; keys are registered ahead of time")]
    RegistryEpoch(u64),
    /// A slot already holds a key, or the key was registered before.
    #[error("a key is already registered for epoch {0} (or this key was registered before)")]
    RegistrySlotTaken(u64),
    /// Revoking a slot that holds no key.
    #[error("no key is registered for epoch {0} at that version")]
    RegistryUnknownSlot(u64),
    /// A delegation certificate does not verify or names another auditor.
    #[error("delegation certificate does not verify")]
    DelegationSignature,
    /// A regulator request's signature does not verify.
    #[error("request signature does not verify")]
    RequestSignature,
    /// An access record outside the regulator API.
    #[error("access record is not a regulator API read")]
    AccessScope,
    /// An access record whose nonce was used before.
    #[error("request nonce already used")]
    AccessReplay,
    /// An identity transaction breaks an identity rule.
    #[error(transparent)]
    Identity(veil_identity::IdentityError),
    /// A governance rule refuses the transaction.
    #[error(transparent)]
    Governance(crate::governance::rules::GovError),
    /// A vault rule refuses the record.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultTxError),
}

impl TxError {
    /// A stable short identifier, used as the problem type in the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Unencodable(_) => "unencodable",
            Self::DuplicateKeyImage { .. } => "duplicate-key-image",
            Self::DuplicateOutputKey { .. } => "duplicate-output-key",
            Self::RingNotSorted { .. } => "ring-not-sorted",
            Self::RingShape => "ring-shape",
            Self::RangeProof(_) => "bad-range-proof",
            Self::RegulatorProof(_) => "bad-regulator-proof",
            Self::Unbalanced => "unbalanced",
            Self::Signature { .. } => "bad-signature",
            Self::UnknownRingMember { .. } => "unknown-ring-member",
            Self::KeyImageSpent { .. } => "double-spend",
            Self::OutputKeyExists { .. } => "output-key-exists",
            Self::RegulatorKey => "wrong-regulator-key",
            Self::IssuerSignature => "bad-issuer-signature",
            Self::NotIssuer => "not-issuer",
            Self::RegistrySignature => "bad-registry-signature",
            Self::NotRegulator => "not-regulator",
            Self::RegistrySequence { .. } => "registry-sequence",
            Self::RegistryEpoch(_) => "registry-epoch",
            Self::RegistrySlotTaken(_) => "registry-slot-taken",
            Self::RegistryUnknownSlot(_) => "registry-unknown-slot",
            Self::DelegationSignature => "bad-delegation",
            Self::RequestSignature => "bad-request-signature",
            Self::AccessScope => "access-scope",
            Self::AccessReplay => "access-replay",
            Self::Identity(e) => e.code(),
            Self::Governance(e) => e.code(),
            Self::Vault(e) => e.code(),
        }
    }
}
