//! Poseidon over BN254's scalar field, natively and in-circuit, with one
//! parameter set.
//!
//! # Construction
//!
//! Poseidon (Grassi, Khovratovich, Rechberger, Roy, Schofnegger,
//! *Poseidon: A New Hash Function for Zero-Knowledge Proof Systems*,
//! USENIX Security 2021, §2) with the parameters of circomlib's
//! `poseidon.circom` for the x⁵ S-box, as shipped by the `light-poseidon`
//! crate (`parameters::bn254_x5`): width `t = n + 1` for `n` inputs,
//! `R_F = 8` full rounds, `R_P ∈ {56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60,
//! 65}` partial rounds for `t = 2 … 13`, round constants `c` and MDS matrix
//! `M` from circomlib.
//!
//! For inputs `x₁ … x_n` the state starts as `s = (0, x₁, …, x_n)`; each of
//! the `R_F + R_P` rounds `r` computes
//!
//! ```text
//! s ← s + c_r                         (add round constants)
//! s_i ← s_i⁵   for all i (full round)  or  s₀ ← s₀⁵ (partial round)
//! s ← M · s                           (mix)
//! ```
//!
//! with the `R_F / 2` full rounds first, then the partial rounds, then the
//! remaining full rounds. The hash is `s₀`. This is exactly circomlib's
//! `Poseidon(n)`, so values hashed here match circom circuits and
//! `light_poseidon::Poseidon::new_circom(n)` (pinned by tests below,
//! including circomlib's published vector for `Poseidon([1, 2])`).
//!
//! # Why our own permutation code
//!
//! `light-poseidon` holds the parameters and a native hasher but no R1CS
//! gadget, and arkworks' sponge gadget uses a different state layout and
//! round schedule. The in-circuit permutation below is written once against
//! the same [`params`] table as the native one; the two are checked against
//! each other and against `light-poseidon` on random inputs.
//!
//! In R1CS an S-box costs three constraints (`x²`, `x⁴`, `x⁵`); additions
//! and the MDS mix are linear and free, and the first S-box of the capacity
//! element acts on a constant. `Poseidon(n)` therefore costs
//! `3·(R_F·t + R_P − 1)` constraints (240 for two inputs).

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

/// The most inputs one hash takes (width 13, circomlib's limit).
pub const MAX_INPUTS: usize = 12;

/// One width's parameters.
#[derive(Debug)]
pub struct Params {
    /// State width `t`.
    pub width: usize,
    /// Full rounds `R_F`.
    pub full_rounds: usize,
    /// Partial rounds `R_P`.
    pub partial_rounds: usize,
    /// Round constants, `width` per round.
    pub ark: Vec<Fr>,
    /// The MDS matrix, row-major.
    pub mds: Vec<Vec<Fr>>,
}

/// The parameters for `inputs` inputs (1 ≤ `inputs` ≤ [`MAX_INPUTS`]).
///
/// # Panics
///
/// If `inputs` is out of range: a programming error, every caller hashes a
/// fixed number of elements.
pub fn params(inputs: usize) -> &'static Params {
    static TABLE: OnceLock<Vec<Params>> = OnceLock::new();
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "Poseidon takes 1 to 12 inputs"
    );
    let table = TABLE.get_or_init(|| {
        (2..=MAX_INPUTS + 1)
            .map(|t| {
                let width = u8::try_from(t).unwrap_or(u8::MAX);
                let p = light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(width)
                    .unwrap_or_else(|e| panic!("light-poseidon has no width {t}: {e}"));
                Params {
                    width: p.width,
                    full_rounds: p.full_rounds,
                    partial_rounds: p.partial_rounds,
                    ark: p.ark,
                    mds: p.mds,
                }
            })
            .collect()
    });
    &table[inputs - 1]
}

fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// `Poseidon(inputs)`, natively.
///
/// # Panics
///
/// If `inputs` is empty or longer than [`MAX_INPUTS`] (see [`params`]).
pub fn hash(inputs: &[Fr]) -> Fr {
    let p = params(inputs.len());
    let mut state = Vec::with_capacity(p.width);
    state.push(Fr::zero());
    state.extend_from_slice(inputs);
    let half = p.full_rounds / 2;
    let mut next = vec![Fr::zero(); p.width];
    for round in 0..p.full_rounds + p.partial_rounds {
        for (s, c) in state.iter_mut().zip(&p.ark[round * p.width..]) {
            *s += c;
        }
        if round < half || round >= half + p.partial_rounds {
            for s in &mut state {
                *s = sbox(*s);
            }
        } else {
            state[0] = sbox(state[0]);
        }
        for (n, row) in next.iter_mut().zip(&p.mds) {
            *n = state.iter().zip(row).map(|(s, m)| *s * m).sum();
        }
        std::mem::swap(&mut state, &mut next);
    }
    state[0]
}

/// `Poseidon(a, b)`, the Merkle node hash.
pub fn hash2(a: Fr, b: Fr) -> Fr {
    hash(&[a, b])
}

fn sbox_var(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// `Poseidon(inputs)` in-circuit: `3·(R_F·t + R_P − 1)` constraints for
/// variable inputs (the capacity element is constant in the first round).
///
/// # Panics
///
/// As [`hash`].
pub fn hash_var(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let p = params(inputs.len());
    let mut state: Vec<FpVar<Fr>> = Vec::with_capacity(p.width);
    state.push(FpVar::zero());
    state.extend_from_slice(inputs);
    let half = p.full_rounds / 2;
    for round in 0..p.full_rounds + p.partial_rounds {
        for (s, c) in state.iter_mut().zip(&p.ark[round * p.width..]) {
            *s += *c;
        }
        if round < half || round >= half + p.partial_rounds {
            for s in &mut state {
                *s = sbox_var(s)?;
            }
        } else {
            state[0] = sbox_var(&state[0])?;
        }
        state = p
            .mds
            .iter()
            .map(|row| {
                state
                    .iter()
                    .zip(row)
                    .fold(FpVar::zero(), |acc, (s, m)| acc + s * *m)
            })
            .collect();
    }
    Ok(state.swap_remove(0))
}

/// `Poseidon(a, b)` in-circuit.
pub fn hash2_var(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(&[a.clone(), b.clone()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, PrimeField, UniformRand};
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use light_poseidon::{Poseidon, PoseidonHasher};
    use rand_chacha::rand_core::SeedableRng;

    fn hex(x: Fr) -> String {
        hex::encode(x.into_bigint().to_bytes_be())
    }

    /// circomlib's published test vectors (`test/poseidon.js`).
    #[test]
    fn circomlib_vectors() {
        let f = |n: u64| Fr::from(n);
        assert_eq!(
            hex(hash(&[f(1), f(2)])),
            "115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
        );
        assert_eq!(
            hash(&[f(1)]).into_bigint().to_string(),
            "18586133768512220936620570745912940619677854269274689475585506675881198879027"
        );
        assert_eq!(
            hex(hash(&[f(1), f(2), f(3), f(4)])),
            "299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465"
        );
    }

    #[test]
    fn matches_light_poseidon_for_every_width() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for n in 1..=MAX_INPUTS {
            let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let mut reference = Poseidon::<Fr>::new_circom(n).unwrap();
            assert_eq!(hash(&inputs), reference.hash(&inputs).unwrap(), "n = {n}");
        }
    }

    #[test]
    fn gadget_matches_native_and_costs_what_the_docs_say() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        for n in [1, 2, 8, 11, 12] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let out = hash_var(&vars).unwrap();
            assert_eq!(out.value().unwrap(), hash(&inputs), "n = {n}");
            assert!(cs.is_satisfied().unwrap());
            let p = params(n);
            assert_eq!(
                cs.num_constraints(),
                3 * (p.full_rounds * p.width + p.partial_rounds - 1),
                "n = {n}"
            );
        }
    }
}
