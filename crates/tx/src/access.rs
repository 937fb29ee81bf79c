//! Access-audit records: every regulator query the API serves is written
//! to the ledger as the regulator's own signed request, so anyone — the
//! banks first — can see who looked at what and when, and nobody can forge
//! or erase such an entry.
//!
//! A request is authenticated by the requester's Ed25519 signature over
//!
//! ```text
//!   SHA-256("veil/regulator-request/v1" ‖ 0x00 ‖ method ‖ 0x00 ‖ target ‖ 0x00 ‖
//!           nonce (16) ‖ le64(expires_ms) ‖ delegation hash or 32 zero bytes)
//! ```
//!
//! where `target` is the HTTP path and query. The requester is either a
//! regulator identity (genesis) or an auditor holding a [`Delegation`]: a
//! certificate by a regulator identity that scopes the auditor to one
//! jurisdiction and one epoch until an expiry.
//!
//! # Wire layout of the credential (HTTP `Authorization: Veil-Regulator <hex>`)
//!
//! ```text
//!   requester  32
//!   flag       u8 (0 | 1) ‖ [ delegation: issuer 32 ‖ auditor 32 ‖ jurisdiction ‖
//!                             epoch u64 ‖ expires_ms u64 ‖ signature 64 ]
//!   nonce      16
//!   expires_ms u64
//!   signature  64
//! ```
//!
//! An access record (transaction kind 4) is `method (u8 len) ‖ target (u16
//! len, ≤ 512) ‖ credential`.

use veil_crypto::hash::hash256;
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};

use super::error::TxError;
use super::ledger_view::LedgerView;
use super::registry::Jurisdiction;
use veil_codec::{
    check_range, Decode, DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer,
};

/// Longest request target recorded.
pub const MAX_TARGET: usize = 512;
/// Prefix every audited target has.
pub const REGULATOR_PREFIX: &str = "/v1/regulator/";
/// The only target a `POST` may have: an officer's share upload.
pub const THRESHOLD_SHARE_PREFIX: &str = "/v1/regulator/threshold/shares?";

/// An auditor's certificate, signed by a regulator identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegation {
    /// The regulator identity that delegates.
    pub issuer: VerifyingKey,
    /// The auditor's request-signing key.
    pub auditor: VerifyingKey,
    /// Jurisdiction of the delegated epoch.
    pub jurisdiction: Jurisdiction,
    /// The one epoch the auditor may query.
    pub epoch: u64,
    /// Unix ms after which the certificate is void.
    pub expires_ms: u64,
    /// Issuer's signature.
    pub signature: Signature,
}

impl Delegation {
    fn message(&self) -> Result<[u8; 32], EncodeError> {
        let mut w = Writer::new();
        w.bytes(self.issuer.as_bytes());
        w.bytes(self.auditor.as_bytes());
        self.jurisdiction.write(&mut w);
        w.u64(self.epoch);
        w.u64(self.expires_ms);
        Ok(hash256(b"veil/delegation/v1", &[&w.finish()?]))
    }

    /// Issues a certificate.
    pub fn issue(
        issuer: &SigningKey,
        auditor: VerifyingKey,
        jurisdiction: Jurisdiction,
        epoch: u64,
        expires_ms: u64,
    ) -> Result<Self, EncodeError> {
        let mut d = Self {
            issuer: *issuer.public(),
            auditor,
            jurisdiction,
            epoch,
            expires_ms,
            signature: Signature([0; 64]),
        };
        d.signature = issuer.sign(&d.message()?);
        Ok(d)
    }

    /// Checks the issuer's signature.
    pub fn verify(&self) -> Result<(), TxError> {
        self.issuer
            .verify(&self.message()?, &self.signature)
            .map_err(|_| TxError::DelegationSignature)
    }

    /// A digest identifying the certificate.
    pub fn hash(&self) -> Result<[u8; 32], EncodeError> {
        Ok(hash256(b"veil/delegation-id/v1", &[&self.encode()?]))
    }

    /// Encodes the certificate alone (for key files).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        self.encode()
    }

    /// Decodes a certificate alone.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let d = Self::read(&mut r)?;
        r.finish()?;
        Ok(d)
    }
}

impl Encode for Delegation {
    fn write(&self, w: &mut Writer) {
        w.bytes(self.issuer.as_bytes());
        w.bytes(self.auditor.as_bytes());
        self.jurisdiction.write(w);
        w.u64(self.epoch);
        w.u64(self.expires_ms);
        w.bytes(&self.signature.0);
    }
}

impl Decode for Delegation {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let key = |r: &mut Reader<'_>, what| {
            VerifyingKey::from_bytes(&r.array(what)?).map_err(|_| DecodeError::Invalid {
                what,
                why: "not a valid Ed25519 public key",
            })
        };
        Ok(Self {
            issuer: key(r, "delegation issuer")?,
            auditor: key(r, "delegation auditor")?,
            jurisdiction: Jurisdiction::read(r)?,
            epoch: r.u64("delegation epoch")?,
            expires_ms: r.u64("delegation expiry")?,
            signature: Signature(r.array("delegation signature")?),
        })
    }
}

/// A signed regulator API request (and, once served, its access record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegulatorRequest {
    /// HTTP method.
    pub method: String,
    /// HTTP path and query.
    pub target: String,
    /// Who asks: a regulator identity, or an auditor with a delegation.
    pub requester: VerifyingKey,
    /// The auditor's certificate.
    pub delegation: Option<Delegation>,
    /// Random, never reused by the requester.
    pub nonce: [u8; 16],
    /// Unix ms after which the request is refused.
    pub expires_ms: u64,
    /// Requester's signature over [`RegulatorRequest::message`].
    pub signature: Signature,
}

/// An access record's key in state: `requester ‖ nonce`.
pub fn state_key(requester: &VerifyingKey, nonce: &[u8; 16]) -> Vec<u8> {
    [&requester.as_bytes()[..], nonce].concat()
}

impl RegulatorRequest {
    /// The signed message.
    pub fn message(&self) -> Result<[u8; 32], EncodeError> {
        let dh = match &self.delegation {
            None => [0u8; 32],
            Some(d) => d.hash()?,
        };
        Ok(hash256(
            b"veil/regulator-request/v1",
            &[
                self.method.as_bytes(),
                &[0],
                self.target.as_bytes(),
                &[0],
                &self.nonce,
                &self.expires_ms.to_le_bytes(),
                &dh,
            ],
        ))
    }

    /// Builds and signs a request.
    pub fn sign(
        key: &SigningKey,
        delegation: Option<Delegation>,
        method: &str,
        target: &str,
        nonce: [u8; 16],
        expires_ms: u64,
    ) -> Result<Self, EncodeError> {
        let mut r = Self {
            method: method.to_owned(),
            target: target.to_owned(),
            requester: *key.public(),
            delegation,
            nonce,
            expires_ms,
            signature: Signature([0; 64]),
        };
        r.signature = key.sign(&r.message()?);
        Ok(r)
    }

    /// The credential (everything but method and target), for the header.
    pub fn credential(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::new();
        self.encode_credential(&mut w);
        w.finish()
    }

    fn encode_credential(&self, w: &mut Writer) {
        w.bytes(self.requester.as_bytes());
        match &self.delegation {
            None => w.u8(0),
            Some(d) => {
                w.u8(1);
                d.write(w);
            }
        }
        w.bytes(&self.nonce);
        w.u64(self.expires_ms);
        w.bytes(&self.signature.0);
    }

    fn decode_credential(
        r: &mut Reader<'_>,
        method: String,
        target: String,
    ) -> Result<Self, DecodeError> {
        let requester =
            VerifyingKey::from_bytes(&r.array("requester")?).map_err(|_| DecodeError::Invalid {
                what: "requester",
                why: "not a valid Ed25519 public key",
            })?;
        let delegation = match r.u8("delegation flag")? {
            0 => None,
            1 => Some(Delegation::read(r)?),
            _ => {
                return Err(DecodeError::Invalid {
                    what: "delegation flag",
                    why: "must be 0 or 1",
                })
            }
        };
        Ok(Self {
            method,
            target,
            requester,
            delegation,
            nonce: r.array("nonce")?,
            expires_ms: r.u64("expiry")?,
            signature: Signature(r.array("request signature")?),
        })
    }

    /// Parses a credential sent with `method target`.
    pub fn from_credential(bytes: &[u8], method: &str, target: &str) -> Result<Self, DecodeError> {
        check_range("request target length", target.len(), 1, MAX_TARGET)?;
        let mut r = Reader::new(bytes);
        let req = Self::decode_credential(&mut r, method.to_owned(), target.to_owned())?;
        r.finish()?;
        Ok(req)
    }

    /// Signatures, method, target prefix.
    pub fn check_stateless(&self) -> Result<(), TxError> {
        // Reads are GETs; the one write is an officer's share of a
        // threshold opening, whose signed target names its digest.
        let method_ok = self.method == "GET"
            || (self.method == "POST" && self.target.starts_with(THRESHOLD_SHARE_PREFIX));
        if !method_ok
            || !self.target.starts_with(REGULATOR_PREFIX)
            || self.target.len() > MAX_TARGET
        {
            return Err(TxError::AccessScope);
        }
        if let Some(d) = &self.delegation {
            d.verify()?;
            if d.auditor != self.requester {
                return Err(TxError::DelegationSignature);
            }
        }
        self.requester
            .verify(&self.message()?, &self.signature)
            .map_err(|_| TxError::RequestSignature)
    }

    /// The requester is a regulator, or an auditor delegated by one; the
    /// nonce is new.
    pub fn check_stateful(&self, view: &impl LedgerView) -> Result<(), TxError> {
        match &self.delegation {
            None => {
                view.regulator_identity(&self.requester)
                    .ok_or(TxError::NotRegulator)?;
            }
            Some(d) => {
                let id = view
                    .regulator_identity(&d.issuer)
                    .ok_or(TxError::NotRegulator)?;
                if !id.jurisdictions.contains(&d.jurisdiction) {
                    return Err(TxError::NotRegulator);
                }
            }
        }
        if view.access_nonce_used(&self.requester, &self.nonce) {
            return Err(TxError::AccessReplay);
        }
        Ok(())
    }

    /// The record's key in state: `requester ‖ nonce`.
    pub fn state_key(&self) -> Vec<u8> {
        state_key(&self.requester, &self.nonce)
    }

    /// `SHA-256` of the target: the "hash of the query" of the audit trail.
    pub fn query_hash(&self) -> [u8; 32] {
        hash256(
            b"veil/regulator-query/v1",
            &[self.method.as_bytes(), &[0], self.target.as_bytes()],
        )
    }
}

impl Encode for RegulatorRequest {
    fn write(&self, w: &mut Writer) {
        w.count_u8("method length", self.method.len(), 1, 8);
        w.bytes(self.method.as_bytes());
        w.bytes_u16("request target", self.target.as_bytes(), 1, MAX_TARGET);
        self.encode_credential(w);
    }
}

impl Decode for RegulatorRequest {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let n = r.count_u8("method length", 1, 8)?;
        let method = String::from_utf8(r.bytes(n, "method")?.to_vec()).map_err(|_| {
            DecodeError::Invalid {
                what: "method",
                why: "not ASCII",
            }
        })?;
        let target = String::from_utf8(r.bytes_u16("request target", 1, MAX_TARGET)?.to_vec())
            .map_err(|_| DecodeError::Invalid {
                what: "request target",
                why: "not UTF-8",
            })?;
        Self::decode_credential(r, method, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, target: &str) -> RegulatorRequest {
        let key = SigningKey::from_seed(&[7; 32]);
        RegulatorRequest::sign(&key, None, method, target, [1; 16], 1_000).unwrap()
    }

    #[test]
    fn only_reads_and_threshold_share_uploads_are_admitted() {
        assert!(req("GET", "/v1/regulator/transfers?from=0&to=1")
            .check_stateless()
            .is_ok());
        assert!(req(
            "POST",
            "/v1/regulator/threshold/shares?request=00&officer=1&digest=00&from=0&to=1"
        )
        .check_stateless()
        .is_ok());
        for (m, t) in [
            ("POST", "/v1/regulator/transfers?from=0&to=1"),
            ("POST", "/v1/regulator/threshold/sharesX"),
            ("DELETE", "/v1/regulator/threshold/shares?request=00"),
            ("GET", "/v1/status"),
        ] {
            assert!(
                matches!(req(m, t).check_stateless(), Err(TxError::AccessScope)),
                "{m} {t}"
            );
        }
        // The method is signed: a GET credential does not authorise a POST.
        let get = req(
            "GET",
            "/v1/regulator/threshold/shares?request=00&from=0&to=1",
        );
        let cred = get.credential().unwrap();
        let as_post = RegulatorRequest::from_credential(
            &cred,
            "POST",
            "/v1/regulator/threshold/shares?request=00&from=0&to=1",
        )
        .unwrap();
        assert!(matches!(
            as_post.check_stateless(),
            Err(TxError::RequestSignature)
        ));
    }
}
