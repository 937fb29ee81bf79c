//! CLSAG linkable ring signatures with key images and a commitment-to-zero
//! component, over ristretto255, in *commitment form* so that whole blocks
//! batch-verify.
//!
//! Source: Goodell, Noether, RandomRun, "Concise Linkable Ring Signatures and
//! Forgery Against Adversarial Keys" (CLSAG), IACR ePrint 2019/654, §3
//! (the signature scheme) and Monero's RingCT usage of it (`clsag.cpp`).
//! Written in-project: no maintained crate implements CLSAG over ristretto255.
//!
//! # Statement
//!
//! Ring `(P_k, C_k)` for `k = 0 … n−1`, pseudo-output commitment `C'`,
//! message `m` (the transaction's signing hash). The signer knows, for one
//! index `l`, `x` with `P_l = x·G` and `z` with `C_l − C' = z·G` (so `C_l` and
//! `C'` commit to the same amount).
//!
//! ```text
//!   H_p(P)   = hash_to_point("veil/key-image/v1", P)
//!   I        = x·H_p(P_l)            key image (links two spends of P_l)
//!   D        = z·H_p(P_l)            auxiliary commitment image
//!   Z_k      = C_k − C'
//!   μ_P, μ_C = challenges "mu_P", "mu_C" of transcript
//!              T = veil/clsag/v1 ‖ n ‖ m ‖ (P_k ‖ C_k)_k ‖ C' ‖ I ‖ D
//!   c(L, R)  = challenge "c" of a clone of T after appending L, R
//! ```
//!
//! Signing: pick `α`; `L_l = α·G`, `R_l = α·H_p(P_l)`; for `k = l+1, …, l−1`
//! (mod n): `c_k = c(L_{k−1}, R_{k−1})`, random `s_k`,
//! `L_k = s_k·G + c_k·(μ_P·P_k + μ_C·Z_k)`,
//! `R_k = s_k·H_p(P_k) + c_k·(μ_P·I + μ_C·D)`; finally
//! `s_l = α − c_l·(μ_P·x + μ_C·z)`.
//!
//! The signature is `(D, (L_k, R_k, s_k)_k)`. The verifier computes every
//! `c_k = c(L_{k−1}, R_{k−1})` (indices mod n) and checks, for every `k`,
//!
//! ```text
//!   s_k·G      + c_k·μ_P·P_k + c_k·μ_C·Z_k − L_k = 0
//!   s_k·H_p(P_k) + c_k·μ_P·I   + c_k·μ_C·D   − R_k = 0
//! ```
//!
//! # Why commitment form
//!
//! Standard CLSAG transmits `(c_0, s, D)` and the verifier recomputes the
//! `L_k, R_k` one after another, a chain no batch can shorten. Transmitting
//! the `L_k, R_k` instead turns the 2n checks into linear equations that
//! join the block's single random-linear-combination check
//! ([`super::batch`]). The two forms are equivalent: from a valid
//! commitment-form signature, `c_0 = c(L_{n−1}, R_{n−1})` with the same `s`
//! is a valid standard signature (recomputing the chain reproduces every
//! `L_k, R_k`), and conversely the chain of a standard signature gives the
//! `L_k, R_k`. Unforgeability and linkability are therefore CLSAG's. The cost
//! is `64·n` more bytes per input (1 KiB at ring size 16); the gain is a
//! verifier that runs at multiscalar-multiplication speed.
//!
//! Key images need no subgroup check: ristretto255 has prime order, and the
//! identity is refused at decoding.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};

use super::batch::BatchVerifier;
use super::commitment::Commitment;
use super::generators::{mul_g, G};
use super::hash::hash_to_point;
use super::point::Point;
use super::rng::random_scalar;
use super::secret::Secret;
use super::stealth::OneTimeKey;
use super::transcript::{TranscriptProtocol, CLSAG};
use crate::point_newtype;

/// Smallest ring accepted.
pub const MIN_RING: usize = 2;
/// Largest ring accepted.
pub const MAX_RING: usize = 64;
/// Ring size wallets use unless told otherwise.
pub const DEFAULT_RING: usize = 16;

const KEY_IMAGE_TAG: &[u8] = b"veil/key-image/v1";

point_newtype!(
    KeyImage,
    "A key image `I = x·H_p(P)`: the same for every spend of one output.",
    non_identity
);

/// One ring member: an output's one-time key and amount commitment, with
/// `H_p(P)` computed once. An output is a decoy in many later rings, so the
/// ledger builds its `RingMember` once and every ring reuses the hash.
#[derive(Clone, Copy, Debug)]
pub struct RingMember {
    /// `P_k`.
    pub key: OneTimeKey,
    /// `C_k`.
    pub commitment: Commitment,
    hp: RistrettoPoint,
}

impl RingMember {
    /// A ring member for output `(key, commitment)`.
    pub fn new(key: OneTimeKey, commitment: Commitment) -> Self {
        Self {
            key,
            commitment,
            hp: key_image_base(&key),
        }
    }

    /// `H_p(P)`.
    pub fn key_image_base(&self) -> &RistrettoPoint {
        &self.hp
    }
}

impl PartialEq for RingMember {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.commitment == other.commitment
    }
}

impl Eq for RingMember {}

/// One round of a commitment-form CLSAG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClsagRound {
    /// `L_k`.
    pub l: Point,
    /// `R_k`.
    pub r: Point,
    /// `s_k`.
    pub s: Scalar,
}

/// A commitment-form CLSAG signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clsag {
    /// `D = z·H_p(P_l)`.
    pub d: Point,
    /// `(L_k, R_k, s_k)` for every ring member, in ring order.
    pub rounds: Vec<ClsagRound>,
}

/// Why a CLSAG was refused or could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClsagError {
    /// Ring size outside `MIN_RING..=MAX_RING`.
    #[error("ring size {0} outside 2..=64")]
    RingSize(usize),
    /// The signature has a different number of rounds than the ring has members.
    #[error("signature has {rounds} rounds for a ring of {ring}")]
    RoundCount {
        /// Ring members.
        ring: usize,
        /// Signature rounds.
        rounds: usize,
    },
    /// Signer index not in the ring.
    #[error("signer index outside the ring")]
    SignerIndex,
    /// The secrets do not open the signer's ring member.
    #[error("secrets do not match the signer's ring member")]
    SecretMismatch,
    /// The signature does not verify.
    #[error("ring signature does not verify")]
    Invalid,
}

/// `H_p(P)` for key images.
pub fn key_image_base(key: &OneTimeKey) -> RistrettoPoint {
    hash_to_point(KEY_IMAGE_TAG, &[key.as_bytes()])
}

/// `I = x·H_p(P)`.
pub fn key_image(x: &Secret<Scalar>, key: &OneTimeKey) -> KeyImage {
    KeyImage(Point::from_point(key_image_base(key) * x.expose()))
}

fn check_ring_size(n: usize) -> Result<(), ClsagError> {
    if (MIN_RING..=MAX_RING).contains(&n) {
        Ok(())
    } else {
        Err(ClsagError::RingSize(n))
    }
}

struct Setup {
    transcript: Transcript,
    mu_p: Scalar,
    mu_c: Scalar,
}

fn setup(
    msg: &[u8; 32],
    ring: &[RingMember],
    pseudo_out: &Commitment,
    key_image: &KeyImage,
    d: &Point,
) -> Setup {
    let mut t = Transcript::new(CLSAG);
    // Ring sizes are at most 64, so the conversion cannot fail.
    t.append_u64_le(b"n", u64::try_from(ring.len()).unwrap_or(u64::MAX));
    t.append_message(b"msg", msg);
    for member in ring {
        t.append_point(b"P", member.key.as_point());
        t.append_point(b"C", member.commitment.as_point());
    }
    t.append_point(b"C'", pseudo_out.as_point());
    t.append_point(b"I", key_image.as_point());
    t.append_point(b"D", d);
    let mu_p = t.challenge_scalar(b"mu_P");
    let mu_c = t.challenge_scalar(b"mu_C");
    Setup {
        transcript: t,
        mu_p,
        mu_c,
    }
}

fn round_challenge(base: &Transcript, l: &Point, r: &Point) -> Scalar {
    let mut t = base.clone();
    t.append_point(b"L", l);
    t.append_point(b"R", r);
    t.challenge_scalar(b"c")
}

/// Signs `msg` with ring member `signer`, whose one-time secret is `x` and
/// whose commitment differs from `pseudo_out` by `z·G`.
pub fn sign<R: RngCore + CryptoRng + ?Sized>(
    msg: &[u8; 32],
    ring: &[RingMember],
    signer: usize,
    x: &Secret<Scalar>,
    z: &Secret<Scalar>,
    pseudo_out: &Commitment,
    rng: &mut R,
) -> Result<(Clsag, KeyImage), ClsagError> {
    let n = ring.len();
    check_ring_size(n)?;
    let member = ring.get(signer).ok_or(ClsagError::SignerIndex)?;
    if mul_g(x.expose()) != *member.key.point()
        || mul_g(z.expose()) != member.commitment.point() - pseudo_out.point()
    {
        return Err(ClsagError::SecretMismatch);
    }
    let hp: Vec<RistrettoPoint> = ring.iter().map(|m| m.hp).collect();
    let image = KeyImage(Point::from_point(hp[signer] * x.expose()));
    let d = Point::from_point(hp[signer] * z.expose());
    let Setup {
        transcript,
        mu_p,
        mu_c,
    } = setup(msg, ring, pseudo_out, &image, &d);
    let w_image =
        RistrettoPoint::vartime_multiscalar_mul([mu_p, mu_c], [*image.point(), *d.point()]);

    let alpha = Secret::new(random_scalar(rng));
    let mut rounds = vec![
        ClsagRound {
            l: Point::identity(),
            r: Point::identity(),
            s: Scalar::ZERO,
        };
        n
    ];
    rounds[signer].l = Point::from_point(mul_g(alpha.expose()));
    rounds[signer].r = Point::from_point(hp[signer] * alpha.expose());
    let mut c = round_challenge(&transcript, &rounds[signer].l, &rounds[signer].r);
    for step in 1..n {
        let k = (signer + step) % n;
        let s = random_scalar(rng);
        let z_k = ring[k].commitment.point() - pseudo_out.point();
        let l = RistrettoPoint::vartime_multiscalar_mul(
            [s, c * mu_p, c * mu_c],
            [G, *ring[k].key.point(), z_k],
        );
        let r = RistrettoPoint::vartime_multiscalar_mul([s, c], [hp[k], w_image]);
        rounds[k] = ClsagRound {
            l: Point::from_point(l),
            r: Point::from_point(r),
            s,
        };
        c = round_challenge(&transcript, &rounds[k].l, &rounds[k].r);
    }
    rounds[signer].s = alpha.expose() - c * (mu_p * x.expose() + mu_c * z.expose());
    Ok((Clsag { d, rounds }, image))
}

/// Adds the signature's `2n` equations to `batch`, each with its own random
/// weight. Structural problems are reported at once; whether the equations
/// hold is known only when the batch is checked.
pub fn verify_into<R: RngCore + CryptoRng + ?Sized>(
    batch: &mut BatchVerifier,
    rng: &mut R,
    msg: &[u8; 32],
    ring: &[RingMember],
    pseudo_out: &Commitment,
    key_image: &KeyImage,
    sig: &Clsag,
) -> Result<(), ClsagError> {
    let n = ring.len();
    check_ring_size(n)?;
    if sig.rounds.len() != n {
        return Err(ClsagError::RoundCount {
            ring: n,
            rounds: sig.rounds.len(),
        });
    }
    let Setup {
        transcript,
        mu_p,
        mu_c,
    } = setup(msg, ring, pseudo_out, key_image, &sig.d);
    let mut pseudo_coeff = Scalar::ZERO;
    let mut image_coeff = Scalar::ZERO;
    let mut d_coeff = Scalar::ZERO;
    for (k, (member, round)) in ring.iter().zip(&sig.rounds).enumerate() {
        let prev = &sig.rounds[(k + n - 1) % n];
        let c = round_challenge(&transcript, &prev.l, &prev.r);
        let (cp, cc) = (c * mu_p, c * mu_c);

        // s_k·G + c_k·μ_P·P_k + c_k·μ_C·(C_k − C') − L_k = 0
        let w = BatchVerifier::weight(rng);
        batch.add_g(w * round.s);
        batch.add(w * cp, member.key.point());
        batch.add(w * cc, member.commitment.point());
        pseudo_coeff -= w * cc;
        batch.add(-w, round.l.point());

        // s_k·H_p(P_k) + c_k·μ_P·I + c_k·μ_C·D − R_k = 0
        let w = BatchVerifier::weight(rng);
        batch.add(w * round.s, &member.hp);
        image_coeff += w * cp;
        d_coeff += w * cc;
        batch.add(-w, round.r.point());
    }
    batch.add(pseudo_coeff, pseudo_out.point());
    batch.add(image_coeff, key_image.point());
    batch.add(d_coeff, sig.d.point());
    Ok(())
}

/// Verifies one signature on its own.
pub fn verify<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    msg: &[u8; 32],
    ring: &[RingMember],
    pseudo_out: &Commitment,
    key_image: &KeyImage,
    sig: &Clsag,
) -> Result<(), ClsagError> {
    let mut batch = BatchVerifier::with_capacity(5 * ring.len() + 3);
    verify_into(&mut batch, rng, msg, ring, pseudo_out, key_image, sig)?;
    if batch.verify() {
        Ok(())
    } else {
        Err(ClsagError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    struct Fixture {
        ring: Vec<RingMember>,
        x: Secret<Scalar>,
        z: Secret<Scalar>,
        pseudo: Commitment,
        signer: usize,
    }

    fn fixture(rng: &mut ChaCha20Rng, n: usize, signer: usize) -> Fixture {
        let x = Secret::new(random_scalar(rng));
        let gamma = random_scalar(rng);
        let gamma_pseudo = random_scalar(rng);
        let amount = 1_000u64;
        let ring = (0..n)
            .map(|k| {
                if k == signer {
                    RingMember::new(
                        OneTimeKey(Point::from_point(mul_g(x.expose()))),
                        Commitment::new(amount, &gamma),
                    )
                } else {
                    RingMember::new(
                        OneTimeKey(Point::from_point(mul_g(&random_scalar(rng)))),
                        Commitment::new(rng.next_u64(), &random_scalar(rng)),
                    )
                }
            })
            .collect();
        Fixture {
            ring,
            x,
            z: Secret::new(gamma - gamma_pseudo),
            pseudo: Commitment::new(amount, &gamma_pseudo),
            signer,
        }
    }

    #[test]
    fn every_ring_size_and_signer_position_verifies() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let msg = [3u8; 32];
        for n in [2usize, 3, 5, 16] {
            for signer in 0..n {
                let f = fixture(&mut rng, n, signer);
                let (sig, image) =
                    sign(&msg, &f.ring, f.signer, &f.x, &f.z, &f.pseudo, &mut rng).unwrap();
                verify(&mut rng, &msg, &f.ring, &f.pseudo, &image, &sig).unwrap();
                assert_eq!(image, key_image(&f.x, &f.ring[signer].key));
            }
        }
    }

    #[test]
    fn largest_ring_verifies() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let f = fixture(&mut rng, MAX_RING, 63);
        let (sig, image) =
            sign(&[0; 32], &f.ring, f.signer, &f.x, &f.z, &f.pseudo, &mut rng).unwrap();
        verify(&mut rng, &[0; 32], &f.ring, &f.pseudo, &image, &sig).unwrap();
    }

    #[test]
    fn two_spends_of_one_output_share_a_key_image() {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let f = fixture(&mut rng, 4, 1);
        let (_, i1) = sign(&[1; 32], &f.ring, 1, &f.x, &f.z, &f.pseudo, &mut rng).unwrap();
        // Another ring, another message, another pseudo-output: same image.
        let mut ring2 = fixture(&mut rng, 6, 4).ring;
        ring2[4] = f.ring[1];
        let shift = random_scalar(&mut rng);
        // C'' = C' + shift·G, so C_l − C'' = (z − shift)·G.
        let pseudo2 = Commitment::from_point(f.pseudo.point() + mul_g(&shift));
        let z2 = Secret::new(f.z.expose() - shift);
        let (sig2, i2) = sign(&[2; 32], &ring2, 4, &f.x, &z2, &pseudo2, &mut rng).unwrap();
        verify(&mut rng, &[2; 32], &ring2, &pseudo2, &i2, &sig2).unwrap();
        assert_eq!(i1, i2);
    }

    #[test]
    fn refuses_bad_shapes_and_secrets() {
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let f = fixture(&mut rng, 4, 2);
        assert_eq!(
            sign(&[0; 32], &f.ring[..1], 0, &f.x, &f.z, &f.pseudo, &mut rng).unwrap_err(),
            ClsagError::RingSize(1)
        );
        assert_eq!(
            sign(&[0; 32], &f.ring, 4, &f.x, &f.z, &f.pseudo, &mut rng).unwrap_err(),
            ClsagError::SignerIndex
        );
        assert_eq!(
            sign(&[0; 32], &f.ring, 1, &f.x, &f.z, &f.pseudo, &mut rng).unwrap_err(),
            ClsagError::SecretMismatch
        );
        let (sig, image) = sign(&[0; 32], &f.ring, 2, &f.x, &f.z, &f.pseudo, &mut rng).unwrap();
        let mut short = sig.clone();
        short.rounds.pop();
        assert_eq!(
            verify(&mut rng, &[0; 32], &f.ring, &f.pseudo, &image, &short),
            Err(ClsagError::RoundCount { ring: 4, rounds: 3 })
        );
    }

    #[test]
    fn every_tampered_element_is_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(15);
        let msg = [9u8; 32];
        let f = fixture(&mut rng, 5, 3);
        let (sig, image) = sign(&msg, &f.ring, f.signer, &f.x, &f.z, &f.pseudo, &mut rng).unwrap();
        let bump = |p: &Point| Point::from_point(p.point() + G);
        type Case = (
            &'static str,
            Clsag,
            [u8; 32],
            Vec<RingMember>,
            Commitment,
            KeyImage,
        );
        let mut cases: Vec<Case> = vec![];
        for k in 0..5 {
            let mut s = sig.clone();
            s.rounds[k].s += Scalar::ONE;
            cases.push(("s", s, msg, f.ring.clone(), f.pseudo, image));
            let mut s = sig.clone();
            s.rounds[k].l = bump(&s.rounds[k].l);
            cases.push(("L", s, msg, f.ring.clone(), f.pseudo, image));
            let mut s = sig.clone();
            s.rounds[k].r = bump(&s.rounds[k].r);
            cases.push(("R", s, msg, f.ring.clone(), f.pseudo, image));
            let mut ring = f.ring.clone();
            ring[k] = RingMember::new(OneTimeKey(bump(ring[k].key.as_point())), ring[k].commitment);
            cases.push(("P", sig.clone(), msg, ring, f.pseudo, image));
            let mut ring = f.ring.clone();
            ring[k] = RingMember::new(ring[k].key, Commitment(bump(ring[k].commitment.as_point())));
            cases.push(("C", sig.clone(), msg, ring, f.pseudo, image));
        }
        let mut s = sig.clone();
        s.d = bump(&s.d);
        cases.push(("D", s, msg, f.ring.clone(), f.pseudo, image));
        let mut m2 = msg;
        m2[0] ^= 1;
        cases.push(("msg", sig.clone(), m2, f.ring.clone(), f.pseudo, image));
        cases.push((
            "C'",
            sig.clone(),
            msg,
            f.ring.clone(),
            Commitment(bump(f.pseudo.as_point())),
            image,
        ));
        cases.push((
            "I",
            sig.clone(),
            msg,
            f.ring.clone(),
            f.pseudo,
            KeyImage(bump(image.as_point())),
        ));
        // Rotating the ring changes member order: rejected.
        let mut ring = f.ring.clone();
        ring.rotate_left(1);
        cases.push(("order", sig.clone(), msg, ring, f.pseudo, image));
        for (what, s, m, ring, pseudo, img) in cases {
            assert_eq!(
                verify(&mut rng, &m, &ring, &pseudo, &img, &s),
                Err(ClsagError::Invalid),
                "tampered {what} accepted"
            );
        }
    }

    #[test]
    fn amount_mismatch_cannot_sign() {
        // If C' commits to another amount, no z with C_l − C' = z·G is known,
        // and using the blinding difference alone fails the secret check.
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        let f = fixture(&mut rng, 3, 0);
        let gamma_pseudo = random_scalar(&mut rng);
        let pseudo = Commitment::new(999, &gamma_pseudo);
        assert_eq!(
            sign(&[0; 32], &f.ring, 0, &f.x, &f.z, &pseudo, &mut rng).unwrap_err(),
            ClsagError::SecretMismatch
        );
    }
}
