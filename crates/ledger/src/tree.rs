//! The state tree: a Jellyfish Merkle tree (the `jmt` crate, Penumbra's
//! maintained fork of Diem's JMT) over every authenticated record, versioned
//! by block height and stored in RocksDB beside the records themselves.
//!
//! A record `(cf, key) ↦ value` is the leaf
//! `KeyHash = SHA-256("veil/state-key/v1" ‖ 0x00 ‖ cf name ‖ 0x00 ‖ key)` with
//! value `value` (the record's own encoding). The header's state root is the
//! tree root after the block, so any record can be proven against a header
//! ([`prove`], [`verify`]); absence is provable too.
//!
//! Storage: `jmt_nodes[borsh(NodeKey)] = borsh(Node)`,
//! `jmt_values[key_hash ‖ version_be] = 0x01 ‖ value` or `0x00` for a
//! deletion; a value lookup at version `v` is a reverse seek.

use jmt::proof::SparseMerkleProof;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, RootHash, Sha256Jmt, Version};
use sha2::Sha256;

use veil_crypto::hash::hash256;

use super::store::{Cf, StateRead, StoreError, WriteSet};

/// Column families whose records are in the state tree: every record of
/// each, except [`Cf::Meta`], of which only the height, the per-asset
/// output counters and the root authority are. Transaction bodies are
/// proven through the header's `tx_root`; DID history, issuer tree nodes and
/// the issued-commitment index are derivable from the transactions and
/// checked against the authenticated DID records and issuer-tree roots.
/// (State sync relies on this list being complete.)
pub const AUTHENTICATED: [Cf; 17] = [
    Cf::Outputs,
    Cf::OutputKeys,
    Cf::KeyImages,
    Cf::Assets,
    Cf::Regulators,
    Cf::RegulatorIdentities,
    Cf::AccessNonces,
    Cf::Participants,
    Cf::Validators,
    Cf::Governance,
    Cf::Vault,
    Cf::Dids,
    Cf::CredentialTypes,
    Cf::Accreditations,
    Cf::IssuerTrees,
    Cf::IssuerRoots,
    Cf::Meta,
];

/// The tree key of a record.
pub fn key_hash(cf: Cf, key: &[u8]) -> KeyHash {
    KeyHash(hash256(
        b"veil/state-key/v1",
        &[cf.name().as_bytes(), &[0], key],
    ))
}

struct Reader<'a, S: StateRead + ?Sized>(&'a S);

fn borsh_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("state tree encoding: {e}")
}

impl<S: StateRead + ?Sized> TreeReader for Reader<'_, S> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key).map_err(borsh_err)?;
        match self.0.get(Cf::JmtNodes, &key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(borsh::from_slice(&bytes).map_err(borsh_err)?)),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let mut seek = key_hash.0.to_vec();
        seek.extend_from_slice(&max_version.to_be_bytes());
        match self.0.seek_prev(Cf::JmtValues, &key_hash.0, &seek)? {
            None => Ok(None),
            Some((_, v)) => match v.split_first() {
                Some((1, value)) => Ok(Some(value.to_vec())),
                _ => Ok(None),
            },
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only tree restoration uses this; Veil restores state by RocksDB
        // checkpoints instead.
        anyhow::bail!("state tree restoration is not supported")
    }
}

fn tree_err(e: anyhow::Error) -> StoreError {
    StoreError::Tree(e)
}

/// Applies `updates` to the tree at `version` (one more than the last),
/// writing the new nodes and values into `writes`. Returns the new root.
pub fn update(
    store: &(impl StateRead + ?Sized),
    version: Version,
    updates: Vec<(KeyHash, Option<Vec<u8>>)>,
    writes: &mut WriteSet,
) -> Result<[u8; 32], StoreError> {
    let reader = Reader(store);
    let tree = Sha256Jmt::new(&reader);
    let (root, batch) = tree.put_value_set(updates, version).map_err(tree_err)?;
    for (node_key, node) in batch.node_batch.nodes() {
        writes.put(
            Cf::JmtNodes,
            borsh::to_vec(node_key).map_err(|e| tree_err(borsh_err(e)))?,
            borsh::to_vec(node).map_err(|e| tree_err(borsh_err(e)))?,
        );
    }
    for ((v, key_hash), value) in batch.node_batch.values() {
        let mut key = key_hash.0.to_vec();
        key.extend_from_slice(&v.to_be_bytes());
        let stored = match value {
            Some(value) => [&[1u8][..], value].concat(),
            None => vec![0u8],
        };
        writes.put(Cf::JmtValues, key, stored);
    }
    Ok(root.0)
}

/// A proof that `key_hash` has `value` (or is absent) in the tree at
/// `version`.
pub fn prove(
    store: &(impl StateRead + ?Sized),
    version: Version,
    key_hash: KeyHash,
) -> Result<(Option<Vec<u8>>, SparseMerkleProof<Sha256>), StoreError> {
    let reader = Reader(store);
    Sha256Jmt::new(&reader)
        .get_with_proof(key_hash, version)
        .map_err(tree_err)
}

/// Checks a proof against a state root.
pub fn verify(
    root: [u8; 32],
    key_hash: KeyHash,
    value: Option<&[u8]>,
    proof: &SparseMerkleProof<Sha256>,
) -> bool {
    proof.verify(RootHash(root), key_hash, value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, StateWrite};

    #[test]
    fn versions_roots_and_proofs() {
        let store = MemoryStore::new();
        let k1 = key_hash(Cf::KeyImages, b"one");
        let k2 = key_hash(Cf::KeyImages, b"two");
        let mut w = WriteSet::new();
        let r0 = update(&store, 0, vec![(k1, Some(b"a".to_vec()))], &mut w).unwrap();
        store.write(w).unwrap();
        let mut w = WriteSet::new();
        let r1 = update(&store, 1, vec![(k2, Some(b"b".to_vec()))], &mut w).unwrap();
        store.write(w).unwrap();
        assert_ne!(r0, r1);

        let (v, p) = prove(&store, 1, k1).unwrap();
        assert_eq!(v.as_deref(), Some(&b"a"[..]));
        assert!(verify(r1, k1, Some(b"a"), &p));
        assert!(!verify(r1, k1, Some(b"x"), &p));
        assert!(!verify(r0, k1, Some(b"a"), &p));
        // Absence of k2 at version 0, presence at 1.
        let (v, p) = prove(&store, 0, k2).unwrap();
        assert!(v.is_none());
        assert!(verify(r0, k2, None, &p));
        let (v, _) = prove(&store, 1, k2).unwrap();
        assert_eq!(v.as_deref(), Some(&b"b"[..]));

        // Same updates in a fresh store give the same root (determinism).
        let other = MemoryStore::new();
        let mut w = WriteSet::new();
        assert_eq!(
            update(&other, 0, vec![(k1, Some(b"a".to_vec()))], &mut w).unwrap(),
            r0
        );
    }
}
