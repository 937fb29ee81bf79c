//! Regulator key registry: a regulator publishes (and revokes) the public
//! keys of its epochs with a transaction signed by its identity key.
//!
//! An epoch is a range of `epoch_length` block heights (genesis sets the
//! length). Transfers must encrypt their regulator handles to the key in
//! force for the epoch of the block that includes them (or, within the
//! genesis' grace, of the epoch before). Genesis names the regulator
//! identities and the jurisdictions each may publish keys for.
//!
//! # Wire layout (after the version and kind bytes)
//!
//! ```text
//!   identity      32   Ed25519 public key of the regulator
//!   sequence      u64  1 + the identity's previous registry transaction
//!   jurisdiction  u8 len ‖ [a-z0-9-]{1,32}
//!   n_register    u8   ‖ n × ( epoch u64 ‖ version u32 ‖ PK 32 )   strictly increasing (epoch, version)
//!   n_revoke      u8   ‖ n × ( epoch u64 ‖ version u32 )           strictly increasing
//!   ---- signing hash covers every byte above ----
//!   signature     64   Ed25519
//! ```
//!
//! Rules (stateful): the identity may publish for the jurisdiction; the
//! sequence is the next one (no replay); a registered epoch is the current
//! one or later, its (epoch, version) slot is empty, and the key was never
//! registered before; a revoked slot exists. 1 to 64 operations.

use std::fmt;

use veil_crypto::regulator_ciphertext::RegulatorPublicKey;
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};

use super::error::TxError;
use super::ledger_view::LedgerView;
use super::KIND_REGISTRY;
use veil_codec::{
    check_range, Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer,
};

/// Most register plus revoke operations per transaction.
pub const MAX_OPERATIONS: usize = 64;
/// Longest jurisdiction name.
pub const MAX_JURISDICTION: usize = 32;

/// A jurisdiction's name: 1 to 32 of `[a-z0-9-]`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jurisdiction(String);

impl Jurisdiction {
    /// Validates a name.
    pub fn new(s: &str) -> Result<Self, DecodeError> {
        check_range("jurisdiction length", s.len(), 1, MAX_JURISDICTION)?;
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(DecodeError::Invalid {
                what: "jurisdiction",
                why: "only a-z, 0-9 and -",
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Encode for Jurisdiction {
    fn write(&self, w: &mut Writer) {
        w.count_u8("jurisdiction length", self.0.len(), 1, MAX_JURISDICTION);
        w.bytes(self.0.as_bytes());
    }
}

impl Decode for Jurisdiction {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.count_u8("jurisdiction length", 1, MAX_JURISDICTION)?;
        let b = r.bytes(n, "jurisdiction")?;
        Self::new(std::str::from_utf8(b).map_err(|_| DecodeError::Invalid {
            what: "jurisdiction",
            why: "not ASCII",
        })?)
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jurisdiction({})", self.0)
    }
}

/// Epoch and version of a key slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    /// Epoch.
    pub epoch: u64,
    /// Version (0, then 1, 2… after revocations).
    pub version: u32,
}

/// A key to publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    /// Where.
    pub slot: Slot,
    /// The epoch's public key.
    pub key: RegulatorPublicKey,
}

/// A registry transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegulatorKeys {
    /// The regulator's identity.
    pub identity: VerifyingKey,
    /// 1 + the sequence of the identity's previous registry transaction.
    pub sequence: u64,
    /// The jurisdiction.
    pub jurisdiction: Jurisdiction,
    /// Keys to publish.
    pub register: Vec<KeyEntry>,
    /// Slots to revoke.
    pub revoke: Vec<Slot>,
    /// Identity's signature over [`RegulatorKeys::signing_hash`].
    pub signature: Signature,
}

fn read_slot(r: &mut Reader<'_>) -> Result<Slot, DecodeError> {
    Ok(Slot {
        epoch: r.u64("epoch")?,
        version: u32::from_le_bytes(r.array("version")?),
    })
}

fn write_slot(w: &mut Writer, s: &Slot) {
    w.u64(s.epoch);
    w.bytes(&s.version.to_le_bytes());
}

impl RegulatorKeys {
    fn encode_prefix(&self, w: &mut Writer) {
        w.bytes(self.identity.as_bytes());
        w.u64(self.sequence);
        self.jurisdiction.write(w);
        w.count_u8("register count", self.register.len(), 0, MAX_OPERATIONS);
        for e in &self.register {
            write_slot(w, &e.slot);
            w.point(e.key.as_point());
        }
        w.count_u8("revoke count", self.revoke.len(), 0, MAX_OPERATIONS);
        for s in &self.revoke {
            write_slot(w, s);
        }
    }

    fn check_order(&self) -> Result<(), TxError> {
        let total = self.register.len() + self.revoke.len();
        check_range("registry operations", total, 1, MAX_OPERATIONS)?;
        if self.register.windows(2).any(|w| w[0].slot >= w[1].slot)
            || self.revoke.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(DecodeError::Invalid {
                what: "registry",
                why: "each list must be strictly increasing",
            }
            .into());
        }
        Ok(())
    }

    /// `SHA-256("veil/tx-sign/v1" ‖ 0x00 ‖ version ‖ kind ‖ prefix)`.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        crate::signing_hash(KIND_REGISTRY, |w| self.encode_prefix(w))
    }

    /// Builds and signs.
    pub fn sign(
        identity: &SigningKey,
        sequence: u64,
        jurisdiction: Jurisdiction,
        register: Vec<KeyEntry>,
        revoke: Vec<Slot>,
    ) -> Result<Self, EncodeError> {
        let mut tx = Self {
            identity: *identity.public(),
            sequence,
            jurisdiction,
            register,
            revoke,
            signature: Signature([0; 64]),
        };
        tx.register.sort_by_key(|e| e.slot);
        tx.revoke.sort();
        tx.signature = identity.sign(&tx.signing_hash()?);
        Ok(tx)
    }

    /// Shape and signature.
    pub fn check_stateless(&self) -> Result<(), TxError> {
        self.check_order()?;
        self.identity
            .verify(&self.signing_hash()?, &self.signature)
            .map_err(|_| TxError::RegistrySignature)
    }

    /// Authorization, sequence and slot rules against ledger state.
    pub fn check_stateful(&self, view: &impl LedgerView) -> Result<(), TxError> {
        let id = view
            .regulator_identity(&self.identity)
            .ok_or(TxError::NotRegulator)?;
        if !id.jurisdictions.contains(&self.jurisdiction) {
            return Err(TxError::NotRegulator);
        }
        if self.sequence != id.sequence + 1 {
            return Err(TxError::RegistrySequence {
                expected: id.sequence + 1,
                found: self.sequence,
            });
        }
        let current = view.epoch_of(view.next_height());
        for e in &self.register {
            if e.slot.epoch < current {
                return Err(TxError::RegistryEpoch(e.slot.epoch));
            }
            if view
                .regulator_key_slot(&self.jurisdiction, e.slot)
                .is_some()
                || view.regulator_key_info(&e.key).is_some()
            {
                return Err(TxError::RegistrySlotTaken(e.slot.epoch));
            }
        }
        for s in &self.revoke {
            if view.regulator_key_slot(&self.jurisdiction, *s).is_none() {
                return Err(TxError::RegistryUnknownSlot(s.epoch));
            }
        }
        Ok(())
    }
}

impl Encode for RegulatorKeys {
    fn write(&self, w: &mut Writer) {
        self.encode_prefix(w);
        w.bytes(&self.signature.0);
    }
}

impl Decode for RegulatorKeys {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let identity = VerifyingKey::from_bytes(&r.array("regulator identity")?).map_err(|_| {
            DecodeError::Invalid {
                what: "regulator identity",
                why: "not a valid Ed25519 public key",
            }
        })?;
        let sequence = r.u64("sequence")?;
        let jurisdiction = Jurisdiction::read(r)?;
        let n = r.count_u8("register count", 0, MAX_OPERATIONS)?;
        let mut register = Vec::with_capacity(n);
        for _ in 0..n {
            register.push(KeyEntry {
                slot: read_slot(r)?,
                key: RegulatorPublicKey(r.point_non_identity("regulator key")?),
            });
        }
        let n = r.count_u8("revoke count", 0, MAX_OPERATIONS)?;
        let mut revoke = Vec::with_capacity(n);
        for _ in 0..n {
            revoke.push(read_slot(r)?);
        }
        let signature = Signature(r.array("registry signature")?);
        let tx = Self {
            identity,
            sequence,
            jurisdiction,
            register,
            revoke,
            signature,
        };
        tx.check_order().map_err(|_| DecodeError::Invalid {
            what: "registry",
            why: "operations must be 1 to 64, each list strictly increasing",
        })?;
        Ok(tx)
    }
}

/// What the ledger knows about a regulator identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRecord {
    /// Who.
    pub label: String,
    /// Jurisdictions it may publish keys for.
    pub jurisdictions: Vec<Jurisdiction>,
    /// Sequence of its last registry transaction (0 before the first).
    pub sequence: u64,
}

/// A published epoch key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key.
    pub key: RegulatorPublicKey,
    /// False once revoked.
    pub active: bool,
}
