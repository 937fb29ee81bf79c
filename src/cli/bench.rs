//! `veil bench …`: measurements printed as one JSON object with `--json`.
//!
//! Everything is measured on one thread (the figures are per core) unless a
//! field says `parallel`.

use std::time::Instant;
use veil_codec::Encode;

use anyhow::{ensure, Context};
use clap::Subcommand;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::json;

use crate::crypto::keys::AccountKeys;
use crate::crypto::regulator_ciphertext::{self, RegulatorSecretKey};
use crate::crypto::stealth::SharedSecret;
use crate::tx::bundle::view::{open_for_regulator, open_from_handles};
use crate::tx::testing::{add_decoys, funded_plan, PlanShape};
use crate::tx::transfer::plan::TransferPlan;
use crate::tx::{verify_batch, verify_batch_parallel, AssetId, MemoryLedger, Transaction};

/// What `veil bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Build, verify, scan and open confidential transfers.
    Transfer(TransferArgs),
    /// Execute and commit a block of transfers on RocksDB.
    Block(BlockArgs),
    /// RocksDB state operations with the node's batching.
    Storage(StorageArgs),
    /// Regulator decryption and reports.
    Regulator(RegulatorBenchArgs),
    /// Groth16 credential presentations: prove, verify, batch-verify.
    Credential(CredentialBenchArgs),
    /// A real N-validator network on 127.0.0.1 under load: committed TPS,
    /// finality, gossip bytes; compared with one validator in the same run.
    Cluster(super::bench_cluster::ClusterArgs),
    /// One block of 10,000 transfers proposed, decided and committed by a
    /// real N-validator network, against its verification time.
    BigBlock(super::bench_big_block::BigBlockArgs),
    /// Admission and execution costs as the ledger grows (10⁴ to 10⁶
    /// outputs) and RocksDB's size per million outputs.
    Growth(GrowthArgs),
    /// One validator driven past what it can verify: refusals, memory.
    Overload(super::bench_overload::OverloadArgs),
    /// The evidence vault on a real network: upload and download against
    /// raw XChaCha20-Poly1305, replication to the peers, repair.
    Vault(super::bench_vault::VaultBenchArgs),
}

/// Options of `veil bench growth`.
#[derive(Debug, clap::Args)]
pub struct GrowthArgs {
    /// Ledger sizes (outputs) at which the transfers are measured.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    pub levels: Vec<u64>,
    /// Transfers executed at each level (2 inputs at ring 16, 2 outputs).
    #[arg(long, default_value_t = 500)]
    pub txs: usize,
}

/// Options of `veil bench credential`.
#[derive(Debug, clap::Args)]
pub struct CredentialBenchArgs {
    /// Proofs made for the proving figures (best and median).
    #[arg(long, default_value_t = 5)]
    pub proofs: usize,
    /// Presentations per verification batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
}

/// Options of `veil bench regulator`.
#[derive(Debug, clap::Args)]
pub struct RegulatorBenchArgs {
    /// Distinct transfers built (2 inputs at ring 16, 2 outputs).
    #[arg(long, default_value_t = 256)]
    pub transfers: usize,
    /// Transfers in the report (the built ones, repeated).
    #[arg(long, default_value_t = 100_000)]
    pub report_transfers: usize,
    /// Also open the transfers with a threshold key (`3-of-5`): each
    /// officer's partial decryption with its proof, the combination, and
    /// the opening, against the single key in the same run.
    #[arg(long, value_name = "T-of-N")]
    pub threshold: Option<String>,
}

/// Options of `veil bench block`.
#[derive(Debug, clap::Args)]
pub struct BlockArgs {
    /// Transfers in the block (2 inputs, 2 outputs, ring 16).
    #[arg(long, default_value_t = 1000)]
    pub txs: usize,
}

/// Options of `veil bench storage`.
#[derive(Debug, clap::Args)]
pub struct StorageArgs {
    /// Records written (and then read).
    #[arg(long, default_value_t = 1_000_000)]
    pub ops: usize,
    /// Records per atomic write batch (a block's worth).
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
}

/// Options of `veil bench transfer`.
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// Ring size.
    #[arg(long, default_value_t = 16)]
    pub ring: usize,
    /// Inputs per transfer.
    #[arg(long, default_value_t = 2)]
    pub inputs: usize,
    /// Outputs per transfer (payments plus change).
    #[arg(long, default_value_t = 2)]
    pub outputs: usize,
    /// Transfers per verification batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Outputs to scan for the scanning figure (rounded to whole transfers).
    #[arg(long, default_value_t = 20_000)]
    pub scan_outputs: usize,
    /// Repetitions of each measurement; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// Runs `f` `n` times (at least once) and returns the shortest duration.
fn best_of(
    n: usize,
    mut f: impl FnMut() -> anyhow::Result<std::time::Duration>,
) -> anyhow::Result<std::time::Duration> {
    let mut best = f()?;
    for _ in 1..n {
        best = best.min(f()?);
    }
    Ok(best)
}

/// A measurement's name and unit from its JSON key: the unit suffix
/// (`_ms`, `_s`, `_per_s`, `_bytes`, …) becomes the unit column.
fn label_and_unit(key: &str) -> (String, &'static str) {
    const SUFFIXES: [(&str, &str); 12] = [
        ("_ms_per_proof", "ms/proof"),
        ("_ms_per_tx", "ms/tx"),
        ("_bytes_per_tx_per_link", "B/tx/link"),
        ("_bytes_per_tx_per_crossing", "B/tx/crossing"),
        ("_per_s_all_cores", "/s (all cores)"),
        ("_per_s_parallel", "/s (parallel)"),
        ("_per_s", "/s"),
        ("_ms_per_tx_cpu", "ms/tx"),
        ("_bytes", "B"),
        ("_ms", "ms"),
        ("_s", "s"),
        ("_tps", "tx/s"),
    ];
    for (suffix, unit) in SUFFIXES {
        if let Some(stem) = key.strip_suffix(suffix) {
            return (stem.replace('_', " "), unit);
        }
    }
    if key.ends_with("_vs_verify_only") || key.ends_with("_vs_single_tps") {
        return (key.replace('_', " "), "×");
    }
    let unit = match key {
        k if k.contains("_ms_") => "ms",
        "tps" | "txs_per_s" => "tx/s",
        _ => "",
    };
    (key.replace('_', " "), unit)
}

/// A number for people: thousands separated, at most 3 decimals.
fn readable(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => {
            let digits = n.to_string();
            let (sign, digits) = digits
                .strip_prefix('-')
                .map_or(("", digits.as_str()), |d| ("-", d));
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{sign}{out}")
        }
        serde_json::Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.abs() >= 1000.0 {
                if let Ok(i) = format!("{f:.0}").parse::<i64>() {
                    return readable(&serde_json::json!(i));
                }
            }
            let text = if f.abs() >= 100.0 {
                format!("{f:.1}")
            } else if f.abs() >= 1.0 {
                format!("{f:.2}")
            } else {
                format!("{f:.3}")
            };
            text
        }
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints a bench result as a table (measurement, value, unit); nested
/// objects become indented sections.
fn print_table(title: &str, r: &serde_json::Value) {
    fn rows(v: &serde_json::Value, indent: usize, out: &mut Vec<(String, String, String)>) {
        for (k, v) in v.as_object().into_iter().flatten() {
            if v.is_object() {
                out.push((
                    format!("{:indent$}{}", "", k.replace('_', " ")),
                    String::new(),
                    String::new(),
                ));
                rows(v, indent + 2, out);
            } else {
                let (label, unit) = label_and_unit(k);
                out.push((
                    format!("{:indent$}{label}", ""),
                    readable(v),
                    unit.to_owned(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    rows(r, 0, &mut out);
    let w0 = out
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    let w1 = out
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    println!("{title}");
    println!("  {:<w0$}  {:>w1$}  unit", "measurement", "value");
    println!("  {}  {}  ----", "-".repeat(w0), "-".repeat(w1));
    for (label, value, unit) in out {
        println!("  {label:<w0$}  {value:>w1$}  {unit}");
    }
}

/// Runs a bench command.
pub fn run(cmd: BenchCommand, json: bool) -> anyhow::Result<()> {
    let print = |title: &str, r: &serde_json::Value| {
        if json {
            super::print_json(r);
        } else {
            print_table(title, r);
        }
    };
    match cmd {
        BenchCommand::Cluster(args) => {
            let r = super::bench_cluster::cluster(&args)?;
            print("veil bench cluster (real nodes on 127.0.0.1)", &r);
            Ok(())
        }
        BenchCommand::BigBlock(args) => {
            let r = super::bench_big_block::big_block(&args)?;
            print("veil bench big-block (real nodes on 127.0.0.1)", &r);
            Ok(())
        }
        BenchCommand::Overload(args) => {
            let r = super::bench_overload::overload(&args)?;
            print(
                "veil bench overload (one validator, misbehaving clients)",
                &r,
            );
            Ok(())
        }
        BenchCommand::Vault(args) => {
            let r = super::bench_vault::vault(&args)?;
            print("veil bench vault (real nodes on 127.0.0.1)", &r);
            Ok(())
        }
        BenchCommand::Growth(args) => {
            let r = super::bench_ledger::growth(&args)?;
            print("veil bench growth (RocksDB ledger, fsync per block)", &r);
            Ok(())
        }
        BenchCommand::Block(args) => {
            let r = super::bench_ledger::block(&args)?;
            print("veil bench block (one block on RocksDB; all cores)", &r);
            Ok(())
        }
        BenchCommand::Regulator(args) => {
            let r = super::bench_ledger::regulator(&args)?;
            print("veil bench regulator (2-output transfers)", &r);
            Ok(())
        }
        BenchCommand::Credential(args) => {
            let r = credential(&args)?;
            print(
                "veil bench credential (Groth16 over BN254, presentation circuit)",
                &r,
            );
            Ok(())
        }
        BenchCommand::Storage(args) => {
            let r = super::bench_ledger::storage(&args)?;
            print("veil bench storage (RocksDB, atomic write batches)", &r);
            Ok(())
        }
        BenchCommand::Transfer(args) => {
            let r = transfer(&args)?;
            print(
                &format!(
                    "veil bench transfer (ring {}, {} in, {} out; one core unless noted)",
                    args.ring, args.inputs, args.outputs
                ),
                &r,
            );
            Ok(())
        }
    }
}

/// `veil bench credential`.
pub fn credential(args: &CredentialBenchArgs) -> anyhow::Result<serde_json::Value> {
    use veil_circuits::{groth, presentation, testing};
    ensure!(
        args.proofs >= 1 && args.batch >= 1,
        "--proofs and --batch ≥ 1"
    );
    let started = Instant::now();
    let key = crate::identity::pinned_keys::proving_key(
        crate::identity::pinned_keys::default_dir().as_deref(),
    )?;
    let key_ms = ms(started.elapsed(), 1);
    let vk = crate::identity::pinned_keys::verifying_key()?;
    let n = args.batch.max(args.proofs);
    let samples = testing::sample(n, 7);
    let mut prove_times = Vec::with_capacity(args.proofs);
    let mut items = Vec::with_capacity(n);
    for (i, (statement, witness)) in samples.iter().enumerate() {
        let t = Instant::now();
        let proof = groth::prove(&key, statement, witness)?;
        if i < args.proofs {
            prove_times.push(t.elapsed());
        }
        items.push((*statement, proof));
    }
    prove_times.sort_unstable();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let prove_one_thread = one.install(|| {
        best_of(2, || {
            let t = Instant::now();
            groth::prove(&key, &samples[0].0, &samples[0].1)?;
            Ok(t.elapsed())
        })
    })?;
    let batch = &items[..args.batch];
    let verify_one = best_of(3, || {
        let t = Instant::now();
        for (s, p) in batch {
            ensure!(groth::verify(vk, s, p), "a proof did not verify");
        }
        Ok(t.elapsed())
    })?;
    let verify_batched = best_of(3, || {
        let t = Instant::now();
        ensure!(groth::verify_batch(vk, batch), "the batch did not verify");
        Ok(t.elapsed())
    })?;
    let verify_batched_one_thread = one.install(|| {
        best_of(3, || {
            let t = Instant::now();
            ensure!(groth::verify_batch(vk, batch), "the batch did not verify");
            Ok(t.elapsed())
        })
    })?;
    // The circuit with the regulator hook.
    let hooked_key = crate::identity::pinned_keys::proving_key_for(
        presentation::Circuit::Hooked,
        crate::identity::pinned_keys::default_dir().as_deref(),
    )?;
    let hooked_vk = crate::identity::pinned_keys::verifying_key_for(presentation::Circuit::Hooked)?;
    let regulator = veil_circuits::hook::HookSecret::from_wide(&[3; 64]).public();
    let hooked: Vec<_> = samples
        .iter()
        .take(args.proofs.max(1))
        .enumerate()
        .map(|(i, (s, w))| {
            let r = veil_circuits::hook::Randomness::random(&mut ChaCha20Rng::seed_from_u64(
                u64::try_from(i).unwrap_or(0),
            ));
            let mut w = w.clone();
            w.hook = Some(r.clone());
            (s.with_hook(regulator, *w.credential.secret.expose(), &r), w)
        })
        .collect();
    let mut hooked_times = Vec::with_capacity(hooked.len());
    let mut hooked_items = Vec::with_capacity(hooked.len());
    for (s, w) in &hooked {
        let t = Instant::now();
        let proof = groth::prove(&hooked_key, s, w)?;
        hooked_times.push(t.elapsed());
        hooked_items.push((*s, proof));
    }
    hooked_times.sort_unstable();
    let verify_hooked = best_of(3, || {
        let t = Instant::now();
        for (s, p) in &hooked_items {
            ensure!(
                groth::verify(hooked_vk, s, p),
                "a hooked proof did not verify"
            );
        }
        Ok(t.elapsed())
    })?;
    Ok(json!({
        "constraints": presentation::CONSTRAINTS,
        "constraints_hooked": presentation::HOOKED_CONSTRAINTS,
        "prove_ms_hooked": round3(ms(hooked_times[hooked_times.len() / 2], 1)),
        "verify_ms_hooked": round3(ms(verify_hooked, hooked_items.len())),
        "public_inputs": 10,
        "proof_bytes": groth::PROOF_BYTES,
        "threads": rayon::current_num_threads(),
        "proving_key_load_ms": round3(key_ms),
        "prove_ms": round3(ms(prove_times[prove_times.len() / 2], 1)),
        "prove_ms_best": round3(ms(prove_times[0], 1)),
        "prove_ms_one_thread": round3(ms(prove_one_thread, 1)),
        "verify_ms": round3(ms(verify_one, batch.len())),
        "verify_batch": batch.len(),
        "verify_batched_ms_per_proof": round3(ms(verify_batched, batch.len())),
        "verify_batched_ms_per_proof_one_thread": round3(ms(verify_batched_one_thread, batch.len())),
    }))
}

fn ms(d: std::time::Duration, n: usize) -> f64 {
    let n = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
    (d / n).as_secs_f64() * 1e3
}

fn per_s(count: usize, d: std::time::Duration) -> f64 {
    let count = u32::try_from(count).map(f64::from).unwrap_or(f64::MAX);
    (count / d.as_secs_f64()).round()
}

/// Decodes, resolves and batch-verifies encoded transactions, as block
/// execution does; `parallel` spreads the work over the rayon pool.
fn verify_encoded_batch(
    encoded: &[Vec<u8>],
    ledger: &MemoryLedger,
    parallel: bool,
) -> anyhow::Result<Vec<Transaction>> {
    use rayon::prelude::*;
    let decoded: Vec<Transaction> = if parallel {
        encoded
            .par_iter()
            .map(|b| Transaction::decode(b))
            .collect::<Result<_, _>>()?
    } else {
        encoded
            .iter()
            .map(|b| Transaction::decode(b))
            .collect::<Result<_, _>>()?
    };
    let rings: Vec<_> = decoded
        .iter()
        .map(|tx| tx.resolve_rings(ledger))
        .collect::<Result<_, _>>()?;
    let items: Vec<_> = decoded.iter().zip(&rings).collect();
    let results = if parallel {
        verify_batch_parallel(&items)
    } else {
        verify_batch(&items)
    };
    ensure!(
        results.iter().all(Result::is_ok),
        "batch verification failed"
    );
    Ok(decoded)
}

/// `x` rounded to three decimals.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// Measures transfers of the given shape; returns the JSON report.
pub fn transfer(args: &TransferArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(args.outputs >= 2, "--outputs counts change too; at least 2");
    ensure!((1..=16).contains(&args.inputs), "--inputs must be 1..=16");
    ensure!(args.outputs <= 16, "--outputs must be at most 16");
    ensure!((2..=64).contains(&args.ring), "--ring must be 2..=64");
    ensure!(args.batch >= 1, "--batch must be at least 1");
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let asset = AssetId::new("CNY")?;
    let regulator = RegulatorSecretKey::from_seed(&[7; 32]);
    let mut ledger = MemoryLedger::new(*regulator.public());
    add_decoys(&mut ledger, &asset, 4 * args.ring.max(64), &mut rng);
    let alice = AccountKeys::from_seed(&[1; 32]);
    let bob = AccountKeys::from_seed(&[2; 32]);
    let carol = AccountKeys::from_seed(&[3; 32]);
    regulator_ciphertext::warm_up();

    let per_payment = 1_000u64;
    let payments = args.outputs - 1;
    let shape = PlanShape {
        asset: &asset,
        from: &alice,
        to: &bob,
        inputs: args.inputs,
        input_amount: per_payment * u64::try_from(payments)? + 7,
        payments,
        amount: per_payment,
        fee: 0,
        ring: args.ring,
        regulator_key: *regulator.public(),
    };

    // Prove: build `batch` transfers (timed), which the rest reuses.
    let plans: Vec<TransferPlan> = (0..args.batch)
        .map(|_| funded_plan(&mut ledger, &shape, &mut rng))
        .collect();
    let t = Instant::now();
    let mut txs = Vec::with_capacity(args.batch);
    for p in &plans {
        txs.push(Transaction::Transfer(p.build(&mut rng).context("build")?));
    }
    let prove = t.elapsed();
    ensure!(
        txs[0]
            .check_stateless(&txs[0].resolve_rings(&ledger)?)
            .is_ok(),
        "bench transaction does not verify"
    );
    let encoded: Vec<Vec<u8>> = txs.iter().map(Encode::encode).collect::<Result<_, _>>()?;
    let tx_bytes = encoded[0].len();

    // Decode alone.
    let decode = best_of(args.repeat, || {
        let t = Instant::now();
        for b in &encoded {
            std::hint::black_box(Transaction::decode(b)?);
        }
        Ok(t.elapsed())
    })?;

    // Verify one at a time, from bytes: decode, resolve rings, check.
    let verify = best_of(args.repeat, || {
        let t = Instant::now();
        for b in &encoded {
            let tx = Transaction::decode(b)?;
            let rings = tx.resolve_rings(&ledger)?;
            tx.check_stateless(&rings)?;
        }
        Ok(t.elapsed())
    })?;

    // Verify as one batch, from bytes: on one thread, then on all.
    let batched = best_of(args.repeat, || {
        let t = Instant::now();
        verify_encoded_batch(&encoded, &ledger, false)?;
        Ok(t.elapsed())
    })?;
    let batched_parallel = best_of(args.repeat, || {
        let t = Instant::now();
        verify_encoded_batch(&encoded, &ledger, true)?;
        Ok(t.elapsed())
    })?;
    let decoded = verify_encoded_batch(&encoded, &ledger, false)?;

    // Scan: outputs not owned by the scanner (Carol), view tags first.
    let transfers: Vec<(&AssetId, &crate::tx::OutputBundle)> =
        decoded.iter().filter_map(Transaction::outputs).collect();
    let rounds = (args.scan_outputs / (transfers.len() * args.outputs)).max(1);
    let mut found = 0usize;
    let scan = best_of(args.repeat, || {
        let t = Instant::now();
        for _ in 0..rounds {
            let keys: Vec<_> = transfers.iter().map(|(_, t)| &t.tx_public_key).collect();
            let secrets = SharedSecret::receive_batch(carol.view_key(), &keys);
            for (tr, s) in transfers.iter().zip(&secrets) {
                found += tr.1.scan_with(tr.0, carol.view_key(), s).len();
            }
        }
        Ok(t.elapsed())
    })?;
    ensure!(found == 0, "scanner found outputs it does not own");
    // The same scan spread over the rayon pool, as a wallet would run it.
    let scan_parallel = best_of(args.repeat, || {
        let t = Instant::now();
        for _ in 0..rounds {
            use rayon::prelude::*;
            let chunk = transfers
                .len()
                .div_ceil(rayon::current_num_threads().max(1))
                .max(1);
            found += transfers
                .par_chunks(chunk)
                .map(|part| {
                    let keys: Vec<_> = part.iter().map(|(_, t)| &t.tx_public_key).collect();
                    let secrets = SharedSecret::receive_batch(carol.view_key(), &keys);
                    part.iter()
                        .zip(&secrets)
                        .map(|(tr, s)| tr.1.scan_with(tr.0, carol.view_key(), s).len())
                        .sum::<usize>()
                })
                .sum::<usize>();
        }
        Ok(t.elapsed())
    })?;
    ensure!(found == 0, "scanner found outputs it does not own");
    let scanned = rounds * transfers.len() * args.outputs;

    // Owner scan finds the payments (sanity, not timed).
    ensure!(
        transfers[0].1.scan(transfers[0].0, bob.view_key()).len() == payments,
        "receiver scan failed"
    );

    // Regulator: open every transfer (fast path, batched).
    let mut views = Vec::new();
    let reg = best_of(args.repeat, || {
        let t = Instant::now();
        views = open_for_regulator(&regulator, &transfers);
        Ok(t.elapsed())
    })?;
    ensure!(
        views.iter().all(|v| v
            .as_ref()
            .is_ok_and(|v| v.outputs.iter().all(|o| o.payload_matches))),
        "regulator view failed"
    );
    // Regulator, slow path: every limb from its handle.
    let reg_slow = best_of(args.repeat, || {
        let t = Instant::now();
        for tr in &transfers {
            open_from_handles(&regulator, tr.0, tr.1)?;
        }
        Ok(t.elapsed())
    })?;
    let opened = transfers.len() * args.outputs;

    Ok(json!({
        "ring": args.ring,
        "inputs": args.inputs,
        "outputs": args.outputs,
        "batch": args.batch,
        "prove_ms": round3(ms(prove, args.batch)),
        "decode_ms": round3(ms(decode, args.batch)),
        "verify_ms": round3(ms(verify, args.batch)),
        "verify_batched_ms_per_tx": round3(ms(batched, args.batch)),
        "verify_batched_parallel_ms_per_tx": round3(ms(batched_parallel, args.batch)),
        "threads": rayon::current_num_threads(),
        "tx_bytes": tx_bytes,
        "scan_outputs_per_s": per_s(scanned, scan),
        "scan_outputs_per_s_parallel": per_s(scanned, scan_parallel),
        "regulator_decrypt_outputs_per_s": per_s(opened, reg),
        "regulator_decrypt_from_handles_outputs_per_s": per_s(opened, reg_slow),
    }))
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn keys_become_labels_with_units() {
        assert_eq!(label_and_unit("verify_ms"), ("verify".into(), "ms"));
        assert_eq!(
            label_and_unit("committed_txs_per_s"),
            ("committed txs".into(), "/s")
        );
        assert_eq!(label_and_unit("tx_bytes"), ("tx".into(), "B"));
        assert_eq!(
            label_and_unit("committed_vs_verify_only"),
            ("committed vs verify only".into(), "×")
        );
        assert_eq!(readable(&serde_json::json!(1234567)), "1,234,567");
        assert_eq!(readable(&serde_json::json!(2.34567)), "2.35");
        assert_eq!(readable(&serde_json::json!(0.01234)), "0.012");
        assert_eq!(readable(&serde_json::json!(907093.4)), "907,093");
    }
}
