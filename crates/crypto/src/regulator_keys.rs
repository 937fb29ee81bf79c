//! The regulator's key hierarchy: master → jurisdiction → epoch, each step a
//! *hardened* derivation.
//!
//! ```text
//!   identity seed   = HKDF-SHA256(salt = "veil/regulator/identity/v1",     ikm = master, info = "")
//!   jurisdiction    = HKDF-SHA256(salt = "veil/regulator/jurisdiction/v1", ikm = master, info = name)
//!   epoch seed      = HKDF-SHA256(salt = "veil/regulator/epoch/v1",        ikm = jurisdiction,
//!                                 info = name ‖ 0x00 ‖ le64(epoch) ‖ le32(version))
//!   epoch secret    = H_s("veil/regulator/epoch-scalar/v1", epoch seed),   PK = secret·G
//! ```
//!
//! (RFC 5869.) Every step feeds the parent's *secret* through HMAC, so a
//! child reveals nothing about its parent (HMAC is one-way) nor about its
//! siblings (each is an independent PRF output) — unlike BIP-32's
//! non-hardened derivation, where a child secret and the parent's public
//! chain code give away the parent. A regulator can therefore hand an
//! auditor the secret of one epoch (a *delegated key*) and nothing else;
//! publishing every epoch's public key ahead of time needs the jurisdiction
//! secret, which never leaves the regulator.
//!
//! `version` lets a compromised epoch key be replaced by a fresh one for the
//! same epoch.
//!
//! The identity key (Ed25519) signs the regulator's registry transactions,
//! its API requests and the delegation certificates of its auditors.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;

use super::hash::hash_to_scalar;
use super::regulator_ciphertext::RegulatorSecretKey;
use super::secret::Secret;
use super::signing::SigningKey;

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> Secret<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut out = Secret::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's output limit.
    hk.expand(info, out.expose_mut())
        .expect("32 bytes of HKDF output");
    out
}

/// A regulator's master secret.
pub struct RegulatorMaster {
    seed: Secret<[u8; 32]>,
}

impl RegulatorMaster {
    /// The master from its 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            seed: Secret::new(*seed),
        }
    }

    /// The seed, for keystores.
    pub fn seed(&self) -> &Secret<[u8; 32]> {
        &self.seed
    }

    /// The Ed25519 identity key.
    pub fn identity(&self) -> SigningKey {
        SigningKey::from_seed(hkdf(b"veil/regulator/identity/v1", self.seed.expose(), b"").expose())
    }

    /// The key of jurisdiction `name`.
    pub fn jurisdiction(&self, name: &str) -> JurisdictionKey {
        JurisdictionKey {
            name: name.to_owned(),
            seed: hkdf(
                b"veil/regulator/jurisdiction/v1",
                self.seed.expose(),
                name.as_bytes(),
            ),
        }
    }
}

impl fmt::Debug for RegulatorMaster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegulatorMaster([REDACTED])")
    }
}

/// A jurisdiction's key: derives every epoch key of that jurisdiction.
pub struct JurisdictionKey {
    name: String,
    seed: Secret<[u8; 32]>,
}

impl JurisdictionKey {
    /// The jurisdiction's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The jurisdiction's credential-hook secret `y` (Baby Jubjub): holders
    /// of credentials whose accreditation names `Y = y·G` encrypt their
    /// holder commitment to it in every presentation.
    pub fn credential_hook(&self) -> veil_circuits::hook::HookSecret {
        let a = hkdf(
            b"veil/regulator/credential-hook/v1",
            self.seed.expose(),
            b"a",
        );
        let b = hkdf(
            b"veil/regulator/credential-hook/v1",
            self.seed.expose(),
            b"b",
        );
        let mut wide = Secret::new([0u8; 64]);
        wide.expose_mut()[..32].copy_from_slice(a.expose());
        wide.expose_mut()[32..].copy_from_slice(b.expose());
        veil_circuits::hook::HookSecret::from_wide(wide.expose())
    }

    /// The decryption key of `epoch`, `version` (0 unless rotated).
    pub fn epoch(&self, epoch: u64, version: u32) -> EpochKey {
        let info = [
            self.name.as_bytes(),
            &[0],
            &epoch.to_le_bytes(),
            &version.to_le_bytes(),
        ]
        .concat();
        let seed = hkdf(b"veil/regulator/epoch/v1", self.seed.expose(), &info);
        EpochKey {
            jurisdiction: self.name.clone(),
            epoch,
            version,
            key: RegulatorSecretKey::from_scalar(hash_to_scalar(
                b"veil/regulator/epoch-scalar/v1",
                &[seed.expose()],
            )),
            seed,
        }
    }
}

impl fmt::Debug for JurisdictionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JurisdictionKey({}, [REDACTED])", self.name)
    }
}

/// The decryption key of one epoch of one jurisdiction.
pub struct EpochKey {
    jurisdiction: String,
    epoch: u64,
    version: u32,
    seed: Secret<[u8; 32]>,
    key: RegulatorSecretKey,
}

impl EpochKey {
    /// Rebuilds an epoch key from its exported seed (a delegated key).
    pub fn from_parts(jurisdiction: &str, epoch: u64, version: u32, seed: &[u8; 32]) -> Self {
        Self {
            jurisdiction: jurisdiction.to_owned(),
            epoch,
            version,
            key: RegulatorSecretKey::from_scalar(hash_to_scalar(
                b"veil/regulator/epoch-scalar/v1",
                &[seed],
            )),
            seed: Secret::new(*seed),
        }
    }

    /// Jurisdiction.
    pub fn jurisdiction(&self) -> &str {
        &self.jurisdiction
    }

    /// Epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The seed (what a delegation hands over).
    pub fn seed(&self) -> &Secret<[u8; 32]> {
        &self.seed
    }

    /// The decryption key.
    pub fn key(&self) -> &RegulatorSecretKey {
        &self.key
    }
}

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EpochKey({}/{}/v{}, {:?}, [REDACTED])",
            self.jurisdiction,
            self.epoch,
            self.version,
            self.key.public()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_deterministic_separated_and_secret() {
        let m = RegulatorMaster::from_seed(&[1; 32]);
        let j = m.jurisdiction("cn");
        let e5 = j.epoch(5, 0);
        assert_eq!(
            e5.key().public(),
            m.jurisdiction("cn").epoch(5, 0).key().public()
        );
        // Siblings, versions and other jurisdictions all differ.
        assert_ne!(e5.key().public(), j.epoch(6, 0).key().public());
        assert_ne!(e5.key().public(), j.epoch(5, 1).key().public());
        assert_ne!(
            e5.key().public(),
            m.jurisdiction("hk").epoch(5, 0).key().public()
        );
        assert_ne!(
            e5.key().public(),
            RegulatorMaster::from_seed(&[2; 32])
                .jurisdiction("cn")
                .epoch(5, 0)
                .key()
                .public()
        );
        // The exported seed rebuilds exactly this epoch's key and nothing else.
        let delegated = EpochKey::from_parts("cn", 5, 0, e5.seed().expose());
        assert_eq!(delegated.key().public(), e5.key().public());
        assert_ne!(delegated.seed().expose(), j.seed.expose());
        assert_ne!(delegated.seed().expose(), m.seed().expose());
        // Identity differs from every encryption key material.
        assert_ne!(m.identity().seed().expose(), m.seed().expose());
        let shown = format!("{m:?} {j:?} {e5:?}");
        assert!(!shown.contains(&hex::encode([1u8; 32])));
        assert!(!shown.contains(&hex::encode(e5.seed().expose())));
    }
}
