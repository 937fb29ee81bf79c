//! `veil bench block` and `veil bench storage`.

use std::sync::Arc;
use std::time::Instant;
use veil_codec::Encode;

use anyhow::{ensure, Context};
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;
use serde_json::json;

use crate::crypto::keys::AccountKeys;
use crate::dev::{DevNetwork, DEV_ASSET};
use crate::ledger::execute::{execute, BlockContext, Mode, RegistryUpdates};
use crate::ledger::genesis;
use crate::ledger::store::{Cf, RocksStore, StateRead, StateWrite, Store, WriteSet};
use crate::ledger::Ledger;
use crate::ledger_source::LedgerSource;
use crate::tx::bundle::build::PlannedOutput;
use crate::tx::mint::MintPlan;
use crate::tx::transfer::plan::{Payment, TransferPlan};
use crate::tx::{verify_batch_parallel, AssetId, Transaction};
use crate::wallet::source::{ChainSource, SourceError, TxStatus};
use crate::wallet::Wallet;

use super::bench::{BlockArgs, StorageArgs};

/// Milliseconds, to the microsecond.
pub(crate) fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[allow(clippy::as_conversions)] // counts to f64 for rates
fn rate(n: usize, d: std::time::Duration) -> f64 {
    (n as f64 / d.as_secs_f64()).round()
}

fn next_block(ledger: &Ledger, ts: u64) -> anyhow::Result<BlockContext> {
    let tip = ledger.tip();
    Ok(BlockContext {
        chain_id: ledger.chain_id()?,
        height: tip.height + 1,
        parent: tip.hash,
        timestamp_ms: ts + tip.height + 1,
        proposer: [0; 32],
    })
}

/// Builds `txs` 2-in/2-out ring-16 transfers, then executes and commits
/// them as one block.
pub fn block(args: &BlockArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(args.txs >= 1, "--txs must be positive");
    let dir = std::env::temp_dir().join(format!("veil-bench-block-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(&dir, false)?);
    let ledger = Arc::new(Ledger::open(store)?);
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let network = DevNetwork::generate(&mut rng, 1_700_000_000_000)?;
    genesis::initialize(&ledger, &network.genesis)?;
    let asset = AssetId::new(DEV_ASSET)?;
    let payer = AccountKeys::from_seed(&[7; 32]);
    let payee = AccountKeys::from_seed(&[8; 32]);

    // Fund: 2 outputs per transfer, minted 16 to a transaction, committed
    // in setup blocks.
    let needed = 2 * args.txs;
    let mints = build_mints(&network, &asset, &payer, needed)?;
    for chunk in mints.chunks(500) {
        let ctx = next_block(&ledger, network.genesis.timestamp_ms)?;
        let b = execute(
            &ledger,
            ctx,
            RegistryUpdates::default(),
            chunk.to_vec(),
            &|_| false,
            Mode::Validate,
        )?;
        ledger.commit(b)?;
    }
    let source = LedgerSource {
        ledger: Arc::clone(&ledger),
        submit: Box::new(|_| Err(SourceError::Refused("read-only".into()))),
        status: Box::new(|_| Ok(TxStatus::NotFound)),
    };
    let mut wallet = Wallet::from_seed(&[7; 32], "payer");
    wallet.scan(&source, 100, &mut |_, _| {})?;
    let owned: Vec<_> = wallet
        .state
        .outputs
        .iter()
        .filter(|o| o.spent.is_none())
        .take(needed)
        .cloned()
        .collect();
    ensure!(
        owned.len() == needed,
        "funding produced {} outputs, need {needed}",
        owned.len()
    );
    // Build the transfers (not timed as part of the block).
    let t_build = Instant::now();
    let txs = build_transfers(&source, &wallet, &owned, &asset, &payer, &payee, 50_000)?;
    let build = t_build.elapsed();

    // Verify-only throughput on all cores (rings resolved first).
    let rings: Vec<_> = txs
        .iter()
        .map(|t| t.resolve_rings(ledger.as_ref()))
        .collect::<Result<_, _>>()?;
    let items: Vec<_> = txs.iter().zip(&rings).collect();
    let t_verify = Instant::now();
    let ok = verify_batch_parallel(&items);
    let verify = t_verify.elapsed();
    ensure!(
        ok.iter().all(Result::is_ok),
        "benchmark transfers do not verify"
    );

    // Execute (verifying again, as for a block received from a peer) and commit.
    let ctx = next_block(&ledger, network.genesis.timestamp_ms)?;
    let t_exec = Instant::now();
    let block = execute(
        &ledger,
        ctx,
        RegistryUpdates::default(),
        txs,
        &|_| false,
        Mode::Validate,
    )
    .context("executing the block")?;
    let exec = t_exec.elapsed();
    let n = block.txs.len();
    let timings = block.timings;
    let t_commit = Instant::now();
    ledger.commit(block)?;
    let commit = t_commit.elapsed();
    let total = exec + commit;
    drop(source);
    drop(ledger);
    let _ = std::fs::remove_dir_all(&dir);
    let verify_tps = rate(n, verify);
    let committed_tps = rate(n, total);
    Ok(json!({
        "txs": n,
        "shape": "2 inputs (ring 16), 2 outputs",
        "threads": rayon::current_num_threads(),
        "build_s": (build.as_secs_f64() * 100.0).round() / 100.0,
        "verify_only_txs_per_s": verify_tps,
        "verify_ms_per_tx": ms(verify / u32::try_from(n).unwrap_or(1)),
        "execute_ms": ms(exec),
        "execute_rings_ms": ms(timings.rings),
        "execute_verify_ms": ms(timings.verify),
        "execute_stateful_ms": ms(timings.stateful),
        "execute_tree_ms": ms(timings.tree),
        "commit_ms": ms(commit),
        "txs_per_s": committed_tps,
        "committed_vs_verify_only": (committed_tps / verify_tps * 1000.0).round() / 1000.0,
    }))
}

/// Mints at least `outputs` outputs of 10,000 to `to`, 16 per mint
/// transaction, in parallel.
pub(crate) fn build_mints(
    network: &DevNetwork,
    asset: &AssetId,
    to: &AccountKeys,
    outputs: usize,
) -> anyhow::Result<Vec<Transaction>> {
    let epoch_key = network.regulator_epoch_key(0);
    let regulator = *epoch_key.key().public();
    (0..outputs.div_ceil(16))
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(1000 + u64::try_from(i)?);
            Ok(MintPlan {
                asset: asset.clone(),
                issuer: &network.issuer,
                regulator_key: regulator,
                outputs: (0..16)
                    .map(|_| PlannedOutput {
                        to: *to.address(),
                        amount: 10_000,
                        memo: vec![],
                    })
                    .collect(),
            }
            .build(&mut rng)
            .map(Transaction::Mint)?)
        })
        .collect()
}

/// Builds one transfer per pair of `owned` outputs, in parallel: 2 inputs
/// at ring 16 (15 decoys drawn uniformly from `source`), a payment of
/// 15,000 to `payee` and the change back to `payer`. Deterministic in
/// `seed`.
pub(crate) fn build_transfers<S: ChainSource + Sync>(
    source: &S,
    wallet: &Wallet,
    owned: &[crate::wallet::state::OwnedRecord],
    asset: &AssetId,
    payer: &AccountKeys,
    payee: &AccountKeys,
    seed: u64,
) -> anyhow::Result<Vec<Transaction>> {
    let count = source.output_count(asset)?;
    ensure!(count > 16, "too few outputs on the ledger for rings of 16");
    let reg_key = source.regulator_key()?;
    owned
        .par_chunks(2)
        .enumerate()
        .map(|(i, pair)| -> anyhow::Result<Transaction> {
            let mut rng = ChaCha20Rng::seed_from_u64(seed + u64::try_from(i)?);
            let spends = pair
                .iter()
                .map(|rec| {
                    let mut idx = std::collections::BTreeSet::new();
                    while idx.len() < 15 {
                        let j = rng.gen_range(0..count);
                        if j != rec.global_index {
                            idx.insert(j);
                        }
                    }
                    let idx: Vec<u64> = idx.into_iter().collect();
                    Ok(crate::tx::transfer::plan::Spend {
                        owned: wallet_owned(wallet, rec)?,
                        decoys: source.outputs_at(asset, &idx)?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let plan = TransferPlan {
                asset: asset.clone(),
                fee: 0,
                regulator_key: reg_key,
                spends,
                payments: vec![Payment {
                    to: *payee.address(),
                    amount: 15_000,
                    memo: vec![],
                }],
                change_address: *payer.address(),
                sender: Some(*payer.address()),
                include_return_address: false,
            };
            Ok(Transaction::Transfer(plan.build(&mut rng)?))
        })
        .collect()
}

fn wallet_owned(
    w: &Wallet,
    rec: &crate::wallet::state::OwnedRecord,
) -> anyhow::Result<crate::tx::transfer::plan::OwnedOutput> {
    w.owned_output_of(rec).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Writes `ops` records in atomic batches, then reads them back at random.
pub fn storage(args: &StorageArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(
        args.ops >= 1 && args.batch >= 1,
        "--ops and --batch must be positive"
    );
    let dir = std::env::temp_dir().join(format!("veil-bench-storage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = RocksStore::open(&dir, false)?;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    // Output-record-sized values (106 bytes) under 40-byte keys.
    let key = |i: u64| {
        let mut k = [0u8; 40];
        k[..8].copy_from_slice(&i.to_be_bytes());
        k
    };
    let mut value = [0u8; 106];
    rng.fill(&mut value[..]);
    let t = Instant::now();
    let mut i = 0u64;
    let total = u64::try_from(args.ops)?;
    while i < total {
        let mut w = WriteSet::new();
        for _ in 0..args.batch {
            if i == total {
                break;
            }
            value[..8].copy_from_slice(&i.to_le_bytes());
            w.put(Cf::Outputs, key(i).to_vec(), value.to_vec());
            i += 1;
        }
        store.write(w)?;
    }
    let write = t.elapsed();
    let t = Instant::now();
    let mut found = 0usize;
    for _ in 0..args.ops {
        let j = rng.gen_range(0..total);
        if store.get(Cf::Outputs, &key(j))?.is_some() {
            found += 1;
        }
    }
    let read = t.elapsed();
    ensure!(found == args.ops, "reads missed records");
    // The same reads from every core (the node reads from API, admission
    // and execution threads at once).
    let t = Instant::now();
    let threads = rayon::current_num_threads().max(1);
    let per = args.ops / threads;
    let found_par: usize = (0..threads)
        .into_par_iter()
        .map(|w| -> anyhow::Result<usize> {
            let mut rng = ChaCha20Rng::seed_from_u64(100 + u64::try_from(w)?);
            let mut f = 0;
            for _ in 0..per {
                if store
                    .get(Cf::Outputs, &key(rng.gen_range(0..total)))?
                    .is_some()
                {
                    f += 1;
                }
            }
            Ok(f)
        })
        .sum::<anyhow::Result<usize>>()?;
    let read_par = t.elapsed();
    ensure!(found_par == per * threads, "parallel reads missed records");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "ops": args.ops,
        "batch": args.batch,
        "write_ops_per_s": rate(args.ops, write),
        "read_ops_per_s": rate(args.ops, read),
        "read_ops_per_s_all_cores": rate(per * threads, read_par),
        "threads": threads,
        "write_s": (write.as_secs_f64() * 1000.0).round() / 1000.0,
        "read_s": (read.as_secs_f64() * 1000.0).round() / 1000.0,
    }))
}

/// Regulator decryption rates and a report over many transfers.
pub fn regulator(args: &super::bench::RegulatorBenchArgs) -> anyhow::Result<serde_json::Value> {
    use crate::crypto::regulator_keys::RegulatorMaster;
    use crate::regulator::credentials::Credentials;
    use crate::regulator::view::{decrypt_served, report, Served};
    use crate::tx::bundle::view::{open_for_regulator, open_from_handles};
    use crate::tx::registry::Jurisdiction;
    use crate::tx::testing::{add_decoys, funded_plan, PlanShape};

    ensure!(
        args.transfers >= 1 && args.report_transfers >= 1,
        "counts must be positive"
    );
    let master = RegulatorMaster::from_seed(&[0x44; 32]);
    let epoch_key = master.jurisdiction("bench").epoch(0, 0);
    let creds = Credentials::Regulator {
        master: RegulatorMaster::from_seed(&[0x44; 32]),
        label: "bench".into(),
        jurisdiction: Jurisdiction::new("bench")?,
    };
    let asset = AssetId::new("CNY")?;
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let mut ledger = crate::tx::MemoryLedger::new(*epoch_key.key().public());
    add_decoys(&mut ledger, &asset, 256, &mut rng);
    let alice = AccountKeys::from_seed(&[1; 32]);
    let bob = AccountKeys::from_seed(&[2; 32]);
    let shape = PlanShape {
        asset: &asset,
        from: &alice,
        to: &bob,
        inputs: 2,
        input_amount: 5_000,
        payments: 1,
        amount: 7_000,
        fee: 1,
        ring: 16,
        regulator_key: *epoch_key.key().public(),
    };
    let plans: Vec<TransferPlan> = (0..args.transfers)
        .map(|_| funded_plan(&mut ledger, &shape, &mut rng))
        .collect();
    let txs: Vec<Transaction> = plans
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            p.build(&mut ChaCha20Rng::seed_from_u64(
                u64::try_from(i).unwrap_or(0),
            ))
            .map(Transaction::Transfer)
        })
        .collect::<Result<_, _>>()?;
    let bundles: Vec<_> = txs.iter().filter_map(Transaction::outputs).collect();
    let outputs = bundles.iter().map(|(_, b)| b.outputs.len()).sum::<usize>();
    crate::crypto::regulator_ciphertext::warm_up();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;

    // Fast path (note + batched check), one core.
    let t = Instant::now();
    let views = one.install(|| open_for_regulator(epoch_key.key(), &bundles));
    let fast = t.elapsed();
    ensure!(
        views
            .iter()
            .all(|v| v.as_ref().is_ok_and(|v| v.total() == 9_999)),
        "wrong amounts"
    );
    // Fast path on every core.
    let t = Instant::now();
    let chunk = bundles
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let ok: usize = bundles
        .par_chunks(chunk)
        .map(|part| {
            open_for_regulator(epoch_key.key(), part)
                .iter()
                .filter(|v| v.is_ok())
                .count()
        })
        .sum();
    let fast_all = t.elapsed();
    ensure!(ok == bundles.len(), "parallel decryption failed");
    // Handles only (every limb by table lookup), one core.
    let t = Instant::now();
    for (a, b) in &bundles {
        open_from_handles(epoch_key.key(), a, b).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let slow = t.elapsed();

    let threshold = match &args.threshold {
        None => serde_json::Value::Null,
        Some(t) => threshold_opening(t, epoch_key.key(), &bundles, &views, outputs, fast, &one)?,
    };

    // A report over `report_transfers` transfers, from encoded bytes.
    let encoded: Vec<(String, Vec<u8>)> = txs
        .iter()
        .map(|t| {
            let b = t.encode()?;
            Ok((Transaction::hash_of(&b).to_string(), b))
        })
        .collect::<anyhow::Result<_>>()?;
    let served: Vec<Served<'_>> = (0..args.report_transfers)
        .map(|i| {
            let (h, b) = &encoded[i % encoded.len()];
            Served {
                hash: h,
                height: u64::try_from(i).unwrap_or(0),
                timestamp_ms: 0,
                key: Some(("bench", 0, 0)),
                bytes: b,
            }
        })
        .collect();
    let dir: crate::regulator::view::Directory = [
        (
            crate::crypto::keys::AddressBytes::from(alice.address()).digest(),
            "bank-a".to_owned(),
        ),
        (
            crate::crypto::keys::AddressBytes::from(bob.address()).digest(),
            "bank-b".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let t = Instant::now();
    let rows = decrypt_served(&creds, &served, &dir)?;
    let rep = report(&rows, 0, u64::try_from(args.report_transfers)?, 10);
    let report_time = t.elapsed();
    ensure!(
        rep.transactions == args.report_transfers,
        "report missed transfers"
    );
    ensure!(
        rep.totals["bank-b"]["CNY"].inflow == 7_000 * u128::try_from(args.report_transfers)?,
        "report totals wrong"
    );
    Ok(json!({
        "transfers": args.transfers,
        "outputs": outputs,
        "decrypt_outputs_per_s": rate(outputs, fast),
        "decrypt_outputs_per_s_all_cores": rate(outputs, fast_all),
        "decrypt_from_handles_outputs_per_s": rate(outputs, slow),
        "threads": rayon::current_num_threads(),
        "report_transfers": args.report_transfers,
        "report_s": (report_time.as_secs_f64() * 100.0).round() / 100.0,
        "report_transfers_per_s": rate(args.report_transfers, report_time),
        "threshold": threshold,
    }))
}

/// `veil bench regulator --threshold t-of-n`: the same transfers opened by
/// t officers of a key split from the single one. Officers work on their
/// own machines, so the opening's time is one officer's partial (one
/// core) plus the combination and the opening (one core).
fn threshold_opening(
    params: &str,
    key: &crate::crypto::regulator_ciphertext::RegulatorSecretKey,
    bundles: &[(&AssetId, &crate::tx::OutputBundle)],
    single: &[Result<
        crate::tx::bundle::view::RegulatorView,
        crate::tx::bundle::view::RegulatorOpenError,
    >],
    outputs: usize,
    single_time: std::time::Duration,
    one: &rayon::ThreadPool,
) -> anyhow::Result<serde_json::Value> {
    use crate::crypto::threshold::{combine, split_existing, CombinedKey, Params};
    use crate::tx::bundle::view::{open_for_regulator, regulator_points};
    let params = Params::parse(params)?;
    let mut rng = ChaCha20Rng::seed_from_u64(91);
    let officers = split_existing(key, params, &mut rng)?;
    let public = officers[0].public().clone();
    let points = regulator_points(bundles, false);
    let t = usize::from(params.threshold());
    let mut partials = Vec::with_capacity(t);
    let mut officer_times = Vec::with_capacity(t);
    for o in &officers[..t] {
        let start = Instant::now();
        partials.push(one.install(|| o.partial(&points, &mut ChaCha20Rng::seed_from_u64(5))));
        officer_times.push(start.elapsed());
    }
    let officer = officer_times.iter().max().copied().unwrap_or_default();
    let start = Instant::now();
    let combined = one.install(|| combine(&public, &points, &partials))?;
    let combine_time = start.elapsed();
    let start = Instant::now();
    let opened = one.install(|| {
        let k = CombinedKey::new(&public, &points, &combined);
        open_for_regulator(&k, bundles)
    });
    let open_time = start.elapsed();
    ensure!(
        opened == single,
        "the threshold opening differs from the single key's"
    );
    let total = officer + combine_time + open_time;
    let secs = |d: std::time::Duration| (d.as_secs_f64() * 1000.0).round() / 1000.0;
    Ok(json!({
        "params": params.to_string(),
        "points": points.len(),
        "officer_partial_s": secs(officer),
        "combine_s": secs(combine_time),
        "open_s": secs(open_time),
        "outputs_per_s": rate(outputs, total),
        "single_key_outputs_per_s": rate(outputs, single_time),
        "ratio_to_single_key": (single_time.as_secs_f64() / total.as_secs_f64() * 1000.0).round() / 1000.0,
        "identical_to_single_key": true,
    }))
}

/// Bytes of the files under `dir` (recursively).
fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

/// Transfers cut from `template` (a real 2-in, 2-out transfer) with fresh
/// random key images and one-time keys: the proofs no longer match, so
/// they are executed as already verified. They fill the state the way a
/// ledger in use grows, an output and a key image per output (every
/// output but the newest spent), at a fraction of the cost of proving
/// them.
fn filler_transfers(
    template: &crate::tx::transfer::Transfer,
    count: usize,
    rng: &mut ChaCha20Rng,
) -> Vec<Transaction> {
    use crate::crypto::clsag::KeyImage;
    use crate::crypto::generators::mul_g;
    use crate::crypto::point::Point;
    use crate::crypto::rng::random_scalar;
    use crate::crypto::stealth::OneTimeKey;
    (0..count)
        .map(|_| {
            let mut t = template.clone();
            for i in &mut t.inputs {
                i.key_image = KeyImage(Point::from_point(mul_g(&random_scalar(rng))));
            }
            for o in &mut t.bundle.outputs {
                o.one_time_key = OneTimeKey(Point::from_point(mul_g(&random_scalar(rng))));
            }
            Transaction::Transfer(t)
        })
        .collect()
}

/// Grows a RocksDB ledger to each of `--levels` outputs and, at each,
/// executes and commits a block of `--txs` real transfers whose rings are
/// drawn from the whole ledger. The ledger grows by transfers, so it holds
/// about as many key images as outputs, as a ledger in use does.
#[allow(clippy::as_conversions, clippy::cast_precision_loss)] // counts to f64 for rates
pub fn growth(args: &super::bench::GrowthArgs) -> anyhow::Result<serde_json::Value> {
    let mut levels = args.levels.clone();
    levels.sort_unstable();
    ensure!(
        !levels.is_empty() && levels[0] >= 1_000,
        "--levels must be at least 1,000 outputs each"
    );
    ensure!((1..=5_000).contains(&args.txs), "--txs must be 1 to 5,000");
    let dir = std::env::temp_dir().join(format!("veil-bench-growth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rocks = Arc::new(RocksStore::open(&dir, true)?);
    let store: Arc<dyn Store> = rocks.clone();
    let ledger = Arc::new(Ledger::open(store)?);
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let network = DevNetwork::generate(&mut rng, 1_700_000_000_000)?;
    genesis::initialize(&ledger, &network.genesis)?;
    let asset = AssetId::new(DEV_ASSET)?;
    let payer = AccountKeys::from_seed(&[7; 32]);
    let payee = AccountKeys::from_seed(&[8; 32]);

    // Real outputs for every level's transfers, first.
    let per_level = 2 * args.txs;
    // Two more for the template of the filler transfers.
    let needed = per_level * levels.len() + 2;
    let funding = build_mints(&network, &asset, &payer, needed)?;
    for chunk in funding.chunks(500) {
        let ctx = next_block(&ledger, network.genesis.timestamp_ms)?;
        let b = execute(
            &ledger,
            ctx,
            RegistryUpdates::default(),
            chunk.to_vec(),
            &|_| false,
            Mode::Validate,
        )?;
        ledger.commit(b)?;
    }
    let source = LedgerSource {
        ledger: Arc::clone(&ledger),
        submit: Box::new(|_| Err(SourceError::Refused("read-only".into()))),
        status: Box::new(|_| Ok(TxStatus::NotFound)),
    };
    let mut wallet = Wallet::from_seed(&[7; 32], "payer");
    wallet.scan(&source, 100, &mut |_, _| {})?;
    let owned: Vec<_> = wallet
        .state
        .outputs
        .iter()
        .filter(|o| o.spent.is_none())
        .cloned()
        .collect();
    ensure!(owned.len() >= needed, "funding produced too few outputs");
    let template = match build_transfers(
        &source,
        &wallet,
        &owned[needed - 2..needed],
        &asset,
        &payer,
        &payee,
        60_000,
    )?
    .pop()
    {
        Some(Transaction::Transfer(t)) => t,
        _ => anyhow::bail!("no template transfer"),
    };
    let mut key_images = 0u64;

    let mut rows = Vec::new();
    for (k, &level) in levels.iter().enumerate() {
        // Grow to `level` outputs, 4,000 transfers (8,000 outputs and key
        // images) a block.
        let t_fill = Instant::now();
        let start = source.output_count(&asset)?;
        let mut count = start;
        while count < level {
            let transfers = usize::try_from(level - count)?.div_ceil(2).min(4_000);
            let ctx = next_block(&ledger, network.genesis.timestamp_ms)?;
            let b = execute(
                &ledger,
                ctx,
                RegistryUpdates::default(),
                filler_transfers(&template, transfers, &mut rng),
                &|_| true,
                Mode::Validate,
            )?;
            ensure!(b.txs.len() == transfers, "a filler transfer was refused");
            ledger.commit(b)?;
            key_images += 2 * u64::try_from(transfers)?;
            count = source.output_count(&asset)?;
        }
        let fill = t_fill.elapsed();
        // The tree keeps its last `HISTORY` versions whole and prunes what a
        // block replaced `HISTORY` blocks later. The fill's blocks are 16
        // times larger than the measured one, so `HISTORY` blocks of the
        // measured block's size come first: the measured block then prunes
        // what a block like itself replaced, as under steady load.
        for _ in 0..crate::ledger::tree::HISTORY {
            let ctx = next_block(&ledger, network.genesis.timestamp_ms)?;
            let b = execute(
                &ledger,
                ctx,
                RegistryUpdates::default(),
                filler_transfers(&template, args.txs, &mut rng),
                &|_| true,
                Mode::Validate,
            )?;
            ensure!(b.txs.len() == args.txs, "a filler transfer was refused");
            ledger.commit(b)?;
            key_images += 2 * u64::try_from(args.txs)?;
        }
        count = source.output_count(&asset)?;
        // The fill writes gigabytes in minutes; its compaction backlog is
        // the fill's, not the ledger's, so the block is measured once
        // RocksDB has caught up (how long that took is reported).
        let t_settle = Instant::now();
        let settled = rocks.settle(std::time::Duration::from_secs(900))?;
        let settle = t_settle.elapsed();

        let mine = &owned[k * per_level..(k + 1) * per_level];
        let txs = build_transfers(
            &source,
            &wallet,
            mine,
            &asset,
            &payer,
            &payee,
            70_000 + 10_000 * u64::try_from(k)?,
        )?;
        let n = txs.len();
        let ctx = next_block(&ledger, network.genesis.timestamp_ms)?;
        let block = execute(
            &ledger,
            ctx,
            RegistryUpdates::default(),
            txs,
            &|_| false,
            Mode::Validate,
        )
        .context("executing the transfers")?;
        ensure!(block.txs.len() == n, "a transfer was left out");
        let t = block.timings;
        let t_commit = Instant::now();
        ledger.commit(block)?;
        let commit = t_commit.elapsed();
        key_images += 2 * u64::try_from(n)?;
        let per = |d: std::time::Duration| ms(d / u32::try_from(n).unwrap_or(1));
        let admission = t.rings + t.verify + t.stateful;
        let execution = t.rings + t.stateful + t.tree + commit;
        let bytes = dir_bytes(&dir);
        rows.push(json!({
            "outputs": count,
            "key_images": key_images,
            "fill_outputs_per_s": rate(usize::try_from(count - start)?, fill),
            "compaction_settle_s": ms(settle) / 1e3,
            "settled": settled,
            "db_bytes": bytes,
            "db_bytes_per_million_outputs": (bytes as f64 / count as f64 * 1e6).round(),
            "ring_reads_ms_per_tx": per(t.rings),
            "verify_ms_per_tx": per(t.verify),
            "stateful_ms_per_tx": per(t.stateful),
            "tree_ms_per_tx": per(t.tree),
            "commit_ms_per_tx": per(commit),
            "admission_ms_per_tx": per(admission),
            "execution_ms_per_tx": per(execution),
        }));
    }
    drop(source);
    drop(ledger);
    let _ = std::fs::remove_dir_all(&dir);
    let ratio = |key: &str| {
        let first = rows
            .first()
            .and_then(|r| r[key].as_f64())
            .unwrap_or(f64::NAN);
        let last = rows
            .last()
            .and_then(|r| r[key].as_f64())
            .unwrap_or(f64::NAN);
        (last / first * 1000.0).round() / 1000.0
    };
    Ok(json!({
        "txs_per_level": args.txs,
        "shape": "2 inputs (ring 16, decoys uniform over the ledger), 2 outputs",
        "threads": rayon::current_num_threads(),
        "levels": rows,
        "admission_largest_vs_smallest": ratio("admission_ms_per_tx"),
        "execution_largest_vs_smallest": ratio("execution_ms_per_tx"),
    }))
}
