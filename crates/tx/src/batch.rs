//! Verifying many transactions at once (what block execution calls).
//!
//! All linear equations of all transactions (regulator proofs, balances,
//! CLSAG rounds) go into one random linear combination, checked with one
//! multiscalar multiplication; all range proofs go to the Bulletproofs+
//! batch verifier. If either fails, each transaction is re-checked on its
//! own so that exactly the bad ones are reported. The parallel form splits
//! the batch into one chunk per worker thread.

use rand_core::{OsRng, SeedableRng};
use rayon::prelude::*;

use veil_crypto::batch::BatchVerifier;
use veil_crypto::commitment::Commitment;
use veil_crypto::range::{self, RangeProof};

use super::error::TxError;
use super::ledger_view::Rings;
use super::Transaction;

/// A verifier's random generator: ChaCha20 seeded from the OS, so batch
/// weights are unpredictable to provers.
pub fn verifier_rng() -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::from_rng(OsRng)
        .unwrap_or_else(|_| rand_chacha::ChaCha20Rng::from_entropy())
}

/// Verifies every transaction's proofs and signatures; one result per item.
pub fn verify_batch(items: &[(&Transaction, &Rings)]) -> Vec<Result<(), TxError>> {
    let mut rng = verifier_rng();
    let terms = items
        .iter()
        .map(|(tx, _)| match tx {
            Transaction::Transfer(t) => t.batch_terms(),
            Transaction::Mint(m) => m.bundle.batch_terms(),
            _ => 0,
        })
        .sum();
    let mut batch = BatchVerifier::with_capacity(terms);
    let mut results: Vec<Result<(), TxError>> = Vec::with_capacity(items.len());
    let mut limbs: Vec<Vec<Commitment>> = Vec::with_capacity(items.len());
    let mut proofs: Vec<&RangeProof> = Vec::with_capacity(items.len());
    for (tx, rings) in items {
        let r = match tx {
            Transaction::Transfer(t) => t.add_to_batch(rings, &mut batch, &mut rng),
            Transaction::Mint(m) => m.add_to_batch(&mut batch, &mut rng),
            // Signatures only: nothing to batch.
            other => other.check_stateless(rings),
        };
        if let (Ok(()), Some((_, bundle))) = (&r, tx.outputs()) {
            limbs.push(bundle.limb_commitments());
            proofs.push(&bundle.range_proof);
        }
        results.push(r);
    }
    let range_items: Vec<(&RangeProof, &[Commitment])> = proofs
        .into_iter()
        .zip(&limbs)
        .map(|(p, c)| (p, c.as_slice()))
        .collect();
    let ranges_ok = range_items.is_empty() || range::verify_batch(&range_items).is_ok();
    if ranges_ok && batch.verify() {
        return results;
    }
    items
        .iter()
        .zip(results)
        .map(|((tx, rings), r)| {
            r?;
            match tx {
                Transaction::Transfer(t) => t.locate_failure(rings, &mut rng),
                Transaction::Mint(m) => m.locate_failure(),
                other => other.check_stateless(rings),
            }
        })
        .collect()
}

/// [`verify_batch`] split across the rayon thread pool.
pub fn verify_batch_parallel(items: &[(&Transaction, &Rings)]) -> Vec<Result<(), TxError>> {
    let threads = rayon::current_num_threads().max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    items
        .par_chunks(chunk)
        .flat_map_iter(verify_batch)
        .collect()
}
