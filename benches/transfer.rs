//! Criterion benches of confidential transfers (one core):
//! prove, verify one, verify a batch of 64, and the parts — CLSAG ring 16,
//! Bulletproofs+ over 8 limbs, the regulator proof, scanning, regulator
//! opening. `veil bench transfer --json` reports the same figures as JSON.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use veil::codec::Encode;
use veil::crypto::keys::AccountKeys;
use veil::crypto::regulator_ciphertext::{self, RegulatorSecretKey};
use veil::crypto::stealth::SharedSecret;
use veil::tx::bundle::view::{open_for_regulator, open_from_handles};
use veil::tx::testing::{add_decoys, funded_plan, PlanShape};
use veil::tx::transfer::plan::TransferPlan;
use veil::tx::{verify_batch, AssetId, MemoryLedger, Rings, Transaction, Transfer};

struct Fixture {
    ledger: MemoryLedger,
    regulator: RegulatorSecretKey,
    plans: Vec<TransferPlan>,
    txs: Vec<Transaction>,
    rings: Vec<Rings>,
}

fn fixture(n: usize) -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let asset = AssetId::new("CNY").unwrap();
    let regulator = RegulatorSecretKey::from_seed(&[7; 32]);
    let mut ledger = MemoryLedger::new(*regulator.public());
    add_decoys(&mut ledger, &asset, 256, &mut rng);
    let alice = AccountKeys::from_seed(&[1; 32]);
    let bob = AccountKeys::from_seed(&[2; 32]);
    let shape = PlanShape {
        asset: &asset,
        from: &alice,
        to: &bob,
        inputs: 2,
        input_amount: 2_000,
        payments: 1,
        amount: 1_500,
        fee: 0,
        ring: 16,
        regulator_key: *regulator.public(),
    };
    let plans: Vec<TransferPlan> = (0..n)
        .map(|_| funded_plan(&mut ledger, &shape, &mut rng))
        .collect();
    let txs: Vec<Transaction> = plans
        .iter()
        .map(|p| Transaction::Transfer(p.build(&mut rng).unwrap()))
        .collect();
    let rings = txs
        .iter()
        .map(|t| t.resolve_rings(&ledger).unwrap())
        .collect();
    regulator_ciphertext::warm_up();
    Fixture {
        ledger,
        regulator,
        plans,
        txs,
        rings,
    }
}

fn transfer(t: &Transaction) -> &Transfer {
    match t {
        Transaction::Transfer(t) => t,
        _ => unreachable!("the fixture builds transfers"),
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture(64);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let bytes = f.txs[0].encode().unwrap();

    let mut g = c.benchmark_group("transfer_2in_2out_ring16");
    g.sample_size(20);
    g.bench_function("prove", |b| b.iter(|| f.plans[0].build(&mut rng).unwrap()));
    g.bench_function("decode", |b| {
        b.iter(|| Transaction::decode(&bytes).unwrap())
    });
    g.bench_function("verify_from_bytes", |b| {
        b.iter(|| {
            let tx = Transaction::decode(&bytes).unwrap();
            let rings = tx.resolve_rings(&f.ledger).unwrap();
            tx.check_stateless(&rings).unwrap();
        })
    });
    g.throughput(Throughput::Elements(64));
    g.bench_function("verify_batch_64", |b| {
        let items: Vec<_> = f.txs.iter().zip(&f.rings).collect();
        b.iter(|| assert!(verify_batch(&items).iter().all(Result::is_ok)))
    });
    g.finish();

    let t0 = transfer(&f.txs[0]);
    let mut g = c.benchmark_group("parts");
    g.bench_function("clsag_verify_ring16", |b| {
        let input = &t0.inputs[0];
        let msg = t0.signing_hash().unwrap();
        b.iter(|| {
            veil::crypto::clsag::verify(
                &mut rng,
                &msg,
                &f.rings[0][0],
                &input.pseudo_out,
                &input.key_image,
                &t0.signatures[0],
            )
            .unwrap()
        })
    });
    g.bench_function("bulletproofs_plus_verify_8x16", |b| {
        let limbs = t0.bundle.limb_commitments();
        b.iter(|| t0.bundle.range_proof.verify(&limbs).unwrap())
    });
    g.bench_function("regulator_proof_verify_8_limbs", |b| {
        let cts = t0.bundle.limb_ciphertexts();
        b.iter(|| {
            t0.bundle
                .regulator_proof
                .verify(&mut rng, &t0.bundle.regulator_key, &cts)
                .unwrap()
        })
    });
    let carol = AccountKeys::from_seed(&[3; 32]);
    g.throughput(Throughput::Elements(2 * 64));
    g.bench_function("scan_64_transfers_not_owned", |b| {
        let transfers: Vec<_> = f.txs.iter().filter_map(Transaction::outputs).collect();
        b.iter(|| {
            let keys: Vec<_> = transfers.iter().map(|(_, t)| &t.tx_public_key).collect();
            let secrets = SharedSecret::receive_batch(carol.view_key(), &keys);
            let found: usize = transfers
                .iter()
                .zip(&secrets)
                .map(|((a, t), s)| t.scan_with(a, carol.view_key(), s).len())
                .sum();
            assert_eq!(found, 0);
        })
    });
    g.bench_function("regulator_open_64_transfers", |b| {
        let transfers: Vec<_> = f.txs.iter().filter_map(Transaction::outputs).collect();
        b.iter(|| open_for_regulator(&f.regulator, &transfers))
    });
    g.throughput(Throughput::Elements(2));
    g.bench_function("regulator_open_from_handles_1_transfer", |b| {
        b.iter_batched(
            || t0,
            |t| open_from_handles(&f.regulator, &t.asset, &t.bundle).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(transfer_benches, benches);
criterion_main!(transfer_benches);
