//! The state tree: a Jellyfish Merkle tree (the `jmt` crate, Penumbra's
//! maintained fork of Diem's JMT) over every authenticated record, versioned
//! by block height and stored in RocksDB beside the records themselves.
//!
//! A record `(cf, key) ↦ value` is a leaf with value `value` (the record's
//! own encoding) under a 32-byte tree key ([`key_hash`]):
//!
//! ```text
//! output (asset, i):  0x00 ‖ u64_be(i) ‖ base37(ticker) (11 bytes) ‖ 0x00 × 12
//! any other record:   SHA-256("veil/state-key/v1" ‖ 0x00 ‖ cf name ‖ 0x00 ‖ key)
//! ```
//!
//! `base37` reads the ticker (1–16 characters of `A–Z0–9`) as 16 base-37
//! digits, `A–Z` ↦ 1–26, `0–9` ↦ 27–36, padded on the right with 0, as a
//! big-endian number (< 37¹⁶ < 2⁸⁸). Both are injective, and no other
//! record's key can equal an output's without a SHA-256 preimage.
//!
//! Why outputs are not hashed: a block's outputs have consecutive indexes,
//! so under these keys they land side by side at the right edge of the
//! outputs' part of the tree (the index comes before the asset, so the
//! fixed path down to them is short), and a block rewrites about `B/15`
//! internal nodes for its `B` outputs whatever the ledger's size. Under
//! hashed keys each output rewrote its own path, `≈ log₁₆ N − log₁₆ B`
//! nodes deep, so a block's tree update grew with the ledger
//! (docs/architecture.md, "Why the tree no longer grows with the
//! outputs"). The price is a proof of an output carrying the empty
//! siblings of the levels all outputs share (about 13 of the tree's
//! 16-ary levels): one byte each in the proof's encoding.
//!
//! The header's state root is the tree root after the block, so any record
//! can be proven against a header ([`prove`], [`verify`]); absence is
//! provable too.
//!
//! Storage: `jmt_nodes[borsh(NodeKey)] = borsh(Node)`,
//! `jmt_values[key_hash ‖ version_be] = 0x01 ‖ value` or `0x00` for a
//! deletion; a value lookup at version `v` is a reverse seek.
//! `jmt_stale[stale_since_be ‖ borsh(NodeKey)]` indexes replaced nodes
//! for pruning ([`HISTORY`]), and `validator_set_proofs[version_be]` keeps
//! the validator set's proof at each pruned version.

use jmt::proof::SparseMerkleProof;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
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
/// The one-time-key index (`output_keys`, one-time key ↦ output key) is
/// derivable from the outputs, each of which records its one-time key:
/// keeping it out of the tree halves the random leaves a block adds, and
/// state sync rebuilds the check from the outputs instead.
/// (State sync relies on this list being complete.)
pub const AUTHENTICATED: [Cf; 16] = [
    Cf::Outputs,
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

/// The tree key of a record (module docs): an output's is its asset and
/// index in the clear, so consecutive outputs are neighbours in the tree;
/// every other record's is a hash. An `outputs` key that is not a valid
/// [`output_key`](crate::records::output_key) (never written by the
/// ledger) is hashed like any other record's.
pub fn key_hash(cf: Cf, key: &[u8]) -> KeyHash {
    if cf == Cf::Outputs {
        if let Some(hash) = crate::records::decode_output_key(key)
            .ok()
            .and_then(|(asset, index)| output_key_hash(asset.as_str(), index))
        {
            return hash;
        }
    }
    KeyHash(hash256(
        b"veil/state-key/v1",
        &[cf.name().as_bytes(), &[0], key],
    ))
}

/// `0x00 ‖ u64_be(index) ‖ base37(ticker) ‖ 0x00 × 12` (module docs);
/// `None` for a ticker `AssetId` would refuse.
fn output_key_hash(ticker: &str, index: u64) -> Option<KeyHash> {
    if ticker.is_empty() || ticker.len() > 16 {
        return None;
    }
    let mut packed: u128 = 0;
    let mut chars = ticker.bytes();
    for _ in 0..16 {
        let digit = match chars.next() {
            None => 0,
            Some(c @ b'A'..=b'Z') => c - b'A' + 1,
            Some(c @ b'0'..=b'9') => c - b'0' + 27,
            Some(_) => return None,
        };
        packed = packed * 37 + u128::from(digit);
    }
    let mut out = [0u8; 32];
    out[1..9].copy_from_slice(&index.to_be_bytes());
    out[9..20].copy_from_slice(&packed.to_be_bytes()[5..]);
    Some(KeyHash(out))
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

/// How many of the latest tree versions stay whole. The nodes a block
/// replaces are deleted `HISTORY` blocks later, so the tree's storage holds
/// the live tree plus the last `HISTORY` blocks' changes instead of every
/// node it ever had (which, unpruned, grew by every block's rewritten paths
/// and made up most of the database). Proofs are served against the latest
/// `HISTORY` versions; the validator set's proof at every older version is
/// kept in [`Cf::SetProofs`] when that version's nodes go
/// ([`validator_set_proof`]).
pub const HISTORY: u64 = 16;

/// Pruning reads the stale-node index in pages of this many entries.
const PRUNE_PAGE: usize = 4_096;

/// Applies `updates` to the tree at `version` (one more than the last),
/// writing the new nodes and values into `writes`, and prunes what fell out
/// of the last [`HISTORY`] versions. Returns the new root.
///
/// A block of insertions and updates only (nearly every block) goes
/// through the tree's batch insertion: the updates sorted by key, every
/// node they touch read, rebuilt and hashed once. Inserting them one by one
/// rebuilds and rehashes the whole path from the root for each, which made
/// a block's tree update grow with the tree's depth. A block that deletes a
/// record takes the one-by-one path, which the batch insertion lacks. The
/// tree's shape is a function of its keys alone, so both give the same root
/// (`batch_and_one_by_one_agree` below).
pub fn update(
    store: &(impl StateRead + ?Sized),
    version: Version,
    updates: Vec<(KeyHash, Option<Vec<u8>>)>,
    writes: &mut WriteSet,
) -> Result<[u8; 32], StoreError> {
    let reader = Reader(store);
    let tree = Sha256Jmt::new(&reader);
    let (root, batch) = if updates.is_empty() || updates.iter().any(|(_, v)| v.is_none()) {
        tree.put_value_set(updates, version).map_err(tree_err)?
    } else {
        let set = updates
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        let (mut roots, batch) = tree
            .batch_put_value_sets(vec![set], None, version)
            .map_err(tree_err)?;
        let root = roots
            .pop()
            .ok_or_else(|| tree_err(anyhow::anyhow!("the batch gave no root")))?;
        (root, batch)
    };
    write_batch(&batch, writes)?;
    prune(store, version, writes)?;
    Ok(root.0)
}

/// Puts a tree update's new nodes, values and stale-node index entries.
fn write_batch(batch: &TreeUpdateBatch, writes: &mut WriteSet) -> Result<(), StoreError> {
    for (node_key, node) in batch.node_batch.nodes() {
        writes.put(Cf::JmtNodes, encode(node_key)?, encode(node)?);
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
    for stale in &batch.stale_node_index_batch {
        let mut key = stale.stale_since_version.to_be_bytes().to_vec();
        key.extend_from_slice(&encode(&stale.node_key)?);
        writes.put(Cf::JmtStale, key, Vec::new());
    }
    Ok(())
}

fn encode(value: &impl borsh::BorshSerialize) -> Result<Vec<u8>, StoreError> {
    borsh::to_vec(value).map_err(|e| tree_err(borsh_err(e)))
}

/// With version `version` being written, keeps the validator set's proof
/// at version `version − HISTORY` and deletes every node replaced at that
/// version (earlier ones went with earlier blocks): such a node belongs to
/// no tree from that version on, so the last `HISTORY + 1` trees stay
/// whole. Reads only committed state, so executing the same block twice
/// prunes the same.
fn prune(
    store: &(impl StateRead + ?Sized),
    version: Version,
    writes: &mut WriteSet,
) -> Result<(), StoreError> {
    let Some(kept_from) = version.checked_sub(HISTORY) else {
        return Ok(());
    };
    if store
        .get(Cf::SetProofs, &kept_from.to_be_bytes())?
        .is_none()
    {
        // The tree at `kept_from` is whole: nothing replaced after it has
        // been pruned yet.
        let record = prove(store, kept_from, validator_set_key())?;
        writes.put(Cf::SetProofs, kept_from.to_be_bytes(), encode(&record)?);
    }
    // Every earlier block pruned up to its own `kept_from`, so only the
    // nodes replaced at exactly this one remain; reading just that prefix
    // also keeps the scan off the tombstones of everything pruned before.
    let prefix = kept_from.to_be_bytes();
    let mut from = prefix.to_vec();
    loop {
        let page = store.scan(Cf::JmtStale, &prefix, &from, PRUNE_PAGE)?;
        let full = page.len() == PRUNE_PAGE;
        for (key, _) in &page {
            let Some((_, node_key)) = key.split_first_chunk::<8>() else {
                return Err(tree_err(anyhow::anyhow!("malformed stale-node index key")));
            };
            writes.delete(Cf::JmtNodes, node_key.to_vec());
            writes.delete(Cf::JmtStale, key.clone());
        }
        match page.last() {
            Some((last, _)) if full => {
                from = last.clone();
                from.push(0);
            }
            _ => return Ok(()),
        }
    }
}

/// The tree key of the validator-set record.
fn validator_set_key() -> KeyHash {
    key_hash(
        Cf::Governance,
        veil_tx::governance::rules::KEY_VALIDATOR_SET,
    )
}

/// The validator-set record's value at `version` with its proof against
/// that version's root: from the tree while the version is among the last
/// [`HISTORY`], else as kept when its nodes were pruned.
pub fn validator_set_proof(
    store: &(impl StateRead + ?Sized),
    version: Version,
) -> Result<(Option<Vec<u8>>, SparseMerkleProof<Sha256>), StoreError> {
    match store.get(Cf::SetProofs, &version.to_be_bytes())? {
        Some(bytes) => borsh::from_slice(&bytes).map_err(|e| tree_err(borsh_err(e))),
        None => prove(store, version, validator_set_key()),
    }
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

    fn output(ticker: &str, index: u64) -> KeyHash {
        let asset = veil_tx::AssetId::new(ticker).unwrap();
        key_hash(Cf::Outputs, &crate::records::output_key(&asset, index))
    }

    /// A test key: even numbers are outputs of two assets (structured tree
    /// keys), odd ones hashed records.
    fn mixed_key(k: u16) -> KeyHash {
        match k % 4 {
            0 => output("CNY", u64::from(k)),
            2 => output("USD", u64::from(k)),
            _ => key_hash(Cf::KeyImages, &k.to_be_bytes()),
        }
    }

    #[test]
    fn output_tree_keys_are_their_asset_and_index() {
        let k = output("CNY", 0x0102_0304_0506_0708);
        let mut expected = [0u8; 32];
        expected[1..9].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        // C, N, Y = 3, 14, 25, then 13 zero digits: (3·37² + 14·37 + 25)·37¹³.
        let packed = (3u128 * 37 * 37 + 14 * 37 + 25) * 37u128.pow(13);
        expected[9..20].copy_from_slice(&packed.to_be_bytes()[5..]);
        assert_eq!(k.0, expected);
        // Ordered by index within an asset; distinct across assets and
        // tickers that share a prefix or differ by trailing digits.
        assert!(output("CNY", 1).0 < output("CNY", 2).0);
        let tickers = [
            "C",
            "CN",
            "CNY",
            "CNY0",
            "CNYA",
            "A",
            "Z",
            "ZZZZZZZZZZZZZZZZ",
            "Z9",
        ];
        let mut seen = std::collections::HashSet::new();
        for t in tickers {
            assert!(seen.insert(output(t, 7).0), "{t}");
        }
        // A key that is not an output key is hashed as for any record.
        let odd = [1u8, b'C', 9];
        assert_eq!(
            key_hash(Cf::Outputs, &odd),
            KeyHash(hash256(b"veil/state-key/v1", &[b"outputs", &[0], &odd]))
        );
        assert_ne!(key_hash(Cf::OutputKeys, &odd), key_hash(Cf::Outputs, &odd));
    }

    /// Nodes a block of `new` consecutive outputs writes into a tree that
    /// holds `existing` outputs and as many hashed records.
    fn nodes_written(existing: u64, new: u64, hashed: bool) -> usize {
        let store = MemoryStore::new();
        let key = |i: u64| {
            if hashed {
                key_hash(Cf::KeyImages, &i.to_be_bytes())
            } else {
                output("CNY", i)
            }
        };
        let updates = (0..existing)
            .flat_map(|i| {
                [
                    (key(i), Some(vec![1])),
                    (key_hash(Cf::Dids, &i.to_be_bytes()), Some(vec![2])),
                ]
            })
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let mut w = WriteSet::new();
        update(&store, 0, updates, &mut w).unwrap();
        store.write(w).unwrap();
        let block = (existing..existing + new)
            .map(|i| (key(i), Some(vec![3])))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let mut w = WriteSet::new();
        update(&store, 1, block, &mut w).unwrap();
        w.iter().filter(|(cf, _, _)| *cf == Cf::JmtNodes).count()
    }

    /// The point of structured output keys: a block's outputs rewrite a
    /// number of nodes that does not grow with the ledger, where hashed
    /// keys rewrite a path per output that deepens as it grows.
    #[test]
    fn a_block_of_outputs_rewrites_as_much_whatever_the_ledger_size() {
        let small = nodes_written(1 << 10, 256, false);
        let large = nodes_written(1 << 16, 256, false);
        // 256 leaves, the 16 nodes above them, and the path from the root
        // through the 18 nibbles of `0x00 ‖ index` to their common node.
        assert_eq!(small, 256 + 16 + 17);
        assert_eq!(large, small);
        let hashed_small = nodes_written(1 << 10, 256, true);
        let hashed_large = nodes_written(1 << 16, 256, true);
        assert!(
            hashed_large > hashed_small + 192,
            "hashed keys: {hashed_small} → {hashed_large} nodes"
        );
    }

    fn node_count(store: &MemoryStore) -> usize {
        store
            .scan(Cf::JmtNodes, &[], &[], usize::MAX)
            .unwrap()
            .len()
    }

    /// After `4·HISTORY` versions the tree's storage is no larger than
    /// after `2·HISTORY` (unpruned, it grows by every version's rewritten
    /// paths); every key proves at each of the last `HISTORY` versions; the
    /// validator set proves at every version, old ones from the kept
    /// proofs, while the old trees themselves are gone. The first versions
    /// write and then rewrite 6,000 keys, so pruning reads the stale index
    /// over more than one page.
    #[test]
    fn pruning_keeps_the_last_versions_and_every_validator_set() {
        let store = MemoryStore::new();
        let set = validator_set_key();
        let rounds = 4 * HISTORY;
        let mut roots = Vec::new();
        let mut counts = Vec::new();
        for v in 0..rounds {
            let keys: Vec<u64> = if v < 2 {
                (0..6_000).collect()
            } else {
                (0..40).map(|i| (v * 37 + i * 11) % 6_000).collect()
            };
            let mut updates: std::collections::BTreeMap<_, _> = keys
                .iter()
                .map(|k| {
                    (
                        key_hash(Cf::Outputs, &k.to_be_bytes()),
                        Some(v.to_be_bytes().to_vec()),
                    )
                })
                .collect();
            updates.insert(set, Some(format!("set {v}").into_bytes()));
            let mut w = WriteSet::new();
            roots.push(update(&store, v, updates.into_iter().collect(), &mut w).unwrap());
            store.write(w).unwrap();
            counts.push(node_count(&store));
        }
        let last = usize::try_from(rounds).unwrap() - 1;
        let half = usize::try_from(2 * HISTORY).unwrap() - 1;
        assert!(
            counts[last] * 4 < counts[half] * 5,
            "tree storage grew from {} to {} nodes",
            counts[half],
            counts[last]
        );
        for (v, root) in roots.iter().enumerate() {
            let version = u64::try_from(v).unwrap();
            let (value, proof) = validator_set_proof(&store, version).unwrap();
            let expected = format!("set {v}").into_bytes();
            assert_eq!(value.as_deref(), Some(&expected[..]), "version {v}");
            assert!(verify(*root, set, Some(&expected), &proof), "version {v}");
        }
        assert!(
            prove(&store, 0, set).is_err(),
            "version 0's tree was pruned"
        );
        let oldest_whole = rounds - 1 - HISTORY;
        let k = key_hash(Cf::Outputs, &5_999u64.to_be_bytes());
        for version in oldest_whole..rounds {
            let (value, proof) = prove(&store, version, k).unwrap();
            let i = usize::try_from(version).unwrap();
            assert!(verify(roots[i], k, value.as_deref(), &proof));
        }
    }

    /// The one-by-one insertion, as `update` does for blocks that delete.
    fn one_by_one(
        store: &MemoryStore,
        version: Version,
        updates: Vec<(KeyHash, Option<Vec<u8>>)>,
    ) -> [u8; 32] {
        let reader = Reader(store);
        let (root, batch) = Sha256Jmt::new(&reader)
            .put_value_set(updates, version)
            .unwrap();
        let mut w = WriteSet::new();
        write_batch(&batch, &mut w).unwrap();
        store.write(w).unwrap();
        root.0
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Blocks of insertions and overwrites (keys drawn from a small
        /// space so that blocks share prefixes and overwrite earlier
        /// leaves; outputs of two assets beside hashed records) give the
        /// same roots through the batch insertion as one by one; proofs
        /// from the batch-built tree verify, and a later deletion on top
        /// of it agrees too.
        #[test]
        fn batch_and_one_by_one_agree(
            blocks in proptest::collection::vec(
                proptest::collection::vec((0u16..600, 0u8..4), 0..120),
                1..6,
            ),
            deleted in 0u16..600,
        ) {
            let batch_store = MemoryStore::new();
            let single_store = MemoryStore::new();
            let mut version = 0;
            let mut last = None;
            for block in &blocks {
                let updates: Vec<_> = block
                    .iter()
                    .map(|(k, v)| (mixed_key(*k), Some(vec![*v; 3])))
                    .collect::<std::collections::BTreeMap<_, _>>()
                    .into_iter()
                    .collect();
                let mut w = WriteSet::new();
                let a = update(&batch_store, version, updates.clone(), &mut w).unwrap();
                batch_store.write(w).unwrap();
                let b = one_by_one(&single_store, version, updates.clone());
                proptest::prop_assert_eq!(a, b);
                for (k, v) in updates.iter().take(5) {
                    let (got, proof) = prove(&batch_store, version, *k).unwrap();
                    proptest::prop_assert_eq!(got.as_deref(), v.as_deref());
                    proptest::prop_assert!(verify(a, *k, v.as_deref(), &proof));
                }
                last = Some(a);
                version += 1;
            }
            let gone = vec![(mixed_key(deleted), None)];
            let mut w = WriteSet::new();
            let a = update(&batch_store, version, gone.clone(), &mut w).unwrap();
            batch_store.write(w).unwrap();
            let b = one_by_one(&single_store, version, gone);
            proptest::prop_assert_eq!(a, b);
            proptest::prop_assert!(last.is_some());
        }
    }
}
