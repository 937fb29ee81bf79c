//! Issuance: an asset's registered issuer creates confidential outputs.
//!
//! A mint is an [`OutputBundle`] (the same outputs, range proof, regulator
//! handles, proof and note as any transfer, so the regulator sees minted
//! amounts like any other) signed with the issuer's Ed25519 key over the
//! signing hash. There are no inputs and no balance equation: creating value
//! is the issuer's authority, checked against the asset's registered issuer
//! key in ledger state. A replayed mint is refused because its one-time keys
//! already exist.
//!
//! # Wire layout (after the version and kind bytes)
//!
//! ```text
//!   asset      u8 len ‖ ASCII
//!   issuer     32   Ed25519 public key
//!   bundle     see bundle::OutputBundle
//!   ---- the signing hash covers every byte above (and the version/kind) ----
//!   signature  64   Ed25519 over the signing hash
//! ```

use rand_core::{CryptoRng, RngCore};

use veil_crypto::batch::BatchVerifier;
use veil_crypto::regulator_ciphertext::{RegulatorProofError, RegulatorPublicKey};
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};

use super::batch::verifier_rng;
use super::bundle::build::{build_bundle, BuildError, PlannedOutput};
use super::bundle::OutputBundle;
use super::error::TxError;
use super::ledger_view::LedgerView;
use super::{AssetId, KIND_MINT};
use veil_codec::{Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};

/// A mint of new confidential outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mint {
    /// The asset issued.
    pub asset: AssetId,
    /// The issuer's public key (must be the asset's registered issuer).
    pub issuer: VerifyingKey,
    /// The new outputs and their proofs.
    pub bundle: OutputBundle,
    /// The issuer's signature over [`Mint::signing_hash`].
    pub signature: Signature,
}

impl Mint {
    fn encode_prefix(&self, w: &mut Writer) {
        self.asset.write(w);
        w.bytes(self.issuer.as_bytes());
        self.bundle.write(w);
    }

    /// `SHA-256("veil/tx-sign/v1" ‖ 0x00 ‖ version ‖ kind ‖ prefix)`.
    pub fn signing_hash(&self) -> Result<[u8; 32], EncodeError> {
        crate::signing_hash(KIND_MINT, |w| self.encode_prefix(w))
    }

    fn check_signature(&self) -> Result<(), TxError> {
        self.issuer
            .verify(&self.signing_hash()?, &self.signature)
            .map_err(|_| TxError::IssuerSignature)
    }

    /// Add to batch.
    pub fn add_to_batch<R: RngCore + CryptoRng>(
        &self,
        batch: &mut BatchVerifier,
        rng: &mut R,
    ) -> Result<(), TxError> {
        self.bundle.check_shape()?;
        self.check_signature()?;
        self.bundle.add_regulator_proof(batch, rng)
    }

    /// Verifies the proofs and the issuer's signature.
    pub fn check_stateless(&self) -> Result<(), TxError> {
        let mut rng = verifier_rng();
        self.bundle.check_shape()?;
        self.bundle
            .range_proof
            .verify(&self.bundle.limb_commitments())
            .map_err(TxError::RangeProof)?;
        let mut batch = BatchVerifier::with_capacity(self.bundle.batch_terms());
        self.bundle.add_regulator_proof(&mut batch, &mut rng)?;
        if !batch.verify() {
            return Err(TxError::RegulatorProof(RegulatorProofError::Invalid));
        }
        self.check_signature()
    }

    /// Locate failure.
    pub fn locate_failure(&self) -> Result<(), TxError> {
        self.check_stateless()
    }

    /// Checks the issuer is the asset's registered issuer, and the bundle
    /// against state.
    pub fn check_stateful(&self, view: &impl LedgerView) -> Result<(), TxError> {
        if view.asset_issuer(&self.asset) != Some(self.issuer) {
            return Err(TxError::NotIssuer);
        }
        self.bundle.check_stateful(view)
    }
}

impl Encode for Mint {
    fn write(&self, w: &mut Writer) {
        self.encode_prefix(w);
        w.bytes(&self.signature.0);
    }
}

impl Decode for Mint {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let asset = AssetId::read(r)?;
        let issuer = VerifyingKey::from_bytes(&r.array("issuer key")?).map_err(|_| {
            DecodeError::Invalid {
                what: "issuer key",
                why: "not a valid Ed25519 public key",
            }
        })?;
        let bundle = OutputBundle::read(r)?;
        let signature = Signature(r.array("issuer signature")?);
        Ok(Self {
            asset,
            issuer,
            bundle,
            signature,
        })
    }
}

/// What an issuer needs to mint.
pub struct MintPlan<'a> {
    /// The asset.
    pub asset: AssetId,
    /// The issuer's signing key.
    pub issuer: &'a SigningKey,
    /// The regulator key in force.
    pub regulator_key: RegulatorPublicKey,
    /// The outputs to create.
    pub outputs: Vec<PlannedOutput>,
}

impl MintPlan<'_> {
    /// Builds and signs the mint.
    pub fn build<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Result<Mint, BuildError> {
        for (i, o) in self.outputs.iter().enumerate() {
            if o.amount == 0 {
                return Err(BuildError::ZeroPayment(i));
            }
        }
        let built = build_bundle(
            &self.asset,
            &self.regulator_key,
            &self.outputs,
            None,
            None,
            rng,
        )?;
        let mut mint = Mint {
            asset: self.asset.clone(),
            issuer: *self.issuer.public(),
            bundle: built.bundle,
            signature: Signature([0; 64]),
        };
        mint.signature = self.issuer.sign(&mint.signing_hash()?);
        Ok(mint)
    }
}
