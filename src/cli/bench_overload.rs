//! `veil bench overload`: a one-validator network driven past what it
//! can verify for `--secs` seconds; is its memory bounded, and does it
//! keep committing the valid transfers?
//!
//! `--clients` threads submit batches of `--batch` as fast as the node
//! answers and ignore `Retry-After` (a misbehaving client). They first
//! take the `--txs` valid transfers, then an endless supply of invalid
//! ones: a valid transfer with one byte of a receiver's encrypted note
//! changed, which decodes, is new to the node (a new hash), and fails only
//! at signature verification — the most expensive refusal there is. A
//! sampler reads the node's resident memory (`VmRSS`) every 250 ms.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::ensure;
use serde_json::json;
use veil_codec::Encode;

use crate::tx::Transaction;

use super::bench::round3;
use super::bench_cluster::{start_funded, wait_committed, Funded};

/// Options of `veil bench overload`.
#[derive(Debug, clap::Args)]
pub struct OverloadArgs {
    /// Seconds of overload.
    #[arg(long, default_value_t = 60)]
    pub secs: u64,
    /// Valid transfers submitted first (2 inputs at ring 16, 2 outputs).
    #[arg(long, default_value_t = 1000)]
    pub txs: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Transfers per request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// The node serves its API on this port.
    #[arg(long, default_value_t = 18900)]
    pub api_port: u16,
    /// The node listens for peers on this port.
    #[arg(long, default_value_t = 19900)]
    pub p2p_port: u16,
}

/// Resident memory of process `pid`, bytes.
pub(super) fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// An invalid variant of `valid` number `k`: byte `k mod len` of the
/// first output's note flipped by `1 + k / len`.
fn invalid_variant(valid: &Transaction, k: usize) -> anyhow::Result<Vec<u8>> {
    let mut t = valid.clone();
    let Transaction::Transfer(ref mut transfer) = t else {
        anyhow::bail!("not a transfer");
    };
    let payload = &mut transfer.bundle.outputs[0].payload;
    let len = payload.len();
    payload[k % len] ^= u8::try_from(1 + (k / len) % 255)?;
    Ok(t.encode()?)
}

#[allow(clippy::as_conversions, clippy::cast_precision_loss)] // bytes to MiB
fn mib(b: u64) -> f64 {
    round3(b as f64 / (1024.0 * 1024.0))
}

/// Valid transfers built but never submitted, as templates of the invalid
/// ones.
const TEMPLATES: usize = 16;

/// Runs `veil bench overload`.
pub fn overload(args: &OverloadArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(args.secs >= 1, "--secs must be positive");
    ensure!(args.txs >= 1, "--txs must be positive");
    ensure!(args.clients >= 1, "--clients must be positive");
    ensure!(
        (1..=crate::node::MAX_BATCH_TXS).contains(&args.batch),
        "--batch must be 1 to {}",
        crate::node::MAX_BATCH_TXS
    );
    let Funded {
        running,
        sources,
        mut encoded,
        hashes,
        setup,
        ..
    } = start_funded(
        1,
        args.txs + TEMPLATES,
        (args.api_port, args.p2p_port),
        &[],
        false,
        "overload",
        None,
    )?;
    let pid = running
        .children
        .first()
        .map(std::process::Child::id)
        .ok_or_else(|| anyhow::anyhow!("no node"))?;
    // Templates of the invalid transfers: valid ones never submitted, so
    // their key images are fresh and every variant must be verified (and
    // fail) rather than being refused early as a double spend.
    let templates = encoded
        .split_off(args.txs)
        .iter()
        .map(|b| Transaction::decode(b))
        .collect::<Result<Vec<_>, _>>()?;
    let node = &sources[0];

    let stop = Arc::new(AtomicBool::new(false));
    let samples: Arc<Mutex<Vec<(Duration, u64)>>> = Arc::default();
    let started = Instant::now();
    let sampler = {
        let (stop, samples) = (Arc::clone(&stop), Arc::clone(&samples));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(r) = rss(pid) {
                    samples
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((started.elapsed(), r));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };
    let rss_before = rss(pid).unwrap_or(0);

    let next = AtomicUsize::new(0);
    let answers: Mutex<std::collections::BTreeMap<String, u64>> = Mutex::default();
    let accepted_valid: Mutex<Vec<usize>> = Mutex::default();
    let until = started + Duration::from_secs(args.secs);
    let mut max_mempool = 0;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..args.clients)
            .map(|_| {
                let (next, answers, encoded, templates, accepted_valid) =
                    (&next, &answers, &encoded, &templates, &accepted_valid);
                scope.spawn(move || -> anyhow::Result<()> {
                    while Instant::now() < until {
                        let lo = next.fetch_add(args.batch, Ordering::Relaxed);
                        let batch: Vec<Vec<u8>> = (lo..lo + args.batch)
                            .map(|k| match encoded.get(k) {
                                Some(b) => Ok(b.clone()),
                                None => invalid_variant(&templates[k % TEMPLATES], k),
                            })
                            .collect::<anyhow::Result<_>>()?;
                        let count = |key: String, n: u64| {
                            *answers
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .entry(key)
                                .or_default() += n;
                        };
                        match node.submit_batch(&batch) {
                            Ok(a) => {
                                for item in a.results {
                                    let k = lo + item.index;
                                    match item.error {
                                        None if k < encoded.len() => {
                                            accepted_valid
                                                .lock()
                                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                                .push(k);
                                            count("pending".into(), 1);
                                        }
                                        None => count("pending (invalid!)".into(), 1),
                                        Some(p) => {
                                            count(format!("{} {}", p.status, code_of(&p.kind)), 1)
                                        }
                                    }
                                }
                            }
                            Err(e) => match e.problem() {
                                Some(p) => count(
                                    format!("{} {} (whole batch)", p.status, code_of(&p.kind)),
                                    1,
                                ),
                                None => return Err(e.into()),
                            },
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        while Instant::now() < until {
            if let Ok(st) = node.status() {
                max_mempool = max_mempool.max(st.mempool.count);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??;
        }
        Ok(())
    })?;
    let overload = started.elapsed();
    // The valid transfers the node said `pending` must all commit.
    let accepted: Vec<_> = accepted_valid
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|k| hashes[k])
        .collect();
    wait_committed(node, &accepted, Duration::from_secs(600))?;
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let samples = samples
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let at = |secs: u64| {
        samples
            .iter()
            .find(|s| s.0 >= Duration::from_secs(secs))
            .map(|s| mib(s.1))
    };
    let tenths: Vec<serde_json::Value> = (1..=10)
        .map(|k| {
            let s = args.secs * k / 10;
            json!({ "at_s": s, "rss_mib": at(s) })
        })
        .collect();
    drop(running);
    let answers = answers
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(json!({
        "secs": round3(overload.as_secs_f64()),
        "setup_s": round3(setup.as_secs_f64()),
        "clients": args.clients,
        "batch": args.batch,
        "valid_accepted_and_committed": accepted.len(),
        "valid_offered": next.load(Ordering::Relaxed).min(encoded.len()),
        "invalid_offered": next.load(Ordering::Relaxed).saturating_sub(encoded.len()),
        "answers": answers,
        "max_mempool_count": max_mempool,
        "rss_before_mib": mib(rss_before),
        "rss_max_mib": mib(max),
        "rss_over_time": tenths,
    }))
}

/// The short code of a problem type (`urn:veil:problem:<code>` → `<code>`).
fn code_of(kind: &str) -> &str {
    kind.rsplit(':').next().unwrap_or(kind)
}
