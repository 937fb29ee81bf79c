//! Binary Merkle tree of depth 32 with Poseidon nodes: paths, natively and
//! in-circuit.
//!
//! # Construction
//!
//! Leaves `ℓ_0 … ℓ_{2³²−1}`, every unused leaf `0`. Empty subtrees hash to
//! `Z_0 = 0`, `Z_{i+1} = Poseidon(Z_i, Z_i)`. A node at level `i + 1` is
//! `Poseidon(left, right)` of its two children at level `i`; the root is the
//! node at level 32. The path of leaf `j` is the 32 siblings from the leaf
//! up; bit `i` of `j` says whether the running node is a right child at
//! level `i`. This is the tree of Semaphore / Tornado-style incremental
//! Merkle trees, with circomlib Poseidon as the node hash.
//!
//! In-circuit each level costs one `Poseidon(2)` (240 constraints), one
//! conditional swap (1 constraint) and one booleanity check for the index
//! bit (1 constraint): 7,744 for the whole path.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::SynthesisError;

use crate::poseidon;

/// Tree depth: room for 2³² leaves.
pub const DEPTH: usize = 32;

/// `Z_i`, the root of an empty subtree of height `i`, for `i = 0 … 32`.
pub fn zero_hashes() -> &'static [Fr; DEPTH + 1] {
    static Z: OnceLock<[Fr; DEPTH + 1]> = OnceLock::new();
    Z.get_or_init(|| {
        let mut z = [Fr::zero(); DEPTH + 1];
        for i in 0..DEPTH {
            z[i + 1] = poseidon::hash2(z[i], z[i]);
        }
        z
    })
}

/// The root of the empty tree.
pub fn empty_root() -> Fr {
    zero_hashes()[DEPTH]
}

/// A leaf's authentication path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// The leaf's index.
    pub index: u32,
    /// Siblings from the leaf level up.
    pub siblings: [Fr; DEPTH],
}

impl MerklePath {
    /// The root this path leads to from `leaf`.
    pub fn root(&self, leaf: Fr) -> Fr {
        let mut node = leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (self.index >> level) & 1 == 1 {
                poseidon::hash2(*sibling, node)
            } else {
                poseidon::hash2(node, *sibling)
            };
        }
        node
    }
}

/// In-circuit: the root `path` leads to from `leaf`, with the index bits
/// (little-endian) and siblings as witnesses.
pub fn root_var(
    leaf: &FpVar<Fr>,
    index_bits: &[Boolean<Fr>],
    siblings: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    if index_bits.len() != DEPTH || siblings.len() != DEPTH {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut node = leaf.clone();
    for (bit, sibling) in index_bits.iter().zip(siblings) {
        // left = bit ? sibling : node; right = node + sibling − left.
        let left = FpVar::conditionally_select(bit, sibling, &node)?;
        let right = &node + sibling - &left;
        node = poseidon::hash2_var(&left, &right)?;
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    #[test]
    fn empty_path_reaches_the_empty_root() {
        let path = MerklePath {
            index: 12345,
            siblings: zero_hashes()[..DEPTH].try_into().unwrap(),
        };
        assert_eq!(path.root(Fr::zero()), empty_root());
    }

    #[test]
    fn gadget_matches_native() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        for index in [0, 1, u32::MAX, rng.next_u32()] {
            let path = MerklePath {
                index,
                siblings: std::array::from_fn(|_| Fr::rand(&mut rng)),
            };
            let leaf = Fr::rand(&mut rng);
            let cs = ConstraintSystem::<Fr>::new_ref();
            let leaf_var = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
            let bits: Vec<_> = (0..DEPTH)
                .map(|i| Boolean::new_witness(cs.clone(), || Ok((index >> i) & 1 == 1)).unwrap())
                .collect();
            let sibs: Vec<_> = path
                .siblings
                .iter()
                .map(|s| FpVar::new_witness(cs.clone(), || Ok(*s)).unwrap())
                .collect();
            let root = root_var(&leaf_var, &bits, &sibs).unwrap();
            assert_eq!(root.value().unwrap(), path.root(leaf));
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cs.num_constraints(), DEPTH * (240 + 2));
        }
    }
}
