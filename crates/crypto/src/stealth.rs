//! Stealth outputs: one-time keys, view tags and scanning.
//!
//! Following CryptoNote (van Saberhagen 2013, §4.3) with Monero's view tags
//! (Monero PR #8061). The sender of a transaction picks a fresh secret `r`
//! and publishes the transaction public key `R = r·G`. For output `i` paying
//! the address `(A, B)`:
//!
//! ```text
//!   S    = r·A = a·R                                  (ECDH shared secret)
//!   k_i  = H_s("veil/stealth/v1",  S ‖ le32(i))
//!   P_i  = k_i·G + B                                  (one-time key)
//!   tag_i = SHA-256("veil/view-tag/v1" ‖ 0x00 ‖ S ‖ le32(i))[0]   (view tag)
//! ```
//!
//! The owner (knowing `a`) recomputes `S`, compares the one-byte view tag and,
//! only on a match (1 in 256 for outputs not theirs), recomputes `P_i`. The
//! one-time secret is `x_i = k_i + b`, so `P_i = x_i·G`. `S` is hashed by its
//! canonical encoding; receivers scanning many transactions compute
//! `(a/2)·R` and use batched double-and-compress to encode `a·R` cheaply.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use super::generators::mul_g;
use super::hash::{hash256, hash_to_scalar};
use super::keys::ViewKey;
use super::point::Point;
use super::rng::random_scalar;
use super::secret::Secret;
use crate::point_newtype;

const STEALTH_TAG: &[u8] = b"veil/stealth/v1";
const VIEW_TAG_TAG: &[u8] = b"veil/view-tag/v1";

point_newtype!(OneTimeKey, "An output's one-time public key `P = k·G + B`.");
point_newtype!(
    TxPublicKey,
    "A transaction's public key `R = r·G` (never the identity).",
    non_identity
);

/// The one-byte view tag of an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ViewTag(pub u8);

/// The transaction secret `r`.
pub struct TxSecret(Secret<Scalar>);

impl TxSecret {
    /// A fresh random `r`.
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(Secret::new(random_scalar(rng)))
    }

    /// Rebuilds `r` (e.g. from an encrypted wallet, for a payment proof).
    pub fn from_scalar(r: Scalar) -> Self {
        Self(Secret::new(r))
    }

    /// `r`.
    pub fn expose(&self) -> &Secret<Scalar> {
        &self.0
    }

    /// `R = r·G`.
    pub fn public(&self) -> TxPublicKey {
        TxPublicKey(Point::from_point(mul_g(self.0.expose())))
    }

    /// The sender's side of the ECDH: `S = r·A`.
    pub fn shared_secret(&self, view_public: &Point) -> SharedSecret {
        SharedSecret(Secret::new(
            (view_public.point() * self.0.expose())
                .compress()
                .to_bytes(),
        ))
    }
}

/// The ECDH secret `S`, by its canonical encoding.
pub struct SharedSecret(Secret<[u8; 32]>);

impl SharedSecret {
    /// The receiver's side of the ECDH: `S = a·R`.
    pub fn receive(view: &ViewKey, tx_public: &TxPublicKey) -> Self {
        Self(Secret::new(
            (tx_public.point() * view.secret().expose())
                .compress()
                .to_bytes(),
        ))
    }

    /// `S = a·R` for many transaction public keys at once: computes
    /// `(a/2)·R` and encodes `2·((a/2)·R)` with one shared inversion.
    pub fn receive_batch(view: &ViewKey, tx_publics: &[&TxPublicKey]) -> Vec<Self> {
        let mut half = view.secret().expose() * Scalar::from(2u64).invert();
        let halves: Vec<RistrettoPoint> = tx_publics.iter().map(|r| r.point() * half).collect();
        half.zeroize();
        RistrettoPoint::double_and_compress_batch(&halves)
            .into_iter()
            .map(|c| Self(Secret::new(c.to_bytes())))
            .collect()
    }

    /// A shared secret disclosed by a sender in a payment proof.
    pub fn from_disclosed(bytes: Secret<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// The encoding of `S`, for key derivation.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// `k_i = H_s("veil/stealth/v1", S ‖ le32(i))`.
    pub fn key_offset(&self, index: u32) -> Secret<Scalar> {
        Secret::new(hash_to_scalar(
            STEALTH_TAG,
            &[self.as_bytes(), &index.to_le_bytes()],
        ))
    }

    /// The view tag of output `i`.
    pub fn view_tag(&self, index: u32) -> ViewTag {
        ViewTag(hash256(VIEW_TAG_TAG, &[self.as_bytes(), &index.to_le_bytes()])[0])
    }

    /// The one-time key of output `i` paying spend key `B`.
    pub fn one_time_key(&self, index: u32, spend_public: &Point) -> OneTimeKey {
        let k = self.key_offset(index);
        OneTimeKey(Point::from_point(mul_g(k.expose()) + spend_public.point()))
    }

    /// Scans output `i`: `Some(k_i)` if it pays `view`'s account, else `None`.
    /// Costs one hash unless the view tag matches.
    pub fn scan(
        &self,
        view: &ViewKey,
        index: u32,
        tag: ViewTag,
        key: &OneTimeKey,
    ) -> Option<Secret<Scalar>> {
        if self.view_tag(index) != tag {
            return None;
        }
        let k = self.key_offset(index);
        let expected = mul_g(k.expose()) + view.spend_public().point();
        (expected == *key.point()).then_some(k)
    }
}

/// The one-time secret `x = k + b` of an owned output.
pub fn one_time_secret(
    key_offset: &Secret<Scalar>,
    spend_secret: &Secret<Scalar>,
) -> Secret<Scalar> {
    Secret::new(key_offset.expose() + spend_secret.expose())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::AccountKeys;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn receiver_finds_own_output_and_can_spend_it() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let bob = AccountKeys::from_seed(&[5u8; 32]);
        let r = TxSecret::random(&mut rng);
        let s_send = r.shared_secret(bob.address().view_key());
        let p = s_send.one_time_key(1, bob.address().spend_key());
        let tag = s_send.view_tag(1);

        let s_recv = SharedSecret::receive(bob.view_key(), &r.public());
        assert_eq!(s_recv.as_bytes(), s_send.as_bytes());
        let batch = SharedSecret::receive_batch(bob.view_key(), &[&r.public(), &r.public()]);
        assert_eq!(batch[1].as_bytes(), s_send.as_bytes());

        let k = s_recv.scan(bob.view_key(), 1, tag, &p).expect("owned");
        let x = one_time_secret(&k, bob.spend_secret());
        assert_eq!(mul_g(x.expose()), *p.point());
        // Wrong index: not found.
        assert!(s_recv.scan(bob.view_key(), 0, tag, &p).is_none());
    }

    #[test]
    fn stranger_does_not_find_it() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let bob = AccountKeys::from_seed(&[5u8; 32]);
        let eve = AccountKeys::from_seed(&[6u8; 32]);
        let r = TxSecret::random(&mut rng);
        let s = r.shared_secret(bob.address().view_key());
        let p = s.one_time_key(0, bob.address().spend_key());
        let s_eve = SharedSecret::receive(eve.view_key(), &r.public());
        // Even when forced past the tag check, the key does not match.
        assert!(s_eve
            .scan(eve.view_key(), 0, s_eve.view_tag(0), &p)
            .is_none());
    }
}
