//! Issuers' credential trees: the depth-32 Poseidon Merkle tree of
//! [`veil_circuits::merkle`], updated incrementally.
//!
//! Only non-empty nodes are stored, each under `(level, index)`; a missing
//! node is the empty-subtree hash `Z_level`. Appending `k` leaves or
//! overwriting `k` leaves recomputes only their ancestors: at most
//! `32·k` hashes, and about `2k + 32` for a contiguous append. Nothing
//! depends on how many credentials the tree already holds, so a million
//! issued credentials cost a holder or a verifier exactly what ten do (the
//! opposite of AnonCreds' revocation tails files, which grow with the
//! registry).

use std::collections::BTreeMap;

use veil_circuits::merkle::{self, MerklePath, DEPTH};
use veil_circuits::poseidon;
use veil_circuits::Fr;

/// A node position: `(level, index)`, level 0 being the leaves and level
/// 32 the root.
pub type NodeId = (u8, u64);

/// Sets `writes` (leaf index → value) and recomputes their ancestors.
/// `read` returns stored nodes (`None`: empty). Returns every changed node
/// (leaves included) and the new root.
pub fn update(
    read: &dyn Fn(NodeId) -> Option<Fr>,
    writes: &[(u64, Fr)],
) -> (BTreeMap<NodeId, Fr>, Fr) {
    let zero = merkle::zero_hashes();
    let mut changed: BTreeMap<NodeId, Fr> = BTreeMap::new();
    let mut level_changes: Vec<u64> = Vec::with_capacity(writes.len());
    for (index, value) in writes {
        changed.insert((0, *index), *value);
        level_changes.push(*index);
    }
    level_changes.sort_unstable();
    level_changes.dedup();
    for (level, zero_level) in zero.iter().enumerate().take(DEPTH) {
        let level_u8 = u8::try_from(level).unwrap_or(u8::MAX);
        let get = |changed: &BTreeMap<NodeId, Fr>, index: u64| -> Fr {
            changed
                .get(&(level_u8, index))
                .copied()
                .or_else(|| read((level_u8, index)))
                .unwrap_or(*zero_level)
        };
        let mut parents = Vec::with_capacity(level_changes.len() / 2 + 1);
        for index in &level_changes {
            let parent = index / 2;
            if parents.last() == Some(&parent) {
                continue;
            }
            parents.push(parent);
        }
        for parent in &parents {
            let left = get(&changed, parent * 2);
            let right = get(&changed, parent * 2 + 1);
            changed.insert((level_u8 + 1, *parent), poseidon::hash2(left, right));
        }
        level_changes = parents;
    }
    let depth = u8::try_from(DEPTH).unwrap_or(u8::MAX);
    let root = changed
        .get(&(depth, 0))
        .copied()
        .unwrap_or_else(merkle::empty_root);
    (changed, root)
}

/// The authentication path of leaf `index`.
pub fn path(read: &dyn Fn(NodeId) -> Option<Fr>, index: u32) -> MerklePath {
    let zero = merkle::zero_hashes();
    let siblings = std::array::from_fn(|level| {
        let sibling = (u64::from(index) >> level) ^ 1;
        read((u8::try_from(level).unwrap_or(u8::MAX), sibling)).unwrap_or(zero[level])
    });
    MerklePath { index, siblings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{UniformRand, Zero};
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn incremental_updates_match_paths_and_revocation_removes_membership() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut store: BTreeMap<NodeId, Fr> = BTreeMap::new();
        let mut leaves = Vec::new();
        let mut root = merkle::empty_root();
        for batch in [1usize, 3, 7, 1, 20] {
            let start = u64::try_from(leaves.len()).unwrap();
            let writes: Vec<(u64, Fr)> = (0..batch)
                .map(|i| (start + u64::try_from(i).unwrap(), Fr::rand(&mut rng)))
                .collect();
            leaves.extend(writes.iter().map(|(_, v)| *v));
            let (changed, r) = update(&|id| store.get(&id).copied(), &writes);
            store.extend(changed);
            root = r;
        }
        for (i, leaf) in leaves.iter().enumerate() {
            let p = path(&|id| store.get(&id).copied(), u32::try_from(i).unwrap());
            assert_eq!(p.root(*leaf), root, "leaf {i}");
        }
        // Revoke leaf 5: its path no longer reaches the new root; others do.
        let (changed, r) = update(&|id| store.get(&id).copied(), &[(5, Fr::zero())]);
        store.extend(changed);
        assert_ne!(r, root);
        let p5 = path(&|id| store.get(&id).copied(), 5);
        assert_ne!(p5.root(leaves[5]), r);
        assert_eq!(p5.root(Fr::zero()), r);
        let p6 = path(&|id| store.get(&id).copied(), 6);
        assert_eq!(p6.root(leaves[6]), r);
    }
}
