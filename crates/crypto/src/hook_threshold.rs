//! Threshold credential-hook keys: the regulator's Baby Jubjub hook secret
//! `y` ([`veil_circuits::hook`]) shared t-of-n among the officers who hold
//! the regulator's threshold epoch key, so that identifying the holder of a
//! presentation needs t officers, each contributing a proven partial
//! decryption — the same dual control [`crate::threshold`] gives views.
//!
//! # Protocol
//!
//! `G` generates Baby Jubjub's prime-order subgroup (order `ℓ_J`, 251
//! bits); scalars are in `Z_{ℓ_J}`. A presentation carries `(C₁, c₂)` with
//! `C₁ = r·G`, `c₂ = h + Poseidon(r·Y)` and `Y = y·G` the hook key.
//!
//! **Key generation** (joint Feldman, Gennaro–Jarecki–Krawczyk–Rabin,
//! *Secure Distributed Key Generation for Discrete-Log Based
//! Cryptosystems*, J. Cryptology 2007; Feldman, FOCS 1987). Dealer `i`
//! draws `fᵢ(z) = Σ_{k<t} aᵢ,ₖ zᵏ`, publishes `Aᵢ,ₖ = aᵢ,ₖ·G` and sends
//! `sᵢ→ⱼ = fᵢ(j)` sealed to officer `j`, who checks
//!
//! ```text
//!   sᵢ→ⱼ·G = Σₖ jᵏ·Aᵢ,ₖ
//! ```
//!
//! and keeps `yⱼ = Σᵢ sᵢ→ⱼ`. The hook key is `Y = Σᵢ Aᵢ,₀` and officer
//! `j`'s verification share `Yⱼ = Σᵢ Σₖ jᵏ·Aᵢ,ₖ = yⱼ·G`.
//!
//! **Resharing** (Desmedt–Jajodia 1997; Herzberg et al., *Proactive
//! Secret Sharing*, CRYPTO 1995). Old officer `i ∈ D`, `|D| ≥ t_old`,
//! deals `fᵢ` with `fᵢ(0) = yᵢ`; new officer `j` checks every share as
//! above and `Aᵢ,₀ = Yᵢ`, then keeps `y'ⱼ = Σ_{i∈D} λᵢ,D·fᵢ(j)`. The hook
//! key is unchanged: `Σ_{i∈D} λᵢ,D·Aᵢ,₀ = Y` is checked.
//!
//! **Partial decryption** with a Chaum–Pedersen proof (*Wallet Databases
//! with Observers*, CRYPTO 1992) that `log_G Yⱼ = log_{C₁} Sⱼ`:
//!
//! ```text
//!   Sⱼ = yⱼ·C₁
//!   ρ ← Z_{ℓ_J},  T₁ = ρ·G,  T₂ = ρ·C₁
//!   c = H("veil/threshold/hook-partial/v1", ctx, j, Yⱼ, C₁, Sⱼ, T₁, T₂)
//!   z = ρ + c·yⱼ
//!   verify: c = H(…, z·G − c·Yⱼ, z·C₁ − c·Sⱼ)
//! ```
//!
//! with `H` a Merlin transcript read as 64 bytes reduced mod `ℓ_J`, and
//! `ctx` the share request's id, so a proof answers one request only.
//!
//! **Combination.** For a set `T` of t valid partials,
//! `y·C₁ = Σ_{j∈T} λⱼ,T·Sⱼ` (Lagrange at zero), and
//! `h = c₂ − Poseidon((y·C₁).x, (y·C₁).y)` exactly as the single key.
//!
//! Hand-written: `vsss-rs` and the `frost-*` crates need the `ff`/`group`
//! traits, which arkworks' curves do not implement, and no maintained crate
//! shares Baby Jubjub scalars. What is written here is polynomial
//! evaluation, Lagrange coefficients and one Sigma protocol over
//! arkworks' audited field and curve arithmetic.

use std::collections::BTreeSet;
use std::fmt;

use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective, Fr as JScalar};
use ark_ff::{Field, PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

/// A presentation's hook ciphertext `(C₁, c₂)` (re-exported for callers
/// that handle identification requests).
pub use veil_circuits::hook::Ciphertext;
use veil_circuits::hook::{self, HookKey, POINT_BYTES};
use veil_secret::Secret;

use crate::threshold::{Params, ThresholdError};

/// Fiat–Shamir label of a hook partial decryption's proof.
pub const HOOK_PARTIAL: &[u8] = b"veil/threshold/hook-partial/v1";
/// Bytes of an encoded [`HookPartial`].
pub const PARTIAL_BYTES: usize = 2 + POINT_BYTES + 32 + 32;

/// A hook-key scalar (`Z_{ℓ_J}`): what a dealing's shares are.
pub type HookScalar = JScalar;

/// A dealt share's 32 canonical bytes (little-endian), to seal to its
/// officer.
pub fn share_to_bytes(s: &Secret<JScalar>) -> Secret<[u8; 32]> {
    Secret::new(scalar_bytes(s.expose()))
}

/// Parses [`share_to_bytes`] (canonical only).
pub fn share_from_bytes(b: &[u8]) -> Option<Secret<JScalar>> {
    scalar_from(b).map(Secret::new)
}

fn g() -> EdwardsProjective {
    EdwardsProjective::generator()
}

fn random_scalar<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> JScalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = JScalar::from_le_bytes_mod_order(&wide);
    wide.zeroize();
    s
}

fn scalar_bytes(s: &JScalar) -> [u8; 32] {
    let mut out = [0u8; 32];
    // A field element always serializes to exactly 32 bytes.
    let _ = s.serialize_compressed(&mut out[..]);
    out
}

/// A canonical scalar (`< ℓ_J`), else `None`.
fn scalar_from(b: &[u8]) -> Option<JScalar> {
    if b.len() != 32 {
        return None;
    }
    JScalar::deserialize_compressed(b).ok()
}

fn point_from(b: &[u8]) -> Option<EdwardsAffine> {
    hook::point_from_bytes(b).ok()
}

fn x_of(j: u16) -> JScalar {
    JScalar::from(u64::from(j))
}

/// `λᵢ = Π_{l∈T, l≠i} l/(l−i)` at zero.
fn lagrange(set: &[u16], i: u16) -> JScalar {
    let xi = x_of(i);
    let (mut num, mut den) = (JScalar::from(1u64), JScalar::from(1u64));
    for &l in set.iter().filter(|&&l| l != i) {
        num *= x_of(l);
        den *= x_of(l) - xi;
    }
    // The indices are distinct, so `den ≠ 0`.
    num * den.inverse().unwrap_or_default()
}

/// A dealer's Feldman commitments `Aₖ = aₖ·G`, `k < t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookCommitments(Vec<EdwardsAffine>);

impl HookCommitments {
    /// `A₀`.
    pub fn constant(&self) -> &EdwardsAffine {
        &self.0[0]
    }

    /// `Σₖ jᵏ·Aₖ` (Horner).
    pub fn evaluate(&self, j: u16) -> EdwardsProjective {
        let x = x_of(j);
        let mut acc = EdwardsProjective::zero();
        for a in self.0.iter().rev() {
            acc = acc * x + a;
        }
        acc
    }

    /// Whether `share·G = Σₖ jᵏ·Aₖ`.
    pub fn verify(&self, j: u16, share: &Secret<JScalar>) -> bool {
        g() * share.expose() == self.evaluate(j)
    }

    /// `A₀ ‖ … ‖ A_{t−1}`, 32 bytes each.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(hook::point_to_bytes).collect()
    }

    /// Parses exactly `t` subgroup points.
    pub fn from_bytes(bytes: &[u8], t: u16) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("hook commitments");
        if bytes.len() != usize::from(t) * POINT_BYTES || t == 0 {
            return Err(bad);
        }
        bytes
            .chunks_exact(POINT_BYTES)
            .map(|c| point_from(c).ok_or(bad.clone()))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// A dealer's polynomial, committed, with the n shares it deals.
pub struct HookDealing {
    /// The commitments every officer checks its share against.
    pub commitments: HookCommitments,
    shares: Vec<Secret<JScalar>>,
}

impl fmt::Debug for HookDealing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookDealing")
            .field("commitments", &self.commitments)
            .field("shares", &"<redacted>")
            .finish()
    }
}

impl HookDealing {
    fn of_secret<R: RngCore + CryptoRng + ?Sized>(
        params: Params,
        secret: &JScalar,
        rng: &mut R,
    ) -> Self {
        let mut coeffs: Vec<JScalar> = std::iter::once(*secret)
            .chain((1..params.threshold()).map(|_| random_scalar(rng)))
            .collect();
        let commitments = HookCommitments(EdwardsProjective::normalize_batch(
            &coeffs.iter().map(|a| g() * a).collect::<Vec<_>>(),
        ));
        let shares = (1..=params.officers())
            .map(|j| {
                let x = x_of(j);
                let mut acc = JScalar::zero();
                for a in coeffs.iter().rev() {
                    acc = acc * x + a;
                }
                Secret::new(acc)
            })
            .collect();
        coeffs.zeroize();
        Self {
            commitments,
            shares,
        }
    }

    /// A key-generation dealing (a random secret).
    pub fn generate<R: RngCore + CryptoRng + ?Sized>(params: Params, rng: &mut R) -> Self {
        let mut s = random_scalar(rng);
        let d = Self::of_secret(params, &s, rng);
        s.zeroize();
        d
    }

    /// The share for officer `j` (1-based).
    pub fn share_for(&self, j: u16) -> Option<&Secret<JScalar>> {
        self.shares.get(usize::from(j).checked_sub(1)?)
    }
}

/// A hook key's public description: t-of-n, `Y`, and each officer's `Yⱼ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookPublicSet {
    params: Params,
    key: EdwardsAffine,
    verification: Vec<EdwardsAffine>,
}

fn check_dealers(
    params: Params,
    need: u16,
    dealings: &[(u16, &HookCommitments)],
) -> Result<(), ThresholdError> {
    let mut seen = BTreeSet::new();
    for (i, c) in dealings {
        if !seen.insert(*i) {
            return Err(ThresholdError::Duplicate(*i));
        }
        if c.0.len() != usize::from(params.threshold()) {
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

impl HookPublicSet {
    /// The public set of a key generation (at least t dealers).
    pub fn from_dealings(
        params: Params,
        dealings: &[(u16, &HookCommitments)],
    ) -> Result<Self, ThresholdError> {
        check_dealers(params, params.threshold(), dealings)?;
        let key: EdwardsProjective = dealings.iter().map(|(_, c)| *c.constant()).sum();
        let verification = (1..=params.officers())
            .map(|j| dealings.iter().map(|(_, c)| c.evaluate(j)).sum())
            .collect::<Vec<EdwardsProjective>>();
        Self::checked(params, key, &verification)
    }

    fn from_reshare(
        new: Params,
        old: &HookPublicSet,
        dealings: &[(u16, &HookCommitments)],
    ) -> Result<Self, ThresholdError> {
        check_dealers(new, old.params.threshold(), dealings)?;
        for (i, c) in dealings {
            old.params.check_index(*i)?;
            if old.verification(*i) != Some(c.constant()) {
                return Err(ThresholdError::NotItsShare(*i));
            }
        }
        let dealers: Vec<u16> = dealings.iter().map(|(i, _)| *i).collect();
        let weighted = |f: &dyn Fn(&HookCommitments) -> EdwardsProjective| -> EdwardsProjective {
            dealings
                .iter()
                .map(|(i, c)| f(c) * lagrange(&dealers, *i))
                .sum()
        };
        let key = weighted(&|c| (*c.constant()).into());
        if key.into_affine() != old.key {
            return Err(ThresholdError::GroupKeyChanged);
        }
        let verification: Vec<EdwardsProjective> = (1..=new.officers())
            .map(|j| weighted(&|c| c.evaluate(j)))
            .collect();
        Self::checked(new, key, &verification)
    }

    fn checked(
        params: Params,
        key: EdwardsProjective,
        verification: &[EdwardsProjective],
    ) -> Result<Self, ThresholdError> {
        let key = key.into_affine();
        let verification = EdwardsProjective::normalize_batch(verification);
        // An identity anywhere would be a degenerate (or hostile) dealing.
        if key.is_zero() || verification.iter().any(|v| v.is_zero()) {
            return Err(ThresholdError::Malformed("hook key set"));
        }
        Ok(Self {
            params,
            key,
            verification,
        })
    }

    /// t-of-n.
    pub fn params(&self) -> Params {
        self.params
    }

    /// The hook key `Y` a root authority accredits.
    pub fn key(&self) -> HookKey {
        HookKey(self.key)
    }

    /// Officer `j`'s verification share `Yⱼ`.
    pub fn verification(&self, j: u16) -> Option<&EdwardsAffine> {
        self.verification.get(usize::from(j).checked_sub(1)?)
    }

    /// `t (u16 LE) ‖ n (u16 LE) ‖ Y ‖ Y₁ ‖ … ‖ Yₙ`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + POINT_BYTES * (1 + self.verification.len()));
        out.extend_from_slice(&self.params.threshold().to_le_bytes());
        out.extend_from_slice(&self.params.officers().to_le_bytes());
        out.extend_from_slice(&hook::point_to_bytes(&self.key));
        for v in &self.verification {
            out.extend_from_slice(&hook::point_to_bytes(v));
        }
        out
    }

    /// Parses [`HookPublicSet::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("hook key set");
        if b.len() < 4 {
            return Err(bad);
        }
        let params = Params::new(
            u16::from_le_bytes([b[0], b[1]]),
            u16::from_le_bytes([b[2], b[3]]),
        )?;
        if b.len() != 4 + POINT_BYTES * (1 + usize::from(params.officers())) {
            return Err(bad);
        }
        let mut points = b[4..]
            .chunks_exact(POINT_BYTES)
            .map(|c| point_from(c).ok_or(bad.clone()));
        let key = points.next().ok_or(bad.clone())??;
        let verification = points.collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            params,
            key,
            verification,
        })
    }
}

/// Officer j's share `yⱼ` of a hook key (wiped on drop, redacted in
/// `Debug`), with the key's public set.
#[derive(Clone)]
pub struct HookKeyShare {
    index: u16,
    secret: Secret<JScalar>,
    public: HookPublicSet,
}

impl fmt::Debug for HookKeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookKeyShare")
            .field("index", &self.index)
            .field("key", &hex::encode(hook::point_to_bytes(&self.public.key)))
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `Σᵢ wᵢ·sᵢ→me` after checking every share; a bad one names its dealer.
fn sum_checked(
    me: u16,
    dealings: &[(u16, &HookCommitments)],
    received: &[(u16, &Secret<JScalar>)],
    weight: impl Fn(u16) -> JScalar,
) -> Result<JScalar, ThresholdError> {
    let mut sum = JScalar::zero();
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

impl HookKeyShare {
    /// Officer `me` finishes a key generation from every dealer's
    /// commitments and the share it received from each.
    pub fn from_dkg(
        me: u16,
        params: Params,
        dealings: &[(u16, &HookCommitments)],
        received: &[(u16, &Secret<JScalar>)],
    ) -> Result<Self, ThresholdError> {
        params.check_index(me)?;
        let public = HookPublicSet::from_dealings(params, dealings)?;
        let secret = sum_checked(me, dealings, received, |_| JScalar::from(1u64))?;
        Self::checked(me, secret, public)
    }

    /// New officer `me` finishes a resharing of the key `old` describes.
    pub fn from_reshare(
        me: u16,
        new: Params,
        old: &HookPublicSet,
        dealings: &[(u16, &HookCommitments)],
        received: &[(u16, &Secret<JScalar>)],
    ) -> Result<Self, ThresholdError> {
        new.check_index(me)?;
        let public = HookPublicSet::from_reshare(new, old, dealings)?;
        let dealers: Vec<u16> = dealings.iter().map(|(i, _)| *i).collect();
        let secret = sum_checked(me, dealings, received, |i| lagrange(&dealers, i))?;
        Self::checked(me, secret, public)
    }

    fn checked(
        me: u16,
        mut secret: JScalar,
        public: HookPublicSet,
    ) -> Result<Self, ThresholdError> {
        let ok = public
            .verification(me)
            .is_some_and(|v| (g() * secret).into_affine() == *v);
        let secret_kept = Secret::new(secret);
        secret.zeroize();
        if !ok {
            return Err(ThresholdError::Malformed("hook key share"));
        }
        Ok(Self {
            index: me,
            secret: secret_kept,
            public,
        })
    }

    /// The officer's index.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The key's public set.
    pub fn public(&self) -> &HookPublicSet {
        &self.public
    }

    /// A resharing dealing of this share to a new t-of-n.
    pub fn reshare<R: RngCore + CryptoRng + ?Sized>(
        &self,
        new: Params,
        rng: &mut R,
    ) -> HookDealing {
        HookDealing::of_secret(new, self.secret.expose(), rng)
    }

    /// `Sⱼ = yⱼ·C₁` with its proof, bound to `context` (the request id).
    pub fn partial<R: RngCore + CryptoRng + ?Sized>(
        &self,
        c1: &EdwardsAffine,
        context: &[u8],
        rng: &mut R,
    ) -> HookPartial {
        let y = self.secret.expose();
        let s = (*c1 * y).into_affine();
        let mut rho = random_scalar(rng);
        let t1 = (g() * rho).into_affine();
        let t2 = (*c1 * rho).into_affine();
        let yj = self
            .public
            .verification(self.index)
            .copied()
            .unwrap_or_default();
        let c = challenge(context, self.index, &yj, c1, &s, &t1, &t2);
        let z = rho + c * y;
        rho.zeroize();
        HookPartial {
            officer: self.index,
            value: s,
            c,
            z,
        }
    }

    /// `index (u16 LE) ‖ yⱼ ‖ public set`, for the keystore.
    pub fn to_secret_bytes(&self) -> Secret<Vec<u8>> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.index.to_le_bytes());
        out.extend_from_slice(&scalar_bytes(self.secret.expose()));
        out.extend_from_slice(&self.public.to_bytes());
        Secret::new(out)
    }

    /// Parses [`HookKeyShare::to_secret_bytes`] and checks the share
    /// against its verification share.
    pub fn from_secret_bytes(b: &[u8]) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("hook key share");
        if b.len() < 34 {
            return Err(bad);
        }
        let index = u16::from_le_bytes([b[0], b[1]]);
        let secret = scalar_from(&b[2..34]).ok_or(bad.clone())?;
        let public = HookPublicSet::from_bytes(&b[34..])?;
        public.params.check_index(index)?;
        Self::checked(index, secret, public).map_err(|_| bad)
    }
}

fn challenge(
    context: &[u8],
    officer: u16,
    yj: &EdwardsAffine,
    c1: &EdwardsAffine,
    s: &EdwardsAffine,
    t1: &EdwardsAffine,
    t2: &EdwardsAffine,
) -> JScalar {
    let mut t = Transcript::new(HOOK_PARTIAL);
    t.append_message(b"ctx", context);
    t.append_message(b"officer", &officer.to_le_bytes());
    for (label, p) in [
        (&b"Yj"[..], yj),
        (b"C1", c1),
        (b"S", s),
        (b"T1", t1),
        (b"T2", t2),
    ] {
        t.append_message(label, &hook::point_to_bytes(p));
    }
    let mut wide = [0u8; 64];
    t.challenge_bytes(b"c", &mut wide);
    JScalar::from_le_bytes_mod_order(&wide)
}

/// Officer j's partial decryption `Sⱼ = yⱼ·C₁` with its proof `(c, z)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookPartial {
    /// The officer's index.
    pub officer: u16,
    /// `Sⱼ`.
    pub value: EdwardsAffine,
    c: JScalar,
    z: JScalar,
}

impl HookPartial {
    /// Checks the proof against the officer's verification share.
    pub fn verify(&self, public: &HookPublicSet, c1: &EdwardsAffine, context: &[u8]) -> bool {
        let Some(yj) = public.verification(self.officer) else {
            return false;
        };
        let t1 = (g() * self.z - *yj * self.c).into_affine();
        let t2 = (*c1 * self.z - self.value * self.c).into_affine();
        challenge(context, self.officer, yj, c1, &self.value, &t1, &t2) == self.c
    }

    /// `officer (u16 LE) ‖ Sⱼ ‖ c ‖ z` ([`PARTIAL_BYTES`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PARTIAL_BYTES);
        out.extend_from_slice(&self.officer.to_le_bytes());
        out.extend_from_slice(&hook::point_to_bytes(&self.value));
        out.extend_from_slice(&scalar_bytes(&self.c));
        out.extend_from_slice(&scalar_bytes(&self.z));
        out
    }

    /// Parses [`HookPartial::to_bytes`] (canonical scalars, a subgroup point).
    pub fn from_bytes(b: &[u8]) -> Result<Self, ThresholdError> {
        let bad = ThresholdError::Malformed("hook partial");
        if b.len() != PARTIAL_BYTES {
            return Err(bad);
        }
        Ok(Self {
            officer: u16::from_le_bytes([b[0], b[1]]),
            value: point_from(&b[2..34]).ok_or(bad.clone())?,
            c: scalar_from(&b[34..66]).ok_or(bad.clone())?,
            z: scalar_from(&b[66..98]).ok_or(bad)?,
        })
    }
}

/// What combining hook partials gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookCombined {
    /// `y·C₁`.
    pub shared: EdwardsAffine,
    /// The officers whose partials were combined.
    pub used: Vec<u16>,
    /// Officers whose partial failed its proof.
    pub rejected: Vec<u16>,
    /// Where in the given partials the combined ones were.
    pub used_at: Vec<usize>,
}

impl HookCombined {
    /// The holder commitment `h = c₂ − Poseidon(y·C₁)`.
    pub fn open(&self, c: &Ciphertext) -> veil_circuits::Fr {
        hook::open_with_shared(&self.shared, c)
    }
}

/// Combines partial decryptions of `c1`, as [`crate::threshold::combine`]
/// does for views: every proof is checked, a failing officer is named, an
/// officer's first valid partial counts, and fewer than t valid ones is
/// [`ThresholdError::TooFew`].
pub fn combine(
    public: &HookPublicSet,
    c1: &EdwardsAffine,
    context: &[u8],
    partials: &[HookPartial],
) -> Result<HookCombined, ThresholdError> {
    let mut valid: Vec<(usize, &HookPartial)> = Vec::new();
    let mut rejected = BTreeSet::new();
    for (at, p) in partials.iter().enumerate() {
        if valid.iter().any(|(_, v)| v.officer == p.officer) {
            continue;
        }
        if p.verify(public, c1, context) {
            rejected.remove(&p.officer);
            valid.push((at, p));
        } else {
            rejected.insert(p.officer);
        }
    }
    let rejected: Vec<u16> = rejected.into_iter().collect();
    let t = usize::from(public.params.threshold());
    if valid.len() < t {
        return Err(ThresholdError::TooFew {
            have: valid.len(),
            need: t,
            rejected,
        });
    }
    valid.truncate(t);
    let set: Vec<u16> = valid.iter().map(|(_, p)| p.officer).collect();
    let shared: EdwardsProjective = valid
        .iter()
        .map(|(_, p)| p.value * lagrange(&set, p.officer))
        .sum();
    Ok(HookCombined {
        shared: shared.into_affine(),
        used: set,
        rejected,
        used_at: valid.iter().map(|(at, _)| *at).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use veil_circuits::hook::{HookSecret, Randomness};

    fn dkg(t: u16, n: u16, rng: &mut ChaCha20Rng) -> Vec<HookKeyShare> {
        let params = Params::new(t, n).unwrap();
        let deals: Vec<HookDealing> = (0..n).map(|_| HookDealing::generate(params, rng)).collect();
        let public: Vec<(u16, &HookCommitments)> = (1..=n)
            .zip(&deals)
            .map(|(i, d)| (i, &d.commitments))
            .collect();
        (1..=n)
            .map(|j| {
                let received: Vec<(u16, &Secret<JScalar>)> = (1..=n)
                    .zip(&deals)
                    .map(|(i, d)| (i, d.share_for(j).unwrap()))
                    .collect();
                HookKeyShare::from_dkg(j, params, &public, &received).unwrap()
            })
            .collect()
    }

    fn encrypt(key: &HookKey, h: veil_circuits::Fr, rng: &mut ChaCha20Rng) -> Ciphertext {
        hook::encrypt(key, h, &Randomness(random_scalar(rng)))
    }

    fn secret_of(shares: &[&HookKeyShare]) -> JScalar {
        let set: Vec<u16> = shares.iter().map(|s| s.index).collect();
        shares
            .iter()
            .map(|s| *s.secret.expose() * lagrange(&set, s.index))
            .sum()
    }

    #[test]
    fn any_three_of_five_identify_the_holder_and_two_do_not() {
        let mut rng = ChaCha20Rng::seed_from_u64(41);
        let shares = dkg(3, 5, &mut rng);
        let public = shares[0].public().clone();
        assert!(shares.iter().all(|s| s.public() == &public));
        let h = veil_circuits::Fr::from(123_456_789u64);
        let c = encrypt(&public.key(), h, &mut rng);
        let ctx = b"request";
        let partials: Vec<HookPartial> = shares
            .iter()
            .map(|s| s.partial(&c.c1, ctx, &mut rng))
            .collect();
        for set in [[0usize, 1, 2], [0, 2, 4], [1, 3, 4], [4, 3, 2]] {
            let chosen: Vec<HookPartial> = set.iter().map(|&i| partials[i].clone()).collect();
            let k = combine(&public, &c.c1, ctx, &chosen).unwrap();
            assert_eq!(k.open(&c), h);
            assert_eq!(k.used.len(), 3);
        }
        // The combined secret is the one the key was made from: a single
        // HookSecret with it decrypts identically.
        let y = secret_of(&[&shares[0], &shares[1], &shares[4]]);
        assert_eq!((g() * y).into_affine(), public.key().0);
        let single = HookSecret::from_wide(&{
            let mut w = [0u8; 64];
            w[..32].copy_from_slice(&scalar_bytes(&y));
            w
        });
        assert_eq!(single.public(), public.key());
        assert_eq!(single.decrypt(&c), h);
        // Two officers get nothing.
        assert_eq!(
            combine(&public, &c.c1, ctx, &partials[..2]),
            Err(ThresholdError::TooFew {
                have: 2,
                need: 3,
                rejected: vec![]
            })
        );
    }

    #[test]
    fn a_wrong_partial_is_named_and_another_officer_makes_up_for_it() {
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let shares = dkg(3, 5, &mut rng);
        let public = shares[0].public().clone();
        let h = veil_circuits::Fr::from(7u64);
        let c = encrypt(&public.key(), h, &mut rng);
        let ctx = b"r1";
        let mut partials: Vec<HookPartial> = shares[..3]
            .iter()
            .map(|s| s.partial(&c.c1, ctx, &mut rng))
            .collect();
        // Officer 2 answers with the wrong value (another point times y₂).
        partials[1].value = (partials[1].value + public.key().0).into_affine();
        let err = combine(&public, &c.c1, ctx, &partials).unwrap_err();
        assert_eq!(
            err,
            ThresholdError::TooFew {
                have: 2,
                need: 3,
                rejected: vec![2]
            }
        );
        assert!(err.to_string().contains("refused: officer 2"), "{err}");
        partials.push(shares[3].partial(&c.c1, ctx, &mut rng));
        let k = combine(&public, &c.c1, ctx, &partials).unwrap();
        assert_eq!(k.open(&c), h);
        assert_eq!(
            (k.used.clone(), k.rejected.clone()),
            (vec![1, 3, 4], vec![2])
        );
        // A proof for another request, another ciphertext or claiming
        // another officer is refused.
        let p = shares[0].partial(&c.c1, ctx, &mut rng);
        assert!(p.verify(&public, &c.c1, ctx));
        assert!(!p.verify(&public, &c.c1, b"r2"));
        assert!(!p.verify(&public, &public.key().0, ctx));
        let forged = HookPartial {
            officer: 2,
            ..p.clone()
        };
        assert!(!forged.verify(&public, &c.c1, ctx));
        assert!(!HookPartial {
            officer: 9,
            ..p.clone()
        }
        .verify(&public, &c.c1, ctx));
        // Bytes: round trip, then hostile encodings.
        assert_eq!(HookPartial::from_bytes(&p.to_bytes()).unwrap(), p);
        let mut b = p.to_bytes();
        b[66..98].copy_from_slice(&[0xff; 32]); // z ≥ ℓ_J
        assert!(HookPartial::from_bytes(&b).is_err());
        assert!(HookPartial::from_bytes(&b[..97]).is_err());
        let mut b = p.to_bytes();
        b[2..34].copy_from_slice(&[0u8; 32]);
        assert!(HookPartial::from_bytes(&b).is_err());
        let mut b = p.to_bytes();
        b[40] ^= 1; // c changed: the proof no longer holds
        if let Ok(q) = HookPartial::from_bytes(&b) {
            assert!(!q.verify(&public, &c.c1, ctx));
        }
    }

    #[test]
    fn a_bad_dealing_is_named_and_resharing_keeps_the_key() {
        let mut rng = ChaCha20Rng::seed_from_u64(43);
        let params = Params::new(3, 5).unwrap();
        let deals: Vec<HookDealing> = (0..5)
            .map(|_| HookDealing::generate(params, &mut rng))
            .collect();
        let public: Vec<(u16, &HookCommitments)> = (1..=5)
            .zip(&deals)
            .map(|(i, d)| (i, &d.commitments))
            .collect();
        let mut received: Vec<(u16, Secret<JScalar>)> = (1..=5)
            .zip(&deals)
            .map(|(i, d)| (i, d.share_for(2).unwrap().clone()))
            .collect();
        received[3].1 = Secret::new(*received[3].1.expose() + JScalar::from(1u64));
        let refs: Vec<(u16, &Secret<JScalar>)> = received.iter().map(|(i, s)| (*i, s)).collect();
        assert_eq!(
            HookKeyShare::from_dkg(2, params, &public, &refs).unwrap_err(),
            ThresholdError::BadDealing(4)
        );
        assert_eq!(
            HookKeyShare::from_dkg(2, params, &public[..2], &refs).unwrap_err(),
            ThresholdError::TooFew {
                have: 2,
                need: 3,
                rejected: vec![]
            }
        );

        // 3-of-5 → 2-of-3 by officers 1, 3 and 5.
        let old = dkg(3, 5, &mut rng);
        let old_public = old[0].public().clone();
        let new = Params::new(2, 3).unwrap();
        let dealers = [0usize, 2, 4];
        let re: Vec<HookDealing> = dealers
            .iter()
            .map(|&i| old[i].reshare(new, &mut rng))
            .collect();
        let re_public: Vec<(u16, &HookCommitments)> = dealers
            .iter()
            .zip(&re)
            .map(|(&i, d)| (old[i].index, &d.commitments))
            .collect();
        let fresh: Vec<HookKeyShare> = (1..=3)
            .map(|j| {
                let received: Vec<(u16, &Secret<JScalar>)> = dealers
                    .iter()
                    .zip(&re)
                    .map(|(&i, d)| (old[i].index, d.share_for(j).unwrap()))
                    .collect();
                HookKeyShare::from_reshare(j, new, &old_public, &re_public, &received).unwrap()
            })
            .collect();
        assert_eq!(fresh[0].public().key(), old_public.key());
        let h = veil_circuits::Fr::from(99u64);
        let c = encrypt(&old_public.key(), h, &mut rng);
        let ctx = b"after";
        let p: Vec<HookPartial> = fresh
            .iter()
            .map(|s| s.partial(&c.c1, ctx, &mut rng))
            .collect();
        assert_eq!(
            combine(fresh[0].public(), &c.c1, ctx, &p[1..])
                .unwrap()
                .open(&c),
            h
        );
        // An old share does not combine with new ones.
        let old_p = old[1].partial(&c.c1, ctx, &mut rng);
        let mixed = [
            p[0].clone(),
            HookPartial {
                officer: 2,
                ..old_p
            },
        ];
        assert!(combine(fresh[0].public(), &c.c1, ctx, &mixed).is_err());
        // A dealer that deals another secret is refused.
        let liar = HookDealing::generate(new, &mut rng);
        let mut lying = re_public.clone();
        lying[1].1 = &liar.commitments;
        assert_eq!(
            HookPublicSet::from_reshare(new, &old_public, &lying).unwrap_err(),
            ThresholdError::NotItsShare(3)
        );
        assert!(HookPublicSet::from_reshare(new, &old_public, &re_public[..2]).is_err());
        // Keystore bytes round trip; tampering and Debug.
        let b = fresh[0].to_secret_bytes();
        let back = HookKeyShare::from_secret_bytes(b.expose()).unwrap();
        assert_eq!(back.public(), fresh[0].public());
        let mut t = b.expose().clone();
        t[5] ^= 1;
        assert!(HookKeyShare::from_secret_bytes(&t).is_err());
        assert!(HookKeyShare::from_secret_bytes(&t[..20]).is_err());
        assert!(!format!("{back:?}").contains(&hex::encode(scalar_bytes(back.secret.expose()))));
        let pb = fresh[0].public().to_bytes();
        assert_eq!(&HookPublicSet::from_bytes(&pb).unwrap(), fresh[0].public());
        assert!(HookPublicSet::from_bytes(&pb[..pb.len() - 1]).is_err());
    }
}
