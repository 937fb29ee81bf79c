//! The credential-presentation circuit and its native `check` twin.
//!
//! # Relation
//!
//! A credential of type `τ` with attributes `a₀ … a₇`, issued to the holder
//! of secret `s` with the issuer's salt `ρ`, is the leaf
//!
//! ```text
//! h = Poseidon(s)                                  (holder commitment)
//! ℓ = Poseidon(τ, h, ρ, a₀, …, a₇)                 (credential commitment)
//! ```
//!
//! appended by the issuer to its depth-32 Poseidon Merkle tree
//! ([`crate::merkle`]). A presentation proves knowledge of
//! `(s, ρ, a, j, path)` such that, for the public statement
//! `(R, τ, m, D, k, lo, hi, n, σ, N)`:
//!
//! 1. `path` leads from `ℓ` at index `j` to the root `R` (membership; the
//!    verifier checks that `R` is a root of the issuer's tree it accepts, and
//!    a revoked credential's leaf has been overwritten, so it has no path to
//!    any accepted root: non-revocation at zero constraints);
//! 2. `N = Poseidon(s, σ)`: the scoped nullifier (same holder and scope,
//!    same `N`; across scopes unlinkable under Poseidon's PRF assumption),
//!    and holder binding: only who knows `s` can produce it;
//! 3. `D = Poseidon(m₀·a₀, …, m₇·a₇)` where `m = Σ mᵢ·2ⁱ` is the disclosure
//!    mask: the disclosed attributes are exactly those the mask names (the
//!    verifier recomputes `D` from the values it was shown);
//! 4. with `a_k` for `k < 8` and `0` otherwise: `a_k − lo ∈ [0, 2⁶⁴)` and
//!    `hi − a_k ∈ [0, 2⁶⁴)`, i.e. `lo ≤ a_k ≤ hi` as integers (the verifier
//!    keeps `lo, hi < 2⁶⁴`, so neither subtraction can wrap): one `≥`, `≤`
//!    or "between" predicate, e.g. `birth_date ≤ today − 18 years`;
//! 5. `n`, the verifier's nonce, is a public input: Groth16 binds every
//!    public input (arkworks' R1CS-to-QAP reduction adds one constraint per
//!    instance variable), so a proof made for one nonce fails for any other.
//!
//! Public inputs, in this order: `R, τ, m, D, k, lo, hi, n, σ, N`.
//!
//! Costs: membership 7,745 constraints (with the root equality), leaf 465,
//! holder commitment 213, nullifier 241, disclosure 420 (8 mask bits, their
//! packing, 8 selections, `Poseidon(8)`, the equality), predicate selection
//! 24 and range checks 130: 9,238 in all (pinned by a test).
//!
//! Sources: the statement follows zk-creds (Rosenberg, White, Garman,
//! Miers, *zk-creds: Flexible Anonymous Credentials from zkSNARKs and
//! Existing Identity Infrastructure*, IEEE S&P 2023, §4: Merkle-tree
//! issuance lists, nullifiers scoped per verifier) and Semaphore's
//! nullifier `Poseidon(secret, scope)`; range checks by bit decomposition as
//! in circomlib's `LessEqThan`.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use veil_secret::Secret;

use crate::hook;
use crate::merkle::{self, MerklePath, DEPTH};
use crate::poseidon;

/// Attributes per credential.
pub const ATTRIBUTES: usize = 8;
/// The predicate index meaning "no predicate" (the selected value is 0).
pub const NO_PREDICATE: u8 = 8;
/// R1CS constraints of the presentation circuit (pinned by a test).
pub const CONSTRAINTS: usize = 9_238;
const _: () = assert!(ATTRIBUTES == 8, "NO_PREDICATE must equal ATTRIBUTES");
/// Bits of a predicate's range checks: bounds and the differences they
/// bound are below `2⁶⁴`.
pub const RANGE_BITS: usize = 64;
/// Number of public inputs.
pub const PUBLIC_INPUTS: usize = 10;
/// Public inputs of the circuit with the regulator hook.
pub const HOOKED_PUBLIC_INPUTS: usize = PUBLIC_INPUTS + hook::PUBLIC_INPUTS;
/// Constraints of the circuit with the regulator hook (pinned by a test).
pub const HOOKED_CONSTRAINTS: usize = CONSTRAINTS + hook::HOOK_CONSTRAINTS;

/// Which of the two circuits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Circuit {
    /// The presentation circuit.
    Presentation,
    /// The presentation circuit with the regulator hook.
    Hooked,
}

impl Circuit {
    /// Its public-input count.
    pub fn public_inputs(self) -> usize {
        match self {
            Self::Presentation => PUBLIC_INPUTS,
            Self::Hooked => HOOKED_PUBLIC_INPUTS,
        }
    }
}

/// The hook's part of a statement: the regulator's key and the ciphertext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookStatement {
    /// `Y`.
    pub key: hook::HookKey,
    /// `(C₁, c₂)`.
    pub ciphertext: hook::Ciphertext,
}

/// What the holder keeps: the credential's opening.
#[derive(Clone)]
pub struct Credential {
    /// The credential type `τ` (a field element naming the type).
    pub credential_type: Fr,
    /// The holder's secret `s` (wiped on drop).
    pub secret: Secret<Fr>,
    /// The issuer's salt `ρ` (hides the attributes in the commitment).
    pub salt: Fr,
    /// The attributes `a₀ … a₇` (0 where the type has fewer).
    pub attributes: [Fr; ATTRIBUTES],
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("credential_type", &self.credential_type)
            .finish_non_exhaustive()
    }
}

/// `h = Poseidon(s)`: what the holder hands the issuer instead of `s`.
pub fn holder_commitment(secret: Fr) -> Fr {
    poseidon::hash(&[secret])
}

/// `N = Poseidon(s, σ)`.
pub fn nullifier(secret: Fr, scope: Fr) -> Fr {
    poseidon::hash(&[secret, scope])
}

/// `D = Poseidon(m₀·a₀, …, m₇·a₇)`.
pub fn disclosed_hash(mask: u8, disclosed: &[Fr; ATTRIBUTES]) -> Fr {
    let masked: Vec<Fr> = disclosed
        .iter()
        .enumerate()
        .map(|(i, a)| if mask >> i & 1 == 1 { *a } else { Fr::zero() })
        .collect();
    poseidon::hash(&masked)
}

/// The leaf `ℓ` for a credential whose holder commitment is `holder`.
pub fn leaf(credential_type: Fr, holder: Fr, salt: Fr, attributes: &[Fr; ATTRIBUTES]) -> Fr {
    let mut inputs = Vec::with_capacity(3 + ATTRIBUTES);
    inputs.extend([credential_type, holder, salt]);
    inputs.extend_from_slice(attributes);
    poseidon::hash(&inputs)
}

impl Credential {
    /// The credential's leaf.
    pub fn leaf(&self) -> Fr {
        leaf(
            self.credential_type,
            holder_commitment(*self.secret.expose()),
            self.salt,
            &self.attributes,
        )
    }
}

/// The predicate `lo ≤ a_index ≤ hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Predicate {
    /// Which attribute ([`NO_PREDICATE`] for none).
    pub index: u8,
    /// Lower bound.
    pub lo: u64,
    /// Upper bound.
    pub hi: u64,
}

impl Predicate {
    /// No predicate.
    pub const NONE: Self = Self {
        index: NO_PREDICATE,
        lo: 0,
        hi: u64::MAX,
    };
}

/// The public statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `R`: a root of the issuer's tree.
    pub root: Fr,
    /// `τ`.
    pub credential_type: Fr,
    /// `m`: bit `i` set when attribute `i` is disclosed.
    pub mask: u8,
    /// `D`.
    pub disclosed_hash: Fr,
    /// `(k, lo, hi)`.
    pub predicate: Predicate,
    /// `n`: the verifier's nonce.
    pub nonce: Fr,
    /// `σ`: the verifier's scope.
    pub scope: Fr,
    /// `N`.
    pub nullifier: Fr,
    /// With the regulator hook: `Y, C₁, c₂`.
    pub hook: Option<HookStatement>,
}

impl Statement {
    /// Which circuit proves it.
    pub fn circuit(&self) -> Circuit {
        if self.hook.is_some() {
            Circuit::Hooked
        } else {
            Circuit::Presentation
        }
    }

    /// The public inputs, in the circuit's order (the hook's five last).
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v = self.base_inputs().to_vec();
        if let Some(h) = &self.hook {
            v.extend(hook::public_inputs(&h.key, &h.ciphertext));
        }
        v
    }

    fn base_inputs(&self) -> [Fr; PUBLIC_INPUTS] {
        [
            self.root,
            self.credential_type,
            Fr::from(self.mask),
            self.disclosed_hash,
            Fr::from(self.predicate.index),
            Fr::from(self.predicate.lo),
            Fr::from(self.predicate.hi),
            self.nonce,
            self.scope,
            self.nullifier,
        ]
    }

    /// The statement the holder of `credential` at `path` proves for a
    /// verifier's `(mask, predicate, nonce, scope)`.
    pub fn for_credential(
        credential: &Credential,
        path: &MerklePath,
        mask: u8,
        predicate: Predicate,
        nonce: Fr,
        scope: Fr,
    ) -> Self {
        Self {
            root: path.root(credential.leaf()),
            credential_type: credential.credential_type,
            mask,
            disclosed_hash: disclosed_hash(mask, &credential.attributes),
            predicate,
            nonce,
            scope,
            nullifier: nullifier(*credential.secret.expose(), scope),
            hook: None,
        }
    }

    /// The same statement with the holder commitment encrypted to `key`
    /// under randomness `r` (the witness must then carry `r`).
    pub fn with_hook(mut self, key: hook::HookKey, secret: Fr, r: &hook::Randomness) -> Self {
        self.hook = Some(HookStatement {
            key,
            ciphertext: hook::encrypt(&key, holder_commitment(secret), r),
        });
        self
    }
}

/// The private witness.
#[derive(Clone, Debug)]
pub struct Witness {
    /// The credential's opening.
    pub credential: Credential,
    /// Its authentication path.
    pub path: MerklePath,
    /// The hook's encryption randomness (with the regulator hook).
    pub hook: Option<hook::Randomness>,
}

/// Which part of the relation a witness fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The path does not lead from the credential's leaf to the root.
    #[error("the credential is not in the tree under this root")]
    NotMember,
    /// The nullifier is not the holder's for this scope.
    #[error("the nullifier does not match the holder and scope")]
    Nullifier,
    /// The disclosed values are not the credential's.
    #[error("the disclosed attributes do not match the credential")]
    Disclosure,
    /// The predicate does not hold.
    #[error("the credential does not satisfy the predicate")]
    Predicate,
    /// The hook ciphertext is not the holder commitment's encryption
    /// under the witness's randomness.
    #[error("the regulator ciphertext does not encrypt the holder commitment")]
    Hook,
}

fn below_2_64(x: Fr) -> bool {
    let bits = x.into_bigint();
    usize::try_from(bits.num_bits()).is_ok_and(|n| n <= RANGE_BITS)
}

/// The selected attribute `a_k` (0 when `k ≥ 8`), as the circuit computes
/// it.
fn selected(attributes: &[Fr; ATTRIBUTES], index: u8) -> Fr {
    attributes
        .get(usize::from(index))
        .copied()
        .unwrap_or_else(Fr::zero)
}

/// The native twin of [`PresentationCircuit`]: `Ok` exactly when the
/// circuit is satisfiable with this statement and witness.
pub fn check(statement: &Statement, witness: &Witness) -> Result<(), CheckError> {
    let c = &witness.credential;
    let leaf = leaf(
        statement.credential_type,
        holder_commitment(*c.secret.expose()),
        c.salt,
        &c.attributes,
    );
    if witness.path.root(leaf) != statement.root {
        return Err(CheckError::NotMember);
    }
    if nullifier(*c.secret.expose(), statement.scope) != statement.nullifier {
        return Err(CheckError::Nullifier);
    }
    if disclosed_hash(statement.mask, &c.attributes) != statement.disclosed_hash {
        return Err(CheckError::Disclosure);
    }
    let p = statement.predicate;
    let a = selected(&c.attributes, p.index);
    if !below_2_64(a - Fr::from(p.lo)) || !below_2_64(Fr::from(p.hi) - a) {
        return Err(CheckError::Predicate);
    }
    if let Some(h) = &statement.hook {
        let r = witness.hook.as_ref().ok_or(CheckError::Hook)?;
        if hook::encrypt(&h.key, holder_commitment(*c.secret.expose()), r) != h.ciphertext {
            return Err(CheckError::Hook);
        }
    }
    Ok(())
}

/// The presentation circuit (see the module docs).
#[derive(Clone, Debug)]
pub struct PresentationCircuit {
    /// The statement.
    pub statement: Statement,
    /// The witness.
    pub witness: Witness,
}

impl PresentationCircuit {
    /// A circuit with placeholder values, for key generation (which looks
    /// only at the constraints).
    pub fn blank() -> Self {
        let credential = Credential {
            credential_type: Fr::zero(),
            secret: Secret::new(Fr::zero()),
            salt: Fr::zero(),
            attributes: [Fr::zero(); ATTRIBUTES],
        };
        let path = MerklePath {
            index: 0,
            siblings: merkle::zero_hashes()[..DEPTH]
                .try_into()
                .unwrap_or([Fr::zero(); DEPTH]),
        };
        Self {
            statement: Statement::for_credential(
                &credential,
                &path,
                0,
                Predicate::NONE,
                Fr::zero(),
                Fr::zero(),
            ),
            witness: Witness {
                credential,
                path,
                hook: None,
            },
        }
    }

    /// A placeholder circuit of either kind.
    pub fn blank_for(circuit: Circuit) -> Self {
        let mut c = Self::blank();
        if circuit == Circuit::Hooked {
            let r = hook::Randomness(ark_ed_on_bn254::Fr::from(1u64));
            let key = hook::HookKey(ark_ec::AffineRepr::generator());
            c.statement = c.statement.with_hook(key, Fr::zero(), &r);
            c.witness.hook = Some(r);
        }
        c
    }
}

impl ConstraintSynthesizer<Fr> for PresentationCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let st = self.statement;
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let [root, ctype, mask, disclosed, k, lo, hi, _nonce, scope, nullifier_in] =
            st.base_inputs();
        let root = input(root)?;
        let ctype = input(ctype)?;
        let mask = input(mask)?;
        let disclosed = input(disclosed)?;
        let k = input(k)?;
        let lo = input(lo)?;
        let hi = input(hi)?;
        // The nonce takes part in no constraint: the QAP reduction binds it.
        let _nonce = input(_nonce)?;
        let scope = input(scope)?;
        let nullifier_in = input(nullifier_in)?;

        let c = &self.witness.credential;
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let secret = witness(*c.secret.expose())?;
        let salt = witness(c.salt)?;
        let attrs = c
            .attributes
            .iter()
            .map(|a| witness(*a))
            .collect::<Result<Vec<_>, _>>()?;
        let index = self.witness.path.index;
        let bits = (0..DEPTH)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(index >> i & 1 == 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let siblings = self
            .witness
            .path
            .siblings
            .iter()
            .map(|s| witness(*s))
            .collect::<Result<Vec<_>, _>>()?;

        // 1. Membership of ℓ = Poseidon(τ, Poseidon(s), ρ, a).
        let holder = poseidon::hash_var(std::slice::from_ref(&secret))?;
        let holder_var = holder.clone();
        let mut leaf_inputs = vec![ctype, holder, salt];
        leaf_inputs.extend(attrs.iter().cloned());
        let leaf = poseidon::hash_var(&leaf_inputs)?;
        merkle::root_var(&leaf, &bits, &siblings)?.enforce_equal(&root)?;

        // 2. Nullifier.
        poseidon::hash2_var(&secret, &scope)?.enforce_equal(&nullifier_in)?;

        // 3. Disclosure: mask bits, masked attributes, their hash.
        let mask_value = st.mask;
        let mask_bits = (0..ATTRIBUTES)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(mask_value >> i & 1 == 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Boolean::le_bits_to_fp(&mask_bits)?.enforce_equal(&mask)?;
        let masked = mask_bits
            .iter()
            .zip(&attrs)
            .map(|(b, a)| FpVar::conditionally_select(b, a, &FpVar::zero()))
            .collect::<Result<Vec<_>, _>>()?;
        poseidon::hash_var(&masked)?.enforce_equal(&disclosed)?;

        // 4. Predicate lo ≤ a_k ≤ hi.
        let mut chosen = FpVar::zero();
        for (i, a) in (0u64..).zip(attrs.iter()) {
            let is_k = k.is_eq(&FpVar::constant(Fr::from(i)))?;
            chosen += FpVar::conditionally_select(&is_k, a, &FpVar::zero())?;
        }
        // Each call enforces that the remainder above bit 64 is zero.
        let _ = (&chosen - &lo).to_bits_le_with_top_bits_zero(RANGE_BITS)?;
        let _ = (&hi - &chosen).to_bits_le_with_top_bits_zero(RANGE_BITS)?;

        // 5. The regulator hook: (C₁, c₂) encrypts the holder commitment.
        if let Some(h) = &st.hook {
            let zero = hook::Randomness(ark_ed_on_bn254::Fr::from(0u64));
            let r = self.witness.hook.as_ref().unwrap_or(&zero);
            hook::enforce(cs.clone(), &holder_var, &h.key, &h.ciphertext, r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use proptest::prelude::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A credential at a random position of a tree with random siblings,
    /// with small attributes in the first four slots (like dates and
    /// amounts) and field-sized ones (like hashed strings) in the rest.
    fn sample(seed: u64) -> Witness {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut attributes = [Fr::zero(); ATTRIBUTES];
        for (i, a) in attributes.iter_mut().enumerate() {
            *a = if i < 4 {
                Fr::from(u64::rand(&mut rng) >> (i * 8))
            } else {
                Fr::rand(&mut rng)
            };
        }
        Witness {
            credential: Credential {
                credential_type: Fr::rand(&mut rng),
                secret: Secret::new(Fr::rand(&mut rng)),
                salt: Fr::rand(&mut rng),
                attributes,
            },
            path: MerklePath {
                index: u32::rand(&mut rng),
                siblings: std::array::from_fn(|_| Fr::rand(&mut rng)),
            },
            hook: None,
        }
    }

    fn satisfied(statement: Statement, witness: Witness) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        PresentationCircuit { statement, witness }
            .generate_constraints(cs.clone())
            .unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    fn honest(w: &Witness, mask: u8, predicate: Predicate) -> Statement {
        Statement::for_credential(
            &w.credential,
            &w.path,
            mask,
            predicate,
            Fr::from(42u64),
            Fr::from(7u64),
        )
    }

    #[test]
    fn honest_statement_is_satisfied_and_costs_what_the_docs_say() {
        let w = sample(1);
        let st = honest(&w, 0b1010_0101, Predicate::NONE);
        assert_eq!(check(&st, &w), Ok(()));
        let (ok, constraints) = satisfied(st, w);
        assert!(ok);
        assert_eq!(constraints, CONSTRAINTS);
    }

    /// With the hook: satisfied and costing what the docs say; a
    /// ciphertext for another holder, or under other randomness, is
    /// refused by both twins.
    #[test]
    fn hooked_statement_binds_the_ciphertext_to_the_holder() {
        let mut w = sample(2);
        let r = hook::Randomness(ark_ed_on_bn254::Fr::from(77u64));
        let secret = hook::HookSecret::from_wide(&[9; 64]);
        let key = secret.public();
        let st =
            honest(&w, 0b11, Predicate::NONE).with_hook(key, *w.credential.secret.expose(), &r);
        w.hook = Some(r.clone());
        assert_eq!(check(&st, &w), Ok(()));
        let (ok, constraints) = satisfied(st, w.clone());
        assert!(ok);
        assert_eq!(constraints, HOOKED_CONSTRAINTS);
        assert_eq!(st.public_inputs().len(), HOOKED_PUBLIC_INPUTS);
        assert_eq!(
            secret.decrypt(&st.hook.unwrap().ciphertext),
            holder_commitment(*w.credential.secret.expose())
        );
        // Another holder's commitment encrypted instead.
        let other = honest(&w, 0b11, Predicate::NONE).with_hook(key, Fr::from(5u64), &r);
        assert_eq!(check(&other, &w), Err(CheckError::Hook));
        assert!(!satisfied(other, w.clone()).0);
        // Other randomness in the witness.
        let mut w2 = w.clone();
        w2.hook = Some(hook::Randomness(ark_ed_on_bn254::Fr::from(78u64)));
        assert_eq!(check(&st, &w2), Err(CheckError::Hook));
        assert!(!satisfied(st, w2).0);
    }

    /// Edge cases of the predicate: bounds met exactly, missed by one, the
    /// extremes of the range, a field-sized attribute, indices past the
    /// last attribute.
    #[test]
    fn predicate_edges_agree() {
        let w = sample(2);
        let a0 = 1_000_000u64;
        let mut w = w;
        w.credential.attributes[0] = Fr::from(a0);
        w.credential.attributes[1] = Fr::from(u64::MAX);
        w.credential.attributes[2] = Fr::zero();
        let cases = [
            (0, a0, a0, true),
            (0, a0 + 1, u64::MAX, false),
            (0, 0, a0 - 1, false),
            (0, 0, u64::MAX, true),
            (1, u64::MAX, u64::MAX, true),
            (1, 0, u64::MAX - 1, false),
            (2, 0, 0, true),
            (2, 1, 5, false),
            (5, 0, u64::MAX, false), // a hashed string is no integer
            (8, 0, 0, true),         // no predicate: selects 0
            (8, 1, 9, false),
            (200, 0, 0, true), // past the end: selects 0 as well
        ];
        for (index, lo, hi, expect) in cases {
            let p = Predicate { index, lo, hi };
            let st = honest(&w, 0, p);
            assert_eq!(check(&st, &w).is_ok(), expect, "{p:?}");
            assert_eq!(satisfied(st, w.clone()).0, expect, "{p:?}");
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Tamper {
        None,
        Root,
        Type,
        Mask,
        Disclosed,
        Nullifier,
        Scope,
        Secret,
        Salt,
        Attribute(usize),
        Sibling(usize),
        Index(u32),
    }

    fn tamper() -> impl Strategy<Value = Tamper> {
        prop_oneof![
            Just(Tamper::None),
            Just(Tamper::Root),
            Just(Tamper::Type),
            Just(Tamper::Mask),
            Just(Tamper::Disclosed),
            Just(Tamper::Nullifier),
            Just(Tamper::Scope),
            Just(Tamper::Secret),
            Just(Tamper::Salt),
            (0..ATTRIBUTES).prop_map(Tamper::Attribute),
            (0..DEPTH).prop_map(Tamper::Sibling),
            (0..32u32).prop_map(Tamper::Index),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The circuit and its twin agree on honest and tampered inputs.
        #[test]
        fn circuit_and_twin_agree(
            seed in any::<u64>(),
            mask in any::<u8>(),
            index in 0u8..=9,
            lo in prop_oneof![Just(0u64), any::<u64>()],
            hi in prop_oneof![Just(u64::MAX), any::<u64>()],
            t in tamper(),
        ) {
            let mut w = sample(seed);
            let mut st = honest(&w, mask, Predicate { index, lo, hi });
            let one = Fr::from(1u64);
            match t {
                Tamper::None => {}
                Tamper::Root => st.root += one,
                Tamper::Type => st.credential_type += one,
                Tamper::Mask => st.mask ^= 1 << (seed % 8),
                Tamper::Disclosed => st.disclosed_hash += one,
                Tamper::Nullifier => st.nullifier += one,
                Tamper::Scope => st.scope += one,
                Tamper::Secret => w.credential.secret = Secret::new(*w.credential.secret.expose() + one),
                Tamper::Salt => w.credential.salt += one,
                Tamper::Attribute(i) => w.credential.attributes[i] += one,
                Tamper::Sibling(i) => w.path.siblings[i] += one,
                Tamper::Index(b) => w.path.index ^= 1 << b,
            }
            let native = check(&st, &w).is_ok();
            let (circuit, _) = satisfied(st, w);
            prop_assert_eq!(native, circuit);
            if matches!(t, Tamper::None) && index == NO_PREDICATE && lo == 0 {
                prop_assert!(native);
            }
        }
    }
}
