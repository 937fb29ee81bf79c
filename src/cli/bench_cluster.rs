//! `veil bench cluster`: a real network under load.
//!
//! The network is the one `veil testnet` runs: N `veil node --config`
//! child processes on 127.0.0.1, QUIC between them, Malachite deciding
//! every block, fsync on every commit. The bench funds a payer with mints,
//! builds `--txs` transfers (2 inputs at ring 16, 2 outputs) before any
//! clock starts, then measures in two phases:
//!
//! After the setup the bench waits until every node has committed two more
//! blocks (building the transfers starves the nodes of CPU), then:
//!
//! * **light load**: `--light` transfers, one every `1/--light-rate`
//!   seconds, round-robin over the nodes; the phase ends when all are
//!   committed everywhere, so it sees no queueing;
//! * **throughput**: the rest, submitted as fast as `--clients` threads can
//!   (thread `k` submits to node `k mod N`).
//!
//! *Finality* of a transaction is the time from just before its `POST
//! /v1/transactions` to the first poll of `/v1/status` at which every node
//! reports a height at or above its block (a watcher polls all nodes in a
//! loop, so figures carry up to one polling round of error, ≈5–15 ms).
//! *Committed TPS* is the throughput phase's transactions over the time
//! from its first submission to its last transaction committed on every
//! node. Gossip cost comes from the nodes' own counters
//! (`veil_net_sent_{bytes,frames}_total{channel="txs"}` in `/metrics`).
//!
//! The same procedure runs on a one-validator network first (same binary,
//! same submission path, its own transfers), so the report carries the
//! single-node throughput measured on the same machine in the same run.

use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use veil_codec::Encode;

use anyhow::{bail, ensure, Context};
use rand_core::OsRng;
use serde_json::json;

use crate::crypto::keys::AccountKeys;
use crate::dev::{DevNetwork, DEV_ASSET};
use crate::node_config::NodeFile;
use crate::tx::{AssetId, Transaction, TxHash};
use crate::wallet::client::HttpSource;
use crate::wallet::source::{ChainSource, TxStatus};
use crate::wallet::Wallet;

use super::bench::round3;
use super::bench_ledger::{build_mints, build_transfers, ms};
use super::testnet::{self, TestnetArgs};

/// Options of `veil bench cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Validators in the measured network.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Transfers submitted in all (2 inputs at ring 16, 2 outputs).
    #[arg(long, default_value_t = 2000)]
    pub txs: usize,
    /// Of those, transfers submitted at light load first.
    #[arg(long, default_value_t = 100)]
    pub light: usize,
    /// Submission rate of the light-load phase, transfers per second.
    #[arg(long, default_value_t = 10)]
    pub light_rate: u32,
    /// Concurrent submitting clients in the throughput phase.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Transfers per request in the throughput phase
    /// (`POST /v1/transactions/batch`; 1 submits each on its own).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Node i serves its API on this port + i (the single-node run uses
    /// this port + 60).
    #[arg(long, default_value_t = 18710)]
    pub api_base_port: u16,
    /// Node i listens for peers on this port + i (single node: + 60).
    #[arg(long, default_value_t = 19710)]
    pub p2p_base_port: u16,
    /// Skip the single-node comparison run.
    #[arg(long)]
    pub no_single: bool,
    /// Keep each run's directory (configs, data, node logs) and print it.
    #[arg(long)]
    pub keep: bool,
    /// Run each validator in its own network namespace, packets between
    /// them delayed, and report light-load finality at each `--delays`
    /// (`--light` transfers per delay; needs root and iproute2).
    #[arg(long)]
    pub netns: bool,
    /// One-way delays between validators with `--netns`, ms.
    #[arg(long, value_delimiter = ',', default_value = "0,10,50")]
    pub delays: Vec<u64>,
}

/// Runs `veil bench cluster`.
pub fn cluster(args: &ClusterArgs) -> anyhow::Result<serde_json::Value> {
    if args.netns {
        return super::bench_netns::netns_finality(args);
    }
    ensure!(
        (2..=16).contains(&args.validators),
        "--validators must be 2 to 16"
    );
    ensure!(args.txs >= 1, "--txs must be positive");
    ensure!(args.light < args.txs, "--light must be below --txs");
    ensure!(args.light_rate >= 1, "--light-rate must be positive");
    ensure!(args.clients >= 1, "--clients must be positive");
    ensure!(
        (1..=crate::node::MAX_BATCH_TXS).contains(&args.batch),
        "--batch must be 1 to {}",
        crate::node::MAX_BATCH_TXS
    );
    let single = if args.no_single {
        None
    } else {
        Some(measure(
            1,
            args,
            args.api_base_port + 60,
            args.p2p_base_port + 60,
        )?)
    };
    let cluster = measure(
        args.validators,
        args,
        args.api_base_port,
        args.p2p_base_port,
    )?;
    let ratio = single.as_ref().map(|s| {
        let c = cluster
            .get("committed_txs_per_s")
            .and_then(serde_json::Value::as_f64);
        let s = s
            .get("committed_txs_per_s")
            .and_then(serde_json::Value::as_f64);
        match (c, s) {
            (Some(c), Some(s)) if s > 0.0 => round3(c / s),
            _ => f64::NAN,
        }
    });
    Ok(json!({
        "validators": args.validators,
        "txs": args.txs,
        "shape": "2 inputs (ring 16), 2 outputs",
        "cluster": cluster,
        "single_node": single,
        "cluster_vs_single_tps": ratio,
    }))
}

/// The child processes of one run; stopped (SIGTERM) and removed on drop.
pub(super) struct Running {
    pub dir: PathBuf,
    pub children: Vec<Child>,
    pub keep: bool,
    /// Network namespace of node i (empty: this one).
    pub netns: Vec<String>,
}

impl Running {
    /// Starts a node for each of `configs`.
    pub(super) fn start(&mut self, configs: &[PathBuf]) -> anyhow::Result<()> {
        let exe = std::env::current_exe()?;
        for (i, c) in configs.iter().enumerate() {
            let netns = self.netns.get(i).map(String::as_str);
            self.children.push(testnet::spawn_in(netns, &exe, c)?);
        }
        Ok(())
    }

    /// Waits until every node answers, has committed a block and sees all
    /// its peers.
    pub(super) fn wait_ready(&mut self, sources: &[HttpSource]) -> anyhow::Result<()> {
        let n = sources.len();
        let start = Instant::now();
        for (i, s) in sources.iter().enumerate() {
            loop {
                if let Ok(st) = s.status() {
                    if st.height >= 1 && st.peers.len() + 1 >= n {
                        break;
                    }
                }
                for c in &mut self.children {
                    if let Ok(Some(code)) = c.try_wait() {
                        bail!(
                            "a node exited ({code}); see the logs in {}",
                            self.dir.display()
                        );
                    }
                }
                ensure!(
                    start.elapsed() < Duration::from_secs(90),
                    "node{i} was not ready within 90 s; see {}",
                    self.dir.display()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    /// Stops every node (SIGTERM, then waits).
    pub(super) fn stop(&mut self) {
        for c in &mut self.children {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        for c in &mut self.children {
            testnet::stop(c, Duration::from_secs(15));
        }
        self.children.clear();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
        if self.keep {
            eprintln!("kept {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Nearest-rank percentile of sorted `v` (`q` in 0..=1).
#[allow(
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub(super) fn percentile(v: &[Duration], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = (q * v.len() as f64).ceil() as usize;
    ms(v[rank.clamp(1, v.len()) - 1])
}

pub(super) fn latency_json(mut v: Vec<Duration>) -> serde_json::Value {
    v.sort_unstable();
    json!({
        "count": v.len(),
        "p50_ms": percentile(&v, 0.50),
        "p90_ms": percentile(&v, 0.90),
        "p99_ms": percentile(&v, 0.99),
        "max_ms": v.last().map_or(f64::NAN, |d| ms(*d)),
    })
}

/// Polls every node's height; `seen[i][h]` is the first instant node `i`
/// was seen at height `h` or above. After each round of polls it samples
/// the nodes' CPU time, so the CPU a phase used is read at the instant the
/// phase ended, not after the bench's own follow-up requests.
pub(super) struct Watcher {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Vec<Instant>>>>,
    cpu: Arc<Mutex<Vec<(Instant, Duration)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watcher {
    pub(super) fn start(apis: &[String], pids: Vec<u32>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(vec![Vec::new(); apis.len()]));
        let cpu = Arc::new(Mutex::new(Vec::new()));
        let c = Arc::clone(&cpu);
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        let urls: Vec<String> = apis.iter().map(|a| format!("{a}/v1/status")).collect();
        let (s, v) = (Arc::clone(&stop), Arc::clone(&seen));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for (i, url) in urls.iter().enumerate() {
                    let height = agent
                        .get(url)
                        .call()
                        .ok()
                        .and_then(|r| r.into_json::<serde_json::Value>().ok())
                        .and_then(|j| j["height"].as_u64());
                    let now = Instant::now();
                    if let Some(h) = height.and_then(|h| usize::try_from(h).ok()) {
                        let mut seen = v.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        while seen[i].len() <= h {
                            seen[i].push(now);
                        }
                    }
                }
                if let Some(t) = cpu_time(&pids) {
                    c.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((Instant::now(), t));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            stop,
            seen,
            cpu,
            thread: Some(thread),
        }
    }

    /// The nodes' CPU time sampled first at or after `t`.
    pub(super) fn cpu_at(&self, t: Instant) -> Option<Duration> {
        self.cpu
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(at, _)| *at >= t)
            .map(|(_, cpu)| *cpu)
    }

    /// When every node had reached `h`, if all have.
    pub(super) fn all_at(&self, h: u64) -> Option<Instant> {
        let h = usize::try_from(h).ok()?;
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.iter().map(|s| s.get(h).copied()).max().flatten()
    }

    /// Waits until every node is at `h` or above.
    pub(super) fn wait_all_at(&self, h: u64, within: Duration) -> anyhow::Result<Instant> {
        let start = Instant::now();
        loop {
            if let Some(t) = self.all_at(h) {
                return Ok(t);
            }
            ensure!(
                start.elapsed() < within,
                "the nodes did not all reach height {h} within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// CPU time (user + system) the processes have used so far, if the
/// platform tells (Linux `/proc`).
pub(super) fn cpu_time(pids: &[u32]) -> Option<Duration> {
    let tick = 100.0; // USER_HZ on every Linux ABI Veil targets
    let mut total = 0.0;
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the parenthesised command name; utime and stime are
        // fields 14 and 15 of the whole line.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let user: f64 = f.get(11)?.parse().ok()?;
        let system: f64 = f.get(12)?.parse().ok()?;
        total += (user + system) / tick;
    }
    Some(Duration::from_secs_f64(total))
}

/// `(txs channel bytes, txs channel frames, bytes of all channels)` sent by
/// all nodes so far.
pub(super) fn sent_counters(apis: &[String]) -> anyhow::Result<(u64, u64, u64)> {
    let mut totals = (0, 0, 0);
    for a in apis {
        let text = ureq::get(&format!("{a}/metrics"))
            .timeout(Duration::from_secs(10))
            .call()?
            .into_string()?;
        for line in text.lines() {
            let Some((name, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<u64>() else {
                continue;
            };
            if name.starts_with("veil_net_sent_bytes_total{") {
                totals.2 += value;
                if name.contains("channel=\"txs\"") {
                    totals.0 += value;
                }
            } else if name == "veil_net_sent_frames_total{channel=\"txs\"}" {
                totals.1 += value;
            }
        }
    }
    Ok(totals)
}

/// Waits until node `api` has every transaction of `hashes` in a block;
/// returns their heights.
pub(super) fn wait_committed(
    api: &HttpSource,
    hashes: &[TxHash],
    within: Duration,
) -> anyhow::Result<Vec<u64>> {
    let start = Instant::now();
    let mut heights = vec![None; hashes.len()];
    let mut next = 0;
    let mut missing_since: Option<Instant> = None;
    while next < hashes.len() {
        match api.tx_status(&hashes[next])? {
            TxStatus::Committed(h) => {
                heights[next] = Some(h);
                next += 1;
                missing_since = None;
                continue;
            }
            // Submitted elsewhere and not gossiped here yet, or dropped.
            TxStatus::NotFound => {
                let since = *missing_since.get_or_insert_with(Instant::now);
                ensure!(
                    since.elapsed() < Duration::from_secs(30),
                    "transaction {} is unknown to the node 30 s after submission",
                    hashes[next]
                );
            }
            TxStatus::Pending => missing_since = None,
        }
        ensure!(
            start.elapsed() < within,
            "{} of {} transactions still pending after {within:?}",
            hashes.len() - next,
            hashes.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(heights.into_iter().flatten().collect())
}

/// Where nodes run when not on 127.0.0.1: their namespaces, and how
/// their node files are rewritten for them.
pub(super) type Placement<'a> = (
    &'a super::bench_netns::Namespaces,
    &'a dyn Fn(&[PathBuf]) -> anyhow::Result<()>,
);

/// A running network with a funded payer and its transfers built.
pub(super) struct Funded {
    pub running: Running,
    pub configs: Vec<PathBuf>,
    pub apis: Vec<String>,
    pub sources: Vec<HttpSource>,
    pub encoded: Vec<Vec<u8>>,
    pub hashes: Vec<TxHash>,
    pub setup: Duration,
}

/// A testnet started and ready.
pub(super) struct Launched {
    pub running: Running,
    pub configs: Vec<PathBuf>,
    pub apis: Vec<String>,
    pub sources: Vec<HttpSource>,
}

/// Starts an `n`-validator testnet of `network` under the temporary
/// directory, `node_tail` (TOML tables) appended to every node file, and
/// waits until every node is ready.
pub(super) fn launch(
    network: &mut DevNetwork,
    n: usize,
    (api_base_port, p2p_base_port): (u16, u16),
    keep: bool,
    tag: &str,
    netns: Option<Placement<'_>>,
    node_tail: &str,
) -> anyhow::Result<Launched> {
    let dir = std::env::temp_dir().join(format!("veil-bench-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let configs = testnet::init_with(
        &TestnetArgs {
            validators: n,
            data_dir: dir.clone(),
            api_base_port,
            p2p_base_port,
            init_only: true,
            command: None,
        },
        network,
    )?;
    if !node_tail.is_empty() {
        for c in &configs {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new().append(true).open(c)?;
            writeln!(f, "\n{node_tail}")?;
        }
    }
    let mut running = Running {
        dir,
        children: Vec::new(),
        keep,
        netns: Vec::new(),
    };
    if let Some((namespaces, place)) = netns {
        place(&configs)?;
        running.netns = (0..n).map(|i| namespaces.name(i).to_owned()).collect();
    }
    running.start(&configs)?;
    let apis: Vec<String> = configs
        .iter()
        .map(|c| NodeFile::load(c).map(|f| format!("http://{}", f.api)))
        .collect::<anyhow::Result<_>>()?;
    let sources: Vec<HttpSource> = apis.iter().map(|a| HttpSource::new(a)).collect();
    running.wait_ready(&sources)?;
    Ok(Launched {
        running,
        configs,
        apis,
        sources,
    })
}

/// Starts an `n`-validator testnet (governed parameters overridden by
/// `governance`), waits until every node is ready, funds a payer with
/// mints and builds `txs` transfers (2 inputs at ring 16, 2 outputs)
/// without submitting them.
pub(super) fn start_funded(
    n: usize,
    txs: usize,
    (api_base_port, p2p_base_port): (u16, u16),
    governance: &[(&str, u64)],
    keep: bool,
    tag: &str,
    netns: Option<Placement<'_>>,
) -> anyhow::Result<Funded> {
    let t_setup = Instant::now();
    let mut network = DevNetwork::generate(&mut OsRng, crate::clock::now_ms())?;
    for (name, value) in governance {
        network
            .genesis
            .governance
            .insert((*name).to_owned(), *value);
    }
    let Launched {
        running,
        configs,
        apis,
        sources,
    } = launch(
        &mut network,
        n,
        (api_base_port, p2p_base_port),
        keep,
        tag,
        netns,
        "",
    )?;

    // Fund the payer and build every transfer before any clock starts.
    let asset = AssetId::new(DEV_ASSET)?;
    let payer = AccountKeys::from_seed(&[7; 32]);
    let payee = AccountKeys::from_seed(&[8; 32]);
    let mints = build_mints(&network, &asset, &payer, 2 * txs)?;
    let mint_hashes = mints
        .iter()
        .map(|m| Ok(sources[0].submit_bytes(&m.encode()?)?))
        .collect::<anyhow::Result<Vec<_>>>()?;
    wait_committed(&sources[0], &mint_hashes, Duration::from_secs(600))?;
    let mut wallet = Wallet::from_seed(&[7; 32], "payer");
    wallet.scan(&sources[0], 100, &mut |_, _| {})?;
    let owned: Vec<_> = wallet
        .state
        .outputs
        .iter()
        .filter(|o| o.spent.is_none())
        .take(2 * txs)
        .cloned()
        .collect();
    ensure!(
        owned.len() == 2 * txs,
        "funding produced {} outputs",
        owned.len()
    );
    let built = build_transfers(
        &sources[0],
        &wallet,
        &owned,
        &asset,
        &payer,
        &payee,
        1 << 32,
    )?;
    let encoded: Vec<Vec<u8>> = built.iter().map(Encode::encode).collect::<Result<_, _>>()?;
    let hashes: Vec<TxHash> = encoded.iter().map(|b| Transaction::hash_of(b)).collect();
    Ok(Funded {
        running,
        configs,
        apis,
        sources,
        encoded,
        hashes,
        setup: t_setup.elapsed(),
    })
}

/// Starts an `n`-validator network, loads it, measures, stops it.
#[allow(clippy::as_conversions, clippy::cast_precision_loss)] // counts to f64 for rates
fn measure(
    n: usize,
    args: &ClusterArgs,
    api_base_port: u16,
    p2p_base_port: u16,
) -> anyhow::Result<serde_json::Value> {
    let Funded {
        mut running,
        apis,
        sources,
        encoded,
        hashes,
        setup,
        ..
    } = start_funded(
        n,
        args.txs,
        (api_base_port, p2p_base_port),
        &[],
        args.keep,
        "cluster",
        None,
    )?;
    let mean_tx_bytes = encoded.iter().map(Vec::len).sum::<usize>() as f64 / encoded.len() as f64;

    let pids: Vec<u32> = running.children.iter().map(Child::id).collect();
    let watcher = Watcher::start(&apis, pids.clone());
    let within = Duration::from_secs(600);
    // Warm-up: building the transfers starved the nodes of CPU; start once
    // every node has committed two fresh blocks (consensus back at round 0).
    let now = sources[0].status()?.height;
    watcher.wait_all_at(now + 2, within)?;
    let before = sent_counters(&apis)?;

    // Light load: one at a time, round-robin, paced.
    let light = args.light;
    let light_f = light_phase(
        &sources,
        &watcher,
        &encoded[..light],
        &hashes[..light],
        args.light_rate,
        within,
    )?;

    // Throughput: `clients` threads, as fast as the nodes answer, each
    // sending `batch` transfers per request.
    let cpu_before = cpu_time(&pids);
    let t_load = Instant::now();
    let chunks: Vec<(usize, usize)> = (light..encoded.len())
        .step_by(args.batch)
        .map(|lo| (lo, (lo + args.batch).min(encoded.len())))
        .collect();
    let load_submitted: Vec<(usize, Instant)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.clients)
            .map(|c| {
                let (sources, encoded, chunks) = (&sources, &encoded, &chunks);
                scope.spawn(move || -> anyhow::Result<Vec<(usize, Instant)>> {
                    let mut out = Vec::new();
                    for (j, &(lo, hi)) in chunks.iter().enumerate().skip(c).step_by(args.clients) {
                        let at = Instant::now();
                        let node = &sources[j % n];
                        if hi - lo == 1 {
                            node.submit_bytes(&encoded[lo])
                                .with_context(|| format!("submitting transfer {lo}"))?;
                        } else {
                            submit_chunk(node, &encoded[lo..hi])
                                .with_context(|| format!("submitting transfers {lo}..{hi}"))?;
                        }
                        out.extend((lo..hi).map(|k| (k, at)));
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(
                w.join()
                    .map_err(|_| anyhow::anyhow!("a client panicked"))??,
            );
        }
        Ok::<_, anyhow::Error>(all)
    })?;
    let submit_time = t_load.elapsed();
    let mut load_at = vec![t_load; encoded.len() - light];
    for (k, at) in load_submitted {
        load_at[k - light] = at;
    }
    // Every mempool drained, before the per-transaction status reads that
    // give the heights (those cost the nodes CPU, and fall after `done`).
    wait_drained(&sources, within)?;
    let heights = wait_committed(&sources[0], &hashes, within)?;
    let top = heights.iter().copied().max().unwrap_or(0);
    let done = watcher.wait_all_at(top, within)?;
    let cpu_after = watcher.cpu_at(done);
    let after = sent_counters(&apis)?;

    let load_f = finality_of(&watcher, &heights[light..], &load_at);
    let load_n = encoded.len() - light;
    let load_time = done.saturating_duration_since(t_load);
    let cpu = cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b));
    let first_height = heights.iter().copied().min().unwrap_or(0);
    let blocks = top - first_height + 1;
    let links = n * (n - 1) / 2;
    let total = encoded.len() as f64;
    let gossip = if n > 1 {
        let tx_bytes = (after.0 - before.0) as f64;
        let tx_frames = (after.1 - before.1) as f64;
        let all_bytes = (after.2 - before.2) as f64;
        json!({
            "links": links,
            "tx_frames_per_tx": round3(tx_frames / total),
            "tx_frames_per_tx_ideal": n - 1,
            "tx_channel_bytes_per_tx_per_link": (tx_bytes / total / links as f64).round(),
            "tx_channel_bytes_per_tx_per_crossing": (tx_bytes / tx_frames.max(1.0)).round(),
            "all_channels_bytes_per_tx_per_link": (all_bytes / total / links as f64).round(),
        })
    } else {
        serde_json::Value::Null
    };
    drop(watcher);
    // The verify-only bound of the same transfers, on this machine's cores
    // with the nodes stopped: rings read from node 0's database.
    running.stop();
    let (verify_tps, from_bytes_tps) =
        verify_only_tps(&running.dir.join("node0").join("db"), &encoded)?;
    let committed_tps = load_n as f64 / load_time.as_secs_f64();
    drop(running);
    Ok(json!({
        "validators": n,
        "setup_s": round3(setup.as_secs_f64()),
        "mean_tx_bytes": mean_tx_bytes.round(),
        "light_load": {
            "rate_per_s": args.light_rate,
            "finality": latency_json(light_f),
        },
        "throughput": {
            "txs": load_n,
            "clients": args.clients,
            "submit_s": round3(submit_time.as_secs_f64()),
            "commit_s": round3(load_time.as_secs_f64()),
            "finality": latency_json(load_f),
            "nodes_cpu_s": cpu.map(|c| round3(c.as_secs_f64())),
            "nodes_cpu_ms_per_tx": cpu.map(|c| round3(c.as_secs_f64() * 1e3 / load_n as f64)),
            "nodes_cores_busy": cpu.map(|c| round3(c.as_secs_f64() / load_time.as_secs_f64())),
        },
        "committed_txs_per_s": committed_tps.round(),
        "batch": args.batch,
        "verify_only_txs_per_s": verify_tps.round(),
        "committed_vs_verify_only": round3(committed_tps / verify_tps),
        "decode_and_verify_txs_per_s": from_bytes_tps.round(),
        "committed_vs_decode_and_verify": round3(committed_tps / from_bytes_tps),
        "blocks": blocks,
        "mean_txs_per_block": round3(total / blocks as f64),
        "gossip": gossip,
    }))
}

/// Each transaction's finality: from its submission (`submitted`) to
/// the first instant every node was at its block (`heights`).
fn finality_of(watcher: &Watcher, heights: &[u64], submitted: &[Instant]) -> Vec<Duration> {
    heights
        .iter()
        .zip(submitted)
        .map(|(&h, &at)| {
            watcher
                .all_at(h)
                .map_or(Duration::ZERO, |t| t.saturating_duration_since(at))
        })
        .collect()
}

/// Submits `encoded` one at a time, round-robin over the nodes, at `rate`
/// per second, waits until every node has committed them all, and
/// returns each one's finality.
pub(super) fn light_phase(
    sources: &[HttpSource],
    watcher: &Watcher,
    encoded: &[Vec<u8>],
    hashes: &[TxHash],
    rate: u32,
    within: Duration,
) -> anyhow::Result<Vec<Duration>> {
    let interval = Duration::from_secs(1) / rate.max(1);
    let mut submitted = Vec::with_capacity(encoded.len());
    let start = Instant::now();
    for (k, bytes) in encoded.iter().enumerate() {
        let due = start + interval * u32::try_from(k)?;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        submitted.push(Instant::now());
        sources[k % sources.len()]
            .submit_bytes(bytes)
            .with_context(|| format!("submitting transfer {k}"))?;
    }
    let heights = wait_committed(&sources[0], hashes, within)?;
    if let Some(&top) = heights.iter().max() {
        watcher.wait_all_at(top, within)?;
    }
    Ok(finality_of(watcher, &heights, &submitted))
}

/// Waits until no node holds a waiting transaction.
pub(super) fn wait_drained(sources: &[HttpSource], within: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    for s in sources {
        while s.status()?.mempool.count > 0 {
            ensure!(
                start.elapsed() < within,
                "the mempools did not drain within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    Ok(())
}

/// Submits one batch, retrying what back-pressure refused (the whole batch
/// with 503, or single items as `busy` / `mempool-full`) after a pause.
pub(super) fn submit_chunk(node: &HttpSource, txs: &[Vec<u8>]) -> anyhow::Result<()> {
    let mut pending: Vec<Vec<u8>> = txs.to_vec();
    for _ in 0..600 {
        let answer = match node.submit_batch(&pending) {
            Ok(a) => a,
            Err(e) if e.problem().is_some_and(|p| p.status == 503) => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut retry = Vec::new();
        for item in answer.results {
            if let Some(p) = item.error {
                ensure!(p.status == 503, "transfer refused: {}", p.detail);
                retry.push(pending[item.index].clone());
            }
        }
        if retry.is_empty() {
            return Ok(());
        }
        pending = retry;
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the node kept refusing a batch for a minute")
}

/// Transfers per second checked on all cores (best of three passes each),
/// rings read from the database at `db` (the nodes stopped): verifying
/// transfers already in memory, and decoding them from their bytes first
/// (which decompresses every point in them, as a node receiving them must).
#[allow(clippy::as_conversions, clippy::cast_precision_loss)] // counts to f64 for rates
pub(super) fn verify_only_tps(
    db: &std::path::Path,
    encoded: &[Vec<u8>],
) -> anyhow::Result<(f64, f64)> {
    use rayon::prelude::*;
    let store: Arc<dyn crate::ledger::store::Store> =
        Arc::new(crate::ledger::store::RocksStore::open(db, false)?);
    let ledger = crate::ledger::Ledger::open(store)?;
    let decode = || -> anyhow::Result<Vec<Transaction>> {
        encoded
            .par_iter()
            .map(|b| Transaction::decode(b).map_err(anyhow::Error::from))
            .collect()
    };
    let txs = decode()?;
    let rings: Vec<_> = txs
        .iter()
        .map(|t| t.resolve_rings(&ledger))
        .collect::<Result<_, _>>()?;
    let verify = |txs: &[Transaction]| -> anyhow::Result<()> {
        let items: Vec<_> = txs.iter().zip(&rings).collect();
        let ok = crate::tx::verify_batch_parallel(&items);
        ensure!(
            ok.iter().all(Result::is_ok),
            "benchmark transfers do not verify"
        );
        Ok(())
    };
    let (mut in_memory, mut from_bytes) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        let started = Instant::now();
        verify(&txs)?;
        in_memory = in_memory.min(started.elapsed());
        let started = Instant::now();
        verify(&decode()?)?;
        from_bytes = from_bytes.min(started.elapsed());
    }
    let n = encoded.len() as f64;
    Ok((n / in_memory.as_secs_f64(), n / from_bytes.as_secs_f64()))
}
