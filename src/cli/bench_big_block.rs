//! `veil bench big-block`: one block of `--txs` transfers (10,000 by
//! default, the governed `max_block_txs`) proposed, decided and committed
//! by a real N-validator network.
//!
//! The network is `veil bench cluster`'s (child processes, QUIC on
//! 127.0.0.1, fsync on every commit). After funding and building the
//! transfers, the bench restarts every node with the orderer-style batch
//! settings `block_min_txs = --txs`, `block_wait_ms = --wait-s` (and a
//! propose timeout above it), so the next proposer waits until it holds
//! every transfer. The transfers are then submitted in batches spread over
//! the nodes; each node verifies what it receives and gossips it on, so
//! when the block is proposed every validator already holds (and has
//! verified) most bodies, and fetches the rest from the proposer.
//!
//! Figures:
//!
//! * *admission*: first submission until every node holds all transfers;
//! * *proposal to commit*: the block header's timestamp (set when the
//!   proposer starts building it) until every node reports the block
//!   committed (a watcher polls `/v1/status`, ≈5–15 ms resolution);
//! * the *verification time on one validator*: the same transfers decoded
//!   from their bytes and batch-verified on all of this machine's cores
//!   with the nodes stopped (best of three) — what a validator that had
//!   seen none of them would spend on proofs alone;
//! * their ratio (the target is ≤ 2).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context};
use serde_json::json;

use crate::node_config::NodeFile;

use super::bench::round3;
use super::bench_cluster::{
    cpu_time, sent_counters, start_funded, submit_chunk, verify_only_tps, wait_committed, Funded,
    Watcher,
};

/// Options of `veil bench big-block`.
#[derive(Debug, clap::Args)]
pub struct BigBlockArgs {
    /// Validators.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Transfers in the block (2 inputs at ring 16, 2 outputs); at most the
    /// governed `max_block_txs` (10,000).
    #[arg(long, default_value_t = 10_000)]
    pub txs: usize,
    /// Transfers per submission request.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Longest the proposer waits for all the transfers, seconds.
    #[arg(long, default_value_t = 300)]
    pub wait_s: u64,
    /// Node i serves its API on this port + i.
    #[arg(long, default_value_t = 18810)]
    pub api_base_port: u16,
    /// Node i listens for peers on this port + i.
    #[arg(long, default_value_t = 19810)]
    pub p2p_base_port: u16,
    /// Keep the run's directory (configs, data, node logs) and print it.
    #[arg(long)]
    pub keep: bool,
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs `veil bench big-block`.
#[allow(clippy::as_conversions, clippy::cast_precision_loss)] // counts to f64 for rates
pub fn big_block(args: &BigBlockArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(
        (1..=16).contains(&args.validators),
        "--validators must be 1 to 16"
    );
    ensure!(
        (1..=10_000).contains(&args.txs),
        "--txs must be 1 to 10,000 (the governed max_block_txs)"
    );
    ensure!(
        (1..=crate::node::MAX_BATCH_TXS).contains(&args.batch),
        "--batch must be 1 to {}",
        crate::node::MAX_BATCH_TXS
    );
    ensure!(args.wait_s >= 1, "--wait-s must be positive");
    let n = args.validators;
    let Funded {
        mut running,
        configs,
        apis,
        sources,
        encoded,
        hashes,
        setup,
    } = start_funded(
        n,
        args.txs,
        (args.api_base_port, args.p2p_base_port),
        &[],
        args.keep,
        "big-block",
        None,
    )?;

    // Restart every node as an orderer that waits for the whole batch.
    running.stop();
    let wait_ms = args.wait_s * 1000;
    for c in &configs {
        let mut file = NodeFile::load(c)?;
        file.block_min_txs = args.txs;
        file.block_wait_ms = wait_ms;
        file.propose_timeout_ms = Some(wait_ms + 30_000);
        std::fs::write(c, toml::to_string(&file)?)
            .with_context(|| format!("writing {}", c.display()))?;
    }
    running.start(&configs)?;
    running.wait_ready(&sources)?;

    let pids: Vec<u32> = running
        .children
        .iter()
        .map(std::process::Child::id)
        .collect();
    let watcher = Watcher::start(&apis, pids.clone());
    let (clock_at, clock_ms) = (Instant::now(), wall_ms());
    let before = sent_counters(&apis)?;
    let cpu_start = cpu_time(&pids);

    // Submit, spread over the nodes, from one client per node.
    let t_submit = Instant::now();
    let chunks: Vec<&[Vec<u8>]> = encoded.chunks(args.batch).collect();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..n)
            .map(|k| {
                let (sources, chunks) = (&sources, &chunks);
                scope.spawn(move || -> anyhow::Result<()> {
                    for c in chunks.iter().skip(k).step_by(n) {
                        submit_chunk(&sources[k], c)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??;
        }
        Ok(())
    })?;
    let submit = t_submit.elapsed();

    let within = Duration::from_secs(args.wait_s + 600);
    let heights = wait_committed(&sources[0], &hashes, within)?;
    let h = heights[0];
    ensure!(
        heights.iter().all(|&x| x == h),
        "the transfers landed in blocks {}..={}, not one block",
        heights.iter().min().unwrap_or(&0),
        heights.iter().max().unwrap_or(&0)
    );
    let committed = watcher.wait_all_at(h, within)?;
    let cpu_end = watcher.cpu_at(committed);
    let after = sent_counters(&apis)?;
    let block: serde_json::Value = ureq::get(&format!("{}/v1/blocks/{h}", apis[0]))
        .timeout(Duration::from_secs(30))
        .call()?
        .into_json()?;
    let in_block = block["txs"]
        .as_array()
        .map_or(0, |t| t.iter().filter(|t| t["kind"] != "commit").count());
    ensure!(
        in_block == args.txs,
        "block {h} holds {in_block} transfers, expected {}",
        args.txs
    );
    let proposed_ms = block["header"]["timestamp_ms"]
        .as_u64()
        .context("block without a timestamp")?;
    let committed_ms =
        clock_ms + u64::try_from(committed.duration_since(clock_at).as_millis()).unwrap_or(0);
    let proposal_to_commit = Duration::from_millis(committed_ms.saturating_sub(proposed_ms));
    let admission = Duration::from_millis(proposed_ms.saturating_sub(clock_ms));
    drop(watcher);

    running.stop();
    let (verify_tps, from_bytes_tps) =
        verify_only_tps(&running.dir.join("node0").join("db"), &encoded)?;
    drop(running);
    let count = encoded.len() as f64;
    let verify_s = count / verify_tps;
    let decode_verify_s = count / from_bytes_tps;
    let block_bytes: usize = encoded.iter().map(Vec::len).sum();
    let cpu = cpu_start.zip(cpu_end).map(|(b, a)| a.saturating_sub(b));
    Ok(json!({
        "validators": n,
        "txs": args.txs,
        "shape": "2 inputs (ring 16), 2 outputs",
        "setup_s": round3(setup.as_secs_f64()),
        "height": h,
        "block_tx_bytes": block_bytes,
        "proposal_hash_bytes": 32 * args.txs,
        "submit_s": round3(submit.as_secs_f64()),
        "admission_to_proposal_s": round3(admission.as_secs_f64()),
        "proposal_to_commit_s": round3(proposal_to_commit.as_secs_f64()),
        "verify_on_one_validator_s": round3(verify_s),
        "decode_and_verify_on_one_validator_s": round3(decode_verify_s),
        "proposal_to_commit_vs_decode_and_verify": round3(proposal_to_commit.as_secs_f64() / decode_verify_s),
        "nodes_cpu_s": cpu.map(|c| round3(c.as_secs_f64())),
        "bytes_sent": {
            "txs_channel": after.0 - before.0,
            "all_channels": after.2 - before.2,
            "other_channels": (after.2 - before.2).saturating_sub(after.0 - before.0),
        },
    }))
}
