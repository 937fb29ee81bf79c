//! Threshold regulator keys: a dealer-less distributed key generation
//! (joint Feldman VSS), partial decryptions with DLEQ proofs, Lagrange
//! combination in the exponent, and proactive resharing that keeps the
//! group key.
//!
//! Sources: Feldman, "A practical scheme for non-interactive verifiable
//! secret sharing", FOCS 1987; Pedersen, "A threshold cryptosystem without a
//! trusted party", EUROCRYPT 1991 (the joint-Feldman DKG); Gennaro, Jarecki,
//! Krawczyk, Rabin, "Secure distributed key generation for discrete-log
//! based cryptosystems", J. Cryptology 20(1), 2007 (complaints and
//! disqualification); Gennaro, Jarecki, Krawczyk, Rabin, "Secure
//! applications of Pedersen's distributed key generation protocol", CT-RSA
//! 2003 (threshold ElGamal-type decryption stays secure with this DKG's
//! key); Desmedt, Jajodia, "Redistributing secret shares to new access
//! structures", 1997 (resharing); Chaum, Pedersen, CRYPTO 1992 (DLEQ,
//! [`super::dleq`]). Polynomials, Feldman commitments and share
//! verification are the `vsss-rs` crate's; this module adds the protocol
//! around them, and interpolates in the exponent itself with coefficients
//! computed once per combination (the crate recomputes them per point).
//!
//! # Key generation (n officers, threshold t, indices 1 … n)
//!
//! ```text
//!   dealer i:  fᵢ(z) = Σ_{k<t} aᵢ,ₖ·zᵏ  (aᵢ,₀ random)
//!              publishes Aᵢ,ₖ = aᵢ,ₖ·G;  sends sᵢ→ⱼ = fᵢ(j) to officer j, encrypted
//!   officer j: checks sᵢ→ⱼ·G = Σₖ jᵏ·Aᵢ,ₖ for every dealer (a failure names i)
//!              xⱼ = Σᵢ sᵢ→ⱼ                     its share
//!   public:    Y  = Σᵢ Aᵢ,₀                     the group key (what the registry publishes)
//!              Yⱼ = Σᵢ Σₖ jᵏ·Aᵢ,ₖ = xⱼ·G        officer j's verification share
//! ```
//!
//! The group secret `x = Σᵢ aᵢ,₀` is never assembled anywhere.
//!
//! # Partial decryption and combination
//!
//! Every regulator decryption is `x·P` for points `P` of the ledger (the
//! payload key `S_reg = x·E`, a vault wrap's `x·R`, and for limbs `x·C`).
//! Officer j answers a request for `P₁ … Pₘ` with `Sⱼ,ₖ = xⱼ·Pₖ` and one
//! DLEQ proof over a random fold:
//!
//! ```text
//!   ρ = challenge of merlin("veil/threshold/partial/v1" ‖ j ‖ Yⱼ ‖ m ‖ (Pₖ ‖ Sⱼ,ₖ)ₖ)
//!   P* = Σ ρᵏ·Pₖ,  S* = Σ ρᵏ·Sⱼ,ₖ;   DLEQ: log_G Yⱼ = log_{P*} S*
//! ```
//!
//! If any `Sⱼ,ₖ ≠ xⱼ·Pₖ` the fold fails except with probability `m/ℓ`, so a
//! wrong share is caught and its officer named. Any t valid partials give
//! `x·Pₖ = Σ_{j∈T} λⱼ·Sⱼ,ₖ` with `λⱼ = Π_{l∈T, l≠j} l/(l−j)`: exactly the
//! point the single key yields.
//!
//! # Limbs without `x⁻¹`
//!
//! The single key decrypts a limb as `C − x⁻¹·D`; `x⁻¹` has no linear
//! sharing. But `D = γ·Y` and `C = γ·G + v·H` give
//!
//! ```text
//!   x·C − D = v·(x·H) = v·K,   K = x·H combined once per key
//! ```
//!
//! so a threshold opening combines `x·C` and reads `v` from a table of
//! multiples of `K` ([`LimbTable`]).
//!
//! # Resharing (the group key stays)
//!
//! Old officers `i ∈ R`, `|R| ≥ t`, each deal their share with a fresh
//! polynomial `gᵢ` of the new degree `t′ − 1`, `gᵢ(0) = xᵢ`; anyone checks
//! `Aᵢ,₀ = Yᵢ`. New officer j takes `x′ⱼ = Σ_{i∈R} λᵢ·gᵢ(j)`; the new
//! verification shares are `Y′ⱼ = Σ λᵢ·Σₖ jᵏ·Aᵢ,ₖ` and `Σ λᵢ·Yᵢ = Y`. Old
//! and new shares lie on unrelated polynomials, so mixing them combines to
//! garbage, which the verification shares reveal.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::OnceLock;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use vsss_rs::{
    FeldmanVerifierSet, IdentifierPrimeField, PrimeFieldShare, Share, ShareVerifierGroup,
    ValueGroup,
};
use zeroize::Zeroize;

use super::commitment::Commitment;
use super::dleq::DleqProof;
use super::generators::{h, mul_g, G};
use super::point::{scalar_from_canonical, Point};
use super::regulator_ciphertext::{
    build_limb_table, Handle, RegulatorEphemeral, RegulatorOpening, RegulatorPublicKey,
    RegulatorSecretKey,
};
use super::rng::{random_scalar, Rng010};
use super::secret::Secret;
use super::transcript::{TranscriptProtocol, THRESHOLD_PARTIAL};

type ScalarShare = PrimeFieldShare<Scalar>;
type Verifier = ShareVerifierGroup<RistrettoPoint>;

/// The most officers a threshold key can have.
pub const MAX_OFFICERS: u16 = 64;
/// The most points one partial decryption may cover.
pub const MAX_POINTS: usize = 1 << 16;

/// Why a threshold operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// t and n are not `2 ≤ t ≤ n ≤ 64`.
    #[error("a threshold must be t-of-n with 2 <= t <= n <= {MAX_OFFICERS} (got {t}-of-{n})")]
    Params {
        /// t.
        t: u16,
        /// n.
        n: u16,
    },
    /// Officer indices run from 1 to n.
    #[error("officer {0} is not in 1..={1}")]
    Index(u16, u16),
    /// A dealer's commitments have the wrong length or its share does not
    /// match them.
    #[error("officer {0}'s dealing is invalid: its share does not match its commitments")]
    BadDealing(u16),
    /// A resharing dealer did not deal its own share (`Aᵢ,₀ ≠ Yᵢ`).
    #[error("officer {0} did not reshare its own share")]
    NotItsShare(u16),
    /// The same dealer appears twice.
    #[error("officer {0} appears twice")]
    Duplicate(u16),
    /// Fewer valid contributions than the threshold.
    #[error("{have} valid shares of the {need} needed{}", rejected_list(.rejected))]
    TooFew {
        /// Valid ones.
        have: usize,
        /// The threshold.
        need: usize,
        /// Officers whose contribution was refused.
        rejected: Vec<u16>,
    },
    /// A partial covers a different number of points than asked.
    #[error("officer {0}'s partial decryption covers the wrong points")]
    Shape(u16),
    /// The resharing would change the group key.
    #[error("the reshared key is not the group key")]
    GroupKeyChanged,
    /// Encoded bytes are malformed.
    #[error("malformed threshold {0}")]
    Malformed(&'static str),
}

fn rejected_list(r: &[u16]) -> String {
    if r.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = r.iter().map(|i| format!("officer {i}")).collect();
        format!("; refused: {}", names.join(", "))
    }
}

/// `t`-of-`n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Params {
    t: u16,
    n: u16,
}

impl Params {
    /// Checks `2 ≤ t ≤ n ≤ MAX_OFFICERS`.
    pub fn new(t: u16, n: u16) -> Result<Self, ThresholdError> {
        if t < 2 || t > n || n > MAX_OFFICERS {
            return Err(ThresholdError::Params { t, n });
        }
        Ok(Self { t, n })
    }

    /// Parses `"t-of-n"`.
    pub fn parse(s: &str) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Params { t: 0, n: 0 };
        let (t, n) = s.split_once("-of-").ok_or(bad.clone())?;
        Self::new(
            t.trim().parse().map_err(|_| bad.clone())?,
            n.trim().parse().map_err(|_| bad)?,
        )
    }

    /// The threshold t.
    pub fn threshold(&self) -> u16 {
        self.t
    }

    /// The number of officers n.
    pub fn officers(&self) -> u16 {
        self.n
    }

    pub(crate) fn check_index(&self, i: u16) -> Result<(), ThresholdError> {
        if i == 0 || i > self.n {
            return Err(ThresholdError::Index(i, self.n));
        }
        Ok(())
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-of-{}", self.t, self.n)
    }
}

fn id(i: u16) -> IdentifierPrimeField<Scalar> {
    IdentifierPrimeField(Scalar::from(u64::from(i)))
}

/// A dealer's Feldman commitments `Aₖ = aₖ·G`, `k < t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitments(Vec<Point>);

impl Commitments {
    /// The commitments.
    pub fn points(&self) -> &[Point] {
        &self.0
    }

    /// `A₀`, the commitment to the dealt secret.
    pub fn constant(&self) -> &Point {
        &self.0[0]
    }

    fn verifier_set(&self) -> Vec<Verifier> {
        let v: Vec<Verifier> = self.0.iter().map(|p| ValueGroup(*p.point())).collect();
        <Vec<Verifier> as FeldmanVerifierSet<ScalarShare, Verifier>>::feldman_set_with_generator_and_verifiers(
            ValueGroup(G),
            &v,
        )
    }

    /// `Σₖ jᵏ·Aₖ`, the public image of officer j's share.
    pub fn evaluate(&self, j: u16) -> Point {
        let set = self.verifier_set();
        let at =
            <Vec<Verifier> as FeldmanVerifierSet<ScalarShare, Verifier>>::evaluate_at(&set, &id(j));
        // Only a zero identifier or generator fails, and neither occurs.
        Point::from_point(at.map(|v| v.0).unwrap_or_default())
    }

    /// Checks `s·G = Σₖ jᵏ·Aₖ`.
    pub fn verify(&self, j: u16, share: &Secret<Scalar>) -> bool {
        let set = self.verifier_set();
        let s =
            ScalarShare::with_identifier_and_value(id(j), IdentifierPrimeField(*share.expose()));
        <Vec<Verifier> as FeldmanVerifierSet<ScalarShare, Verifier>>::verify_share(&set, &s).is_ok()
    }

    /// `t × 32` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|p| *p.as_bytes()).collect()
    }

    /// Parses [`Commitments::to_bytes`] for threshold `t`.
    pub fn from_bytes(bytes: &[u8], t: u16) -> Result<Self, ThresholdError> {
        if bytes.len() != usize::from(t) * 32 || t == 0 {
            return Err(ThresholdError::Malformed("commitments"));
        }
        bytes
            .chunks_exact(32)
            .map(|c| {
                let a: [u8; 32] = c
                    .try_into()
                    .map_err(|_| ThresholdError::Malformed("commitments"))?;
                Point::from_bytes(&a).map_err(|_| ThresholdError::Malformed("commitments"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

/// One dealer's dealing: public commitments and a private share for every
/// recipient (to be sent to each encrypted).
pub struct Dealing {
    /// The dealer's index.
    pub dealer: u16,
    /// Published.
    pub commitments: Commitments,
    shares: Vec<Secret<Scalar>>,
}

impl fmt::Debug for Dealing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dealing")
            .field("dealer", &self.dealer)
            .field("commitments", &self.commitments)
            .field("shares", &"[REDACTED]")
            .finish()
    }
}

impl Dealing {
    /// Deals `secret` to officers `1 … params.n` with degree `t − 1`.
    fn of_secret<R: RngCore + CryptoRng + ?Sized>(
        dealer: u16,
        params: Params,
        secret: &Scalar,
        rng: &mut R,
    ) -> Self {
        let (t, n) = (usize::from(params.t), usize::from(params.n));
        let value = IdentifierPrimeField(*secret);
        // `Params` guarantees 2 ≤ t ≤ n, the crate's only failure conditions.
        let (shares, verifiers): (Vec<ScalarShare>, Vec<Verifier>) =
            vsss_rs::feldman::split_secret_with_ids::<ScalarShare, Verifier>(
                t,
                n,
                &value,
                Some(ValueGroup(G)),
                Rng010(rng),
                (1..=params.n).map(id),
            )
            .unwrap_or_default();
        let commitments = Commitments(
            <Vec<Verifier> as FeldmanVerifierSet<ScalarShare, Verifier>>::verifiers(&verifiers)
                .iter()
                .map(|v| Point::from_point(v.0))
                .collect(),
        );
        let shares = shares
            .into_iter()
            .map(|mut s| {
                let v = Secret::new(s.value().0);
                s.value_mut().0.zeroize();
                v
            })
            .collect();
        Self {
            dealer,
            commitments,
            shares,
        }
    }

    /// A key-generation dealing of a fresh random secret.
    pub fn generate<R: RngCore + CryptoRng + ?Sized>(
        dealer: u16,
        params: Params,
        rng: &mut R,
    ) -> Result<Self, ThresholdError> {
        params.check_index(dealer)?;
        let mut a0 = random_scalar(rng);
        let d = Self::of_secret(dealer, params, &a0, rng);
        a0.zeroize();
        Ok(d)
    }

    /// The share for officer `j`.
    pub fn share_for(&self, j: u16) -> Option<&Secret<Scalar>> {
        self.shares.get(usize::from(j).checked_sub(1)?)
    }
}

/// What everyone knows of a threshold key: t-of-n, the group key and every
/// officer's verification share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeySet {
    params: Params,
    group: RegulatorPublicKey,
    verification: Vec<Point>,
}

impl PublicKeySet {
    /// From the public dealings of a key generation (one per dealer, all n).
    pub fn from_dealings(
        params: Params,
        dealings: &[(u16, &Commitments)],
    ) -> Result<Self, ThresholdError> {
        check_dealers(params, 1, dealings)?;
        let group = dealings
            .iter()
            .map(|(_, c)| *c.constant().point())
            .sum::<RistrettoPoint>();
        let verification = (1..=params.n)
            .map(|j| {
                Point::from_point(
                    dealings
                        .iter()
                        .map(|(_, c)| *c.evaluate(j).point())
                        .sum::<RistrettoPoint>(),
                )
            })
            .collect();
        Ok(Self {
            params,
            group: RegulatorPublicKey::from_bytes(Point::from_point(group).as_bytes())
                .map_err(|_| ThresholdError::Malformed("group key"))?,
            verification,
        })
    }

    /// t-of-n.
    pub fn params(&self) -> Params {
        self.params
    }

    /// The group key `Y`.
    pub fn group(&self) -> &RegulatorPublicKey {
        &self.group
    }

    /// Officer `j`'s verification share `Yⱼ`.
    pub fn verification(&self, j: u16) -> Option<&Point> {
        self.verification.get(usize::from(j).checked_sub(1)?)
    }

    /// `t ‖ n ‖ Y ‖ Y₁ … Yₙ` (4 + 32·(n+1) bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 32 * (self.verification.len() + 1));
        out.extend_from_slice(&self.params.t.to_le_bytes());
        out.extend_from_slice(&self.params.n.to_le_bytes());
        out.extend_from_slice(self.group.as_bytes());
        for v in &self.verification {
            out.extend_from_slice(v.as_bytes());
        }
        out
    }

    /// Parses [`PublicKeySet::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("public key set");
        if b.len() < 4 {
            return Err(bad);
        }
        let t = u16::from_le_bytes([b[0], b[1]]);
        let n = u16::from_le_bytes([b[2], b[3]]);
        let params = Params::new(t, n)?;
        if b.len() != 4 + 32 * (usize::from(n) + 1) {
            return Err(bad);
        }
        let mut points = b[4..].chunks_exact(32).map(|c| {
            let a: [u8; 32] = c.try_into().map_err(|_| bad.clone())?;
            Point::from_bytes(&a).map_err(|_| bad.clone())
        });
        let group = points.next().ok_or(bad.clone())??;
        let group = RegulatorPublicKey::from_bytes(group.as_bytes()).map_err(|_| bad.clone())?;
        let verification = points.collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            params,
            group,
            verification,
        })
    }
}

fn check_dealers(
    params: Params,
    need: u16,
    dealings: &[(u16, &Commitments)],
) -> Result<(), ThresholdError> {
    let mut seen = BTreeSet::new();
    for (i, c) in dealings {
        if !seen.insert(*i) {
            return Err(ThresholdError::Duplicate(*i));
        }
        if c.0.len() != usize::from(params.t) {
            return Err(ThresholdError::BadDealing(*i));
        }
    }
    if dealings.len() < usize::from(need) {
        return Err(ThresholdError::TooFew {
            have: dealings.len(),
            need: usize::from(need),
            rejected: vec![],
        });
    }
    Ok(())
}

/// Splits an existing single key among officers (a trusted dealer: whoever
/// runs this holds the key once, then destroys it). The published key stays,
/// so an epoch already in use becomes a threshold key without a rotation.
pub fn split_existing<R: RngCore + CryptoRng + ?Sized>(
    key: &RegulatorSecretKey,
    params: Params,
    rng: &mut R,
) -> Result<Vec<KeyShare>, ThresholdError> {
    let dealing = Dealing::of_secret(1, params, key.secret_scalar(), rng);
    let public = PublicKeySet::from_dealings(params, &[(1, &dealing.commitments)])?;
    (1..=params.n)
        .map(|j| {
            let s = dealing
                .share_for(j)
                .ok_or(ThresholdError::Index(j, params.n))?;
            KeyShare::checked(j, *s.expose(), public.clone())
        })
        .collect()
}

/// One officer's share of a threshold key.
pub struct KeyShare {
    index: u16,
    secret: Secret<Scalar>,
    public: PublicKeySet,
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("params", &self.public.params)
            .field("group", &self.public.group)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl KeyShare {
    /// Officer `me` finishes a key generation: checks every dealer's share
    /// against its commitments (a failure names the dealer) and sums them.
    /// `received` holds `(dealer, sᵢ→me)`; `dealings` every dealer's
    /// commitments.
    pub fn from_dkg(
        me: u16,
        params: Params,
        dealings: &[(u16, &Commitments)],
        received: &[(u16, &Secret<Scalar>)],
    ) -> Result<Self, ThresholdError> {
        params.check_index(me)?;
        // At least t dealers, so that t − 1 colluding officers cannot have
        // chosen the whole key.
        check_dealers(params, params.t, dealings)?;
        let public = PublicKeySet::from_dealings(params, dealings)?;
        let secret = sum_checked(me, dealings, received, |_| Scalar::ONE)?;
        Self::checked(me, secret, public)
    }

    fn checked(me: u16, secret: Scalar, public: PublicKeySet) -> Result<Self, ThresholdError> {
        let share = Self {
            index: me,
            secret: Secret::new(secret),
            public,
        };
        if share.public.verification(me).map(|p| *p.point()) != Some(mul_g(share.secret.expose())) {
            return Err(ThresholdError::BadDealing(me));
        }
        Ok(share)
    }

    /// This officer's index.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The public side.
    pub fn public(&self) -> &PublicKeySet {
        &self.public
    }

    /// A partial decryption of `points` with its proof.
    pub fn partial<R: RngCore + CryptoRng + ?Sized>(
        &self,
        points: &[Point],
        rng: &mut R,
    ) -> Partial {
        let values: Vec<Point> = points
            .iter()
            .map(|p| Point::from_point(p.point() * self.secret.expose()))
            .collect();
        let y = self
            .public
            .verification(self.index)
            .copied()
            .unwrap_or_else(Point::identity);
        let (p_star, _) = fold(self.index, &y, points, &values);
        let (_, _, proof) = DleqProof::prove(&self.secret, &Point::from_point(p_star), rng);
        Partial {
            officer: self.index,
            values,
            proof,
        }
    }

    /// Deals this share to a new set of officers (resharing; the group key
    /// stays).
    pub fn reshare<R: RngCore + CryptoRng + ?Sized>(&self, new: Params, rng: &mut R) -> Dealing {
        Dealing::of_secret(self.index, new, self.secret.expose(), rng)
    }

    /// New officer `me` finishes a resharing from the old key's `old`
    /// public set: every dealer must have dealt its own share
    /// (`Aᵢ,₀ = Yᵢ`), at least t_old of them, and every share must match.
    pub fn from_reshare(
        me: u16,
        new: Params,
        old: &PublicKeySet,
        dealings: &[(u16, &Commitments)],
        received: &[(u16, &Secret<Scalar>)],
    ) -> Result<Self, ThresholdError> {
        new.check_index(me)?;
        let public = PublicKeySet::from_reshare(new, old, dealings)?;
        let dealers: Vec<u16> = dealings.iter().map(|(i, _)| *i).collect();
        let secret = sum_checked(me, dealings, received, |i| lagrange(&dealers, i))?;
        Self::checked(me, secret, public)
    }

    /// `index ‖ secret ‖ public set` for the keystore.
    pub fn to_secret_bytes(&self) -> Secret<Vec<u8>> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.index.to_le_bytes());
        out.extend_from_slice(self.secret.expose().as_bytes());
        out.extend_from_slice(&self.public.to_bytes());
        Secret::new(out)
    }

    /// Parses [`KeyShare::to_secret_bytes`] and checks the share against
    /// its verification share.
    pub fn from_secret_bytes(b: &[u8]) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("key share");
        if b.len() < 34 {
            return Err(bad);
        }
        let index = u16::from_le_bytes([b[0], b[1]]);
        let mut raw: [u8; 32] = b[2..34].try_into().map_err(|_| bad.clone())?;
        let secret = scalar_from_canonical(&raw).ok_or(bad.clone());
        raw.zeroize();
        let public = PublicKeySet::from_bytes(&b[34..])?;
        public.params.check_index(index)?;
        Self::checked(index, secret?, public).map_err(|_| bad)
    }
}

impl PublicKeySet {
    fn from_reshare(
        new: Params,
        old: &PublicKeySet,
        dealings: &[(u16, &Commitments)],
    ) -> Result<Self, ThresholdError> {
        check_dealers(new, old.params.t, dealings)?;
        for (i, c) in dealings {
            old.params.check_index(*i)?;
            if old.verification(*i) != Some(c.constant()) {
                return Err(ThresholdError::NotItsShare(*i));
            }
        }
        let dealers: Vec<u16> = dealings.iter().map(|(i, _)| *i).collect();
        let lambdas: Vec<Scalar> = dealers.iter().map(|i| lagrange(&dealers, *i)).collect();
        let combine = |pts: Vec<RistrettoPoint>| {
            Point::from_point(RistrettoPoint::vartime_multiscalar_mul(&lambdas, pts))
        };
        let group = combine(
            dealings
                .iter()
                .map(|(_, c)| *c.constant().point())
                .collect(),
        );
        if group.as_bytes() != old.group.as_bytes() {
            return Err(ThresholdError::GroupKeyChanged);
        }
        let verification = (1..=new.n)
            .map(|j| {
                combine(
                    dealings
                        .iter()
                        .map(|(_, c)| *c.evaluate(j).point())
                        .collect(),
                )
            })
            .collect();
        Ok(Self {
            params: new,
            group: old.group,
            verification,
        })
    }
}

/// `Σᵢ wᵢ·sᵢ→me` after checking every share; a bad one names its dealer.
fn sum_checked(
    me: u16,
    dealings: &[(u16, &Commitments)],
    received: &[(u16, &Secret<Scalar>)],
    weight: impl Fn(u16) -> Scalar,
) -> Result<Scalar, ThresholdError> {
    let mut sum = Scalar::ZERO;
    for (i, c) in dealings {
        let share = received
            .iter()
            .find(|(d, _)| d == i)
            .map(|(_, s)| *s)
            .ok_or(ThresholdError::BadDealing(*i))?;
        if !c.verify(me, share) {
            sum.zeroize();
            return Err(ThresholdError::BadDealing(*i));
        }
        sum += weight(*i) * share.expose();
    }
    Ok(sum)
}

/// `λᵢ = Π_{l∈T, l≠i} l/(l−i)` at zero.
fn lagrange(set: &[u16], i: u16) -> Scalar {
    let xi = Scalar::from(u64::from(i));
    let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
    for &l in set.iter().filter(|&&l| l != i) {
        let xl = Scalar::from(u64::from(l));
        num *= xl;
        den *= xl - xi;
    }
    num * den.invert()
}

fn fold(
    officer: u16,
    y: &Point,
    points: &[Point],
    values: &[Point],
) -> (RistrettoPoint, RistrettoPoint) {
    let mut t = Transcript::new(THRESHOLD_PARTIAL);
    t.append_u64_le(b"officer", u64::from(officer));
    t.append_point(b"Y", y);
    t.append_u64_le(b"m", u64::try_from(points.len()).unwrap_or(u64::MAX));
    for (p, s) in points.iter().zip(values) {
        t.append_point(b"P", p);
        t.append_point(b"S", s);
    }
    let rho = t.challenge_scalar(b"rho");
    let mut powers = Vec::with_capacity(points.len());
    let mut acc = Scalar::ONE;
    for _ in 0..points.len() {
        powers.push(acc);
        acc *= rho;
    }
    (
        RistrettoPoint::vartime_multiscalar_mul(&powers, points.iter().map(|p| *p.point())),
        RistrettoPoint::vartime_multiscalar_mul(&powers, values.iter().map(|p| *p.point())),
    )
}

/// Officer j's partial decryption `Sⱼ,ₖ = xⱼ·Pₖ` with its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// The officer's index.
    pub officer: u16,
    /// `Sⱼ,ₖ`, one per requested point.
    pub values: Vec<Point>,
    /// DLEQ over the fold.
    pub proof: DleqProof,
}

impl Partial {
    /// Checks the proof against the officer's verification share.
    pub fn verify(&self, public: &PublicKeySet, points: &[Point]) -> bool {
        let Some(y) = public.verification(self.officer) else {
            return false;
        };
        if self.values.len() != points.len() {
            return false;
        }
        let (p_star, s_star) = fold(self.officer, y, points, &self.values);
        self.proof
            .verify(y, &Point::from_point(p_star), &Point::from_point(s_star))
    }

    /// `officer (u16 LE) ‖ m (u32 LE) ‖ S₁ … Sₘ ‖ proof (96)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(6 + 32 * self.values.len() + 96);
        out.extend_from_slice(&self.officer.to_le_bytes());
        out.extend_from_slice(
            &u32::try_from(self.values.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for v in &self.values {
            out.extend_from_slice(v.as_bytes());
        }
        out.extend_from_slice(&self.proof.to_bytes());
        out
    }

    /// Parses [`Partial::to_bytes`] (at most [`MAX_POINTS`] values).
    pub fn from_bytes(b: &[u8]) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("partial decryption");
        if b.len() < 6 + 96 {
            return Err(bad);
        }
        let officer = u16::from_le_bytes([b[0], b[1]]);
        let m = usize::try_from(u32::from_le_bytes([b[2], b[3], b[4], b[5]]))
            .map_err(|_| bad.clone())?;
        if m > MAX_POINTS || b.len() != 6 + 32 * m + 96 {
            return Err(bad);
        }
        let values = b[6..6 + 32 * m]
            .chunks_exact(32)
            .map(|c| {
                let a: [u8; 32] = c.try_into().map_err(|_| bad.clone())?;
                Point::from_bytes(&a).map_err(|_| bad.clone())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let proof_bytes: [u8; 96] = b[6 + 32 * m..].try_into().map_err(|_| bad.clone())?;
        let proof = DleqProof::from_bytes(&proof_bytes).ok_or(bad)?;
        Ok(Self {
            officer,
            values,
            proof,
        })
    }
}

/// What combining partial decryptions gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Combined {
    /// `x·Pₖ` for every requested point.
    pub points: Vec<Point>,
    /// The officers whose partials were combined.
    pub used: Vec<u16>,
    /// Officers whose partial failed its proof (named, not used).
    pub rejected: Vec<u16>,
    /// Where in the given partials the combined ones were.
    pub used_at: Vec<usize>,
}

/// Combines partial decryptions of `points`: every partial's proof is
/// checked, a failing one is named in `rejected`, and the first t valid
/// ones are interpolated. An officer may appear more than once (an answer
/// sent again): its first partial that passes its proof counts, the others
/// are not checked, and it is named in `rejected` only if none passes.
/// Fewer than t valid → [`ThresholdError::TooFew`].
pub fn combine(
    public: &PublicKeySet,
    points: &[Point],
    partials: &[Partial],
) -> Result<Combined, ThresholdError> {
    let mut valid: Vec<(usize, &Partial)> = Vec::new();
    let mut rejected = BTreeSet::new();
    for (at, p) in partials.iter().enumerate() {
        if valid.iter().any(|(_, v)| v.officer == p.officer) {
            continue;
        }
        if p.verify(public, points) {
            rejected.remove(&p.officer);
            valid.push((at, p));
        } else {
            rejected.insert(p.officer);
        }
    }
    let rejected: Vec<u16> = rejected.into_iter().collect();
    let t = usize::from(public.params.t);
    if valid.len() < t {
        return Err(ThresholdError::TooFew {
            have: valid.len(),
            need: t,
            rejected,
        });
    }
    valid.truncate(t);
    let used_at: Vec<usize> = valid.iter().map(|(at, _)| *at).collect();
    let valid: Vec<&Partial> = valid.into_iter().map(|(_, p)| p).collect();
    // The Lagrange coefficients once for all points, then a t-term
    // multiscalar multiplication per point (vsss-rs's `combine` recomputes
    // the coefficients, with inversions, for every point: 4× slower here).
    let set: Vec<u16> = valid.iter().map(|p| p.officer).collect();
    let lambdas: Vec<Scalar> = set.iter().map(|i| lagrange(&set, *i)).collect();
    let combined: Vec<Point> = (0..points.len())
        .map(|k| {
            Point::from_point(RistrettoPoint::vartime_multiscalar_mul(
                &lambdas,
                valid.iter().map(|p| *p.values[k].point()),
            ))
        })
        .collect();
    Ok(Combined {
        points: combined,
        used: valid.iter().map(|p| p.officer).collect(),
        rejected,
        used_at,
    })
}

/// Multiples of `K = x·H` for threshold limb decryption.
pub struct LimbTable {
    table: HashMap<[u8; 32], u16>,
}

impl fmt::Debug for LimbTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LimbTable")
    }
}

impl LimbTable {
    /// Builds the table for `K` (65 536 entries).
    pub fn new(k: &Point) -> Self {
        Self {
            table: build_limb_table(k.point()),
        }
    }

    /// The value of a limb from the combined `x·C` and its handle `D`:
    /// `x·C − D = v·K`.
    pub fn decrypt(&self, x_c: &Point, handle: &Handle) -> Option<u64> {
        let v = x_c.point() - handle.point();
        self.table
            .get(v.compress().as_bytes())
            .copied()
            .map(u64::from)
    }
}

/// The point `H` whose image `K = x·H` a threshold opening combines once.
pub fn limb_base() -> Point {
    Point::from_point(h())
}

/// A limb commitment as a point to request.
pub fn limb_point(c: &Commitment) -> Point {
    Point::from_point(*c.point())
}

/// A threshold key's combined decryptions `x·P`, as a
/// [`RegulatorOpening`]: what the officers were asked for opens exactly as
/// the single key would; anything else is `None`.
pub struct CombinedKey {
    public: RegulatorPublicKey,
    opened: HashMap<[u8; 32], Secret<[u8; 32]>>,
    k: Option<Point>,
    table: OnceLock<LimbTable>,
}

impl fmt::Debug for CombinedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CombinedKey")
            .field("public", &self.public)
            .field("opened", &self.opened.len())
            .finish()
    }
}

impl CombinedKey {
    /// From the requested `points` and what [`combine`] gave for them.
    pub fn new(public: &PublicKeySet, points: &[Point], combined: &Combined) -> Self {
        let base = limb_base();
        let mut k = None;
        let mut opened = HashMap::with_capacity(points.len());
        for (p, x) in points.iter().zip(&combined.points) {
            if *p == base {
                k = Some(*x);
            }
            opened.insert(*p.as_bytes(), Secret::new(*x.as_bytes()));
        }
        Self {
            public: *public.group(),
            opened,
            k,
            table: OnceLock::new(),
        }
    }
}

impl RegulatorOpening for CombinedKey {
    fn public_key(&self) -> &RegulatorPublicKey {
        &self.public
    }

    fn shared_secrets(&self, ephemerals: &[&RegulatorEphemeral]) -> Vec<Option<Secret<[u8; 32]>>> {
        ephemerals
            .iter()
            .map(|e| {
                self.opened
                    .get(e.as_bytes())
                    .map(|s| Secret::new(*s.expose()))
            })
            .collect()
    }

    fn limb(&self, commitment: &Commitment, handle: &Handle) -> Option<u64> {
        let k = self.k.as_ref()?;
        let x_c = Point::from_bytes(self.opened.get(commitment.as_bytes())?.expose()).ok()?;
        self.table
            .get_or_init(|| LimbTable::new(k))
            .decrypt(&x_c, handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regulator_ciphertext::RegulatorSecretKey;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    struct Dkg {
        public: PublicKeySet,
        shares: Vec<KeyShare>,
        secret: Scalar,
    }

    fn dkg(t: u16, n: u16, seed: u64) -> Dkg {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let params = Params::new(t, n).unwrap();
        let dealings: Vec<Dealing> = (1..=n)
            .map(|i| Dealing::generate(i, params, &mut rng).unwrap())
            .collect();
        let public_in: Vec<(u16, &Commitments)> = dealings
            .iter()
            .map(|d| (d.dealer, &d.commitments))
            .collect();
        let shares: Vec<KeyShare> = (1..=n)
            .map(|j| {
                let got: Vec<(u16, &Secret<Scalar>)> = dealings
                    .iter()
                    .map(|d| (d.dealer, d.share_for(j).unwrap()))
                    .collect();
                KeyShare::from_dkg(j, params, &public_in, &got).unwrap()
            })
            .collect();
        // For the test only: the group secret, never assembled in use.
        let secret = lagrange_secret(&shares[..usize::from(t)]);
        Dkg {
            public: shares[0].public().clone(),
            shares,
            secret,
        }
    }

    fn lagrange_secret(shares: &[KeyShare]) -> Scalar {
        let set: Vec<u16> = shares.iter().map(|s| s.index).collect();
        shares
            .iter()
            .map(|s| lagrange(&set, s.index) * s.secret.expose())
            .sum()
    }

    fn points(n: usize, rng: &mut ChaCha20Rng) -> Vec<Point> {
        (0..n)
            .map(|_| Point::from_point(mul_g(&random_scalar(rng))))
            .collect()
    }

    #[test]
    fn any_three_of_five_open_exactly_what_the_single_key_opens() {
        let d = dkg(3, 5, 1);
        let single = RegulatorSecretKey::from_scalar(d.secret);
        assert_eq!(single.public(), d.public.group());
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let pts = points(4, &mut rng);
        let expected: Vec<Point> = pts
            .iter()
            .map(|p| Point::from_bytes(single.diffie_hellman(p).expose()).unwrap())
            .collect();
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let partials: Vec<Partial> = [a, b, c]
                        .iter()
                        .map(|&i| d.shares[i].partial(&pts, &mut rng))
                        .collect();
                    let got = combine(&d.public, &pts, &partials).unwrap();
                    assert_eq!(got.points, expected);
                    assert!(got.rejected.is_empty());
                }
            }
        }
    }

    #[test]
    fn two_officers_get_nothing_and_a_corrupted_share_is_named() {
        let d = dkg(3, 5, 3);
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let pts = points(3, &mut rng);
        let two: Vec<Partial> = d.shares[..2]
            .iter()
            .map(|s| s.partial(&pts, &mut rng))
            .collect();
        assert!(matches!(
            combine(&d.public, &pts, &two),
            Err(ThresholdError::TooFew {
                have: 2,
                need: 3,
                ..
            })
        ));
        let mut three: Vec<Partial> = d.shares[..3]
            .iter()
            .map(|s| s.partial(&pts, &mut rng))
            .collect();
        three[1].values[2] = Point::from_point(three[1].values[2].point() + G);
        match combine(&d.public, &pts, &three) {
            Err(ThresholdError::TooFew {
                have: 2, rejected, ..
            }) => assert_eq!(rejected, vec![2]),
            other => panic!("{other:?}"),
        }
        // A fourth honest officer makes up for it; the liar is still named.
        three.push(d.shares[4].partial(&pts, &mut rng));
        let got = combine(&d.public, &pts, &three).unwrap();
        assert_eq!(got.rejected, vec![2]);
        assert_eq!(got.used, vec![1, 3, 5]);
        // An officer that answers twice, first wrongly: its good answer
        // counts and it is not refused.
        let mut twice = three[..1].to_vec();
        let mut wrong = d.shares[2].partial(&pts, &mut rng);
        wrong.values[0] = Point::from_point(wrong.values[0].point() + G);
        twice.extend([wrong, d.shares[2].partial(&pts, &mut rng), three[3].clone()]);
        let got = combine(&d.public, &pts, &twice).unwrap();
        assert_eq!(
            (got.used, got.rejected, got.used_at),
            (vec![1, 3, 5], vec![], vec![0, 2, 3])
        );
        // A partial claiming another officer's index fails that officer's proof.
        let mut forged = d.shares[0].partial(&pts, &mut rng);
        forged.officer = 4;
        assert!(!forged.verify(&d.public, &pts));
        // A tampered proof scalar fails.
        let mut p = d.shares[0].partial(&pts, &mut rng);
        p.proof.z += Scalar::ONE;
        assert!(!p.verify(&d.public, &pts));
        // Round trip and hostile bytes.
        let p = d.shares[0].partial(&pts, &mut rng);
        assert_eq!(Partial::from_bytes(&p.to_bytes()).unwrap(), p);
        let mut b = p.to_bytes();
        b[2] = 0xff;
        assert!(Partial::from_bytes(&b).is_err());
        assert!(Partial::from_bytes(&b[..50]).is_err());
        assert!(Partial::from_bytes(&[0xff; 200_000]).is_err());
    }

    #[test]
    fn a_bad_dealing_is_named_and_duplicates_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let params = Params::new(2, 3).unwrap();
        let dealings: Vec<Dealing> = (1..=3)
            .map(|i| Dealing::generate(i, params, &mut rng).unwrap())
            .collect();
        let public_in: Vec<(u16, &Commitments)> = dealings
            .iter()
            .map(|d| (d.dealer, &d.commitments))
            .collect();
        let wrong = Secret::new(Scalar::from(7u64));
        let got: Vec<(u16, &Secret<Scalar>)> = vec![
            (1, dealings[0].share_for(2).unwrap()),
            (2, &wrong),
            (3, dealings[2].share_for(2).unwrap()),
        ];
        assert_eq!(
            KeyShare::from_dkg(2, params, &public_in, &got).unwrap_err(),
            ThresholdError::BadDealing(2)
        );
        let dup = vec![public_in[0], public_in[0], public_in[2]];
        assert_eq!(
            PublicKeySet::from_dealings(params, &dup).unwrap_err(),
            ThresholdError::Duplicate(1)
        );
        assert!(Params::new(1, 3).is_err());
        assert!(Params::new(4, 3).is_err());
        assert_eq!(Params::parse("3-of-5").unwrap(), Params::new(3, 5).unwrap());
        assert!(Params::parse("3of5").is_err());
    }

    #[test]
    fn resharing_three_of_five_to_two_of_three_keeps_the_group_key() {
        let d = dkg(3, 5, 6);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let new = Params::new(2, 3).unwrap();
        // Officers 2, 4, 5 reshare.
        let dealers = [1usize, 3, 4];
        let dealings: Vec<Dealing> = dealers
            .iter()
            .map(|&i| d.shares[i].reshare(new, &mut rng))
            .collect();
        let public_in: Vec<(u16, &Commitments)> = dealings
            .iter()
            .map(|d| (d.dealer, &d.commitments))
            .collect();
        let fresh: Vec<KeyShare> = (1..=3)
            .map(|j| {
                let got: Vec<(u16, &Secret<Scalar>)> = dealings
                    .iter()
                    .map(|dl| (dl.dealer, dl.share_for(j).unwrap()))
                    .collect();
                KeyShare::from_reshare(j, new, &d.public, &public_in, &got).unwrap()
            })
            .collect();
        assert_eq!(fresh[0].public().group(), d.public.group());
        assert_eq!(lagrange_secret(&fresh[..2]), d.secret);
        let pts = points(2, &mut rng);
        let new_public = fresh[0].public().clone();
        let partials: Vec<Partial> = fresh[1..]
            .iter()
            .map(|s| s.partial(&pts, &mut rng))
            .collect();
        let got = combine(&new_public, &pts, &partials).unwrap();
        let single = RegulatorSecretKey::from_scalar(d.secret);
        assert_eq!(
            got.points[0].as_bytes(),
            single.diffie_hellman(&pts[0]).expose()
        );
        // An old share does not combine with a new one: its proof fails
        // against the new verification shares.
        let mixed = vec![
            d.shares[0].partial(&pts, &mut rng),
            fresh[1].partial(&pts, &mut rng),
        ];
        match combine(&new_public, &pts, &mixed) {
            Err(ThresholdError::TooFew { rejected, .. }) => assert_eq!(rejected, vec![1]),
            other => panic!("{other:?}"),
        }
        // And interpolating them without the proofs gives garbage.
        let mixed_secret = {
            let set = [1u16, 2];
            lagrange(&set, 1) * d.shares[0].secret.expose()
                + lagrange(&set, 2) * fresh[1].secret.expose()
        };
        assert_ne!(mixed_secret, d.secret);
        // A dealer that deals something other than its own share is refused.
        let other = Dealing::generate(2, new, &mut rng).unwrap();
        let bad_in = vec![(2u16, &other.commitments), public_in[1], public_in[2]];
        assert_eq!(
            PublicKeySet::from_reshare(new, &d.public, &bad_in).unwrap_err(),
            ThresholdError::NotItsShare(2)
        );
        // Too few old officers.
        assert!(matches!(
            PublicKeySet::from_reshare(new, &d.public, &public_in[..2]),
            Err(ThresholdError::TooFew { .. })
        ));
    }

    #[test]
    fn limbs_open_without_the_inverse() {
        let d = dkg(2, 3, 8);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let gamma = random_scalar(&mut rng);
        let v = 41_234u64;
        let c = Commitment::from_point(mul_g(&gamma) + h() * Scalar::from(v));
        let handle = Handle::new(&gamma, d.public.group());
        let pts = vec![limb_base(), limb_point(&c)];
        let partials: Vec<Partial> = d.shares[1..]
            .iter()
            .map(|s| s.partial(&pts, &mut rng))
            .collect();
        let got = combine(&d.public, &pts, &partials).unwrap();
        let table = LimbTable::new(&got.points[0]);
        assert_eq!(table.decrypt(&got.points[1], &handle), Some(v));
        let single = RegulatorSecretKey::from_scalar(d.secret);
        assert_eq!(single.decrypt_limb(&c, &handle), Some(v));
    }

    #[test]
    fn key_shares_round_trip_and_refuse_tampering() {
        let d = dkg(2, 3, 10);
        let bytes = d.shares[1].to_secret_bytes();
        let back = KeyShare::from_secret_bytes(bytes.expose()).unwrap();
        assert_eq!(back.index(), 2);
        assert_eq!(back.public(), d.shares[1].public());
        let mut b = bytes.expose().clone();
        b[5] ^= 1;
        assert!(KeyShare::from_secret_bytes(&b).is_err());
        assert!(KeyShare::from_secret_bytes(&b[..40]).is_err());
        assert!(format!("{:?}", d.shares[1]).contains("REDACTED"));
        assert_eq!(
            PublicKeySet::from_bytes(&d.public.to_bytes()).unwrap(),
            d.public
        );
    }
}
