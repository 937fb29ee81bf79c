//! `veil bench vault`: the evidence vault on a real network of
//! validators (child processes on 127.0.0.1, real HTTP and QUIC).
//!
//! * **raw AEAD**: XChaCha20-Poly1305 over 1 MiB buffers in memory, one
//!   core: the bound a single stream is measured against;
//! * **durable store**: the same bytes written as a node stores chunks
//!   (file synced, renamed, directory synced) on the nodes' filesystem:
//!   the bound the disk puts on any upload, which every node must make
//!   durable before it submits the put;
//! * **upload**: `--mib` MiB of random bytes from a file, encrypted on the
//!   client, streamed to node 0, checked chunk by chunk, the put committed
//!   (`veil vault put`'s path), MiB/s of plaintext;
//! * **replication**: from the put's commit until every other validator
//!   holds every chunk (pulled over QUIC, each chunk checked);
//! * **download**: an opening recorded, the stream fetched from node 0 and
//!   decrypted to a file, MiB/s; the file's SHA-256 must equal the
//!   original's;
//! * **repair**: node 2's chunk directory deleted, until it holds every
//!   chunk again;
//! * node 0's resident memory (peak, sampled every 100 ms during upload and
//!   download) against the document's size.
//!
//! Ratios are of figures measured in the same run.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::ensure;
use rand_core::{OsRng, RngCore};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::dev::DevNetwork;
use crate::tx::vault::party::Party;
use crate::wallet::vault as vv;
use crate::wallet::Wallet;
use veil_client::Client;

use super::bench::round3;
use super::bench_cluster::{launch, Launched};
use super::bench_overload::rss;

/// Options of `veil bench vault`.
#[derive(Debug, clap::Args)]
pub struct VaultBenchArgs {
    /// Document size, MiB.
    #[arg(long, default_value_t = 100)]
    pub mib: u64,
    /// Validators (node 0 takes the upload; the others replicate).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// First API port.
    #[arg(long, default_value_t = 18950)]
    pub api_port: u16,
    /// First QUIC port.
    #[arg(long, default_value_t = 19950)]
    pub p2p_port: u16,
}

#[allow(clippy::as_conversions, clippy::cast_precision_loss)] // bytes and seconds to rates
fn mib_per_s(bytes: u64, d: Duration) -> f64 {
    round3(bytes as f64 / (1024.0 * 1024.0) / d.as_secs_f64().max(1e-9))
}

#[allow(clippy::as_conversions, clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    round3(bytes as f64 / (1024.0 * 1024.0))
}

fn secs(d: Duration) -> f64 {
    round3(d.as_secs_f64())
}

/// XChaCha20-Poly1305 throughput over 1 MiB buffers, MiB/s.
fn raw_aead(total: u64) -> anyhow::Result<f64> {
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let cipher =
        XChaCha20Poly1305::new_from_slice(&[7u8; 32]).map_err(|_| anyhow::anyhow!("key length"))?;
    let mut buf = vec![0x5au8; 1 << 20];
    let n = total.div_ceil(1 << 20).max(1);
    let start = Instant::now();
    for i in 0..n {
        let mut nonce = [0u8; 24];
        nonce[..8].copy_from_slice(&i.to_le_bytes());
        let tag = cipher
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), b"", &mut buf)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        std::hint::black_box(&tag);
    }
    Ok(mib_per_s(n << 20, start.elapsed()))
}

/// What storing costs on this disk: `total` bytes of random 1 MiB chunks
/// written as a node stores them (a temporary file synced, renamed into
/// place, the directory synced: `DirChunkStore::put_verified`) under
/// `dir`, the nodes' filesystem; MiB/s. No upload can be faster, since a
/// node stores every chunk before the put is submitted.
fn durable_store(dir: &Path, total: u64) -> anyhow::Result<f64> {
    let root = dir.join("disk-probe");
    let store = crate::ledger::chunks::DirChunkStore::open(&root)?;
    let mut buf = vec![0u8; 1 << 20];
    let n = total.div_ceil(1 << 20).max(1);
    let mut elapsed = Duration::ZERO;
    for _ in 0..n {
        OsRng.fill_bytes(&mut buf);
        let hash: [u8; 32] = Sha256::digest(&buf).into();
        let start = Instant::now();
        store.put_verified(&hash, &buf)?;
        elapsed += start.elapsed();
    }
    std::fs::remove_dir_all(&root)?;
    Ok(mib_per_s(n << 20, elapsed))
}

/// Samples `pid`'s peak RSS until dropped.
struct Peak {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Peak {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss(pid).unwrap_or(0)));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss(pid).unwrap_or(0), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

fn chunk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |subdirs| {
        subdirs
            .flatten()
            .filter_map(|d| std::fs::read_dir(d.path()).ok())
            .map(|files| {
                files
                    .flatten()
                    .filter(|f| !f.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .sum()
    })
}

fn wait_chunks(dirs: &[PathBuf], want: usize, within: Duration) -> anyhow::Result<Duration> {
    let start = Instant::now();
    while !dirs.iter().all(|d| chunk_count(d) >= want) {
        ensure!(
            start.elapsed() < within,
            "chunks did not arrive within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(start.elapsed())
}

fn sha256_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Runs `veil bench vault`.
pub fn vault(args: &VaultBenchArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(args.mib >= 1, "--mib must be positive");
    ensure!(args.validators >= 2, "--validators: at least 2");
    let total = args.mib << 20;
    let raw = raw_aead(total.min(256 << 20))?;

    let mut network = DevNetwork::generate(&mut OsRng, crate::clock::now_ms())?;
    let Launched {
        running,
        apis,
        sources,
        ..
    } = launch(
        &mut network,
        args.validators,
        (args.api_port, args.p2p_port),
        false,
        "vault",
        None,
        "[vault]\nrepair_interval_ms = 100",
    )?;
    let dir = running.dir.clone();
    let pid = running
        .children
        .first()
        .map(std::process::Child::id)
        .ok_or_else(|| anyhow::anyhow!("no node"))?;

    // The document: random bytes in a file (no memory-held input).
    let input = dir.join("document.bin");
    {
        let mut f = std::fs::File::create(&input)?;
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..args.mib {
            OsRng.fill_bytes(&mut buf);
            f.write_all(&buf)?;
        }
    }
    let want = sha256_file(&input)?;
    let disk = durable_store(&dir, total)?;
    let wallet = Wallet::from_seed(&network.bank_a_seed, "bank-a");
    let party = Party::from_account(wallet.keys()?);
    let client = Client::new(&apis[0]);
    vv::ensure_enrolled(&client, &sources[0], &party)?;

    let peak = Peak::start(pid);
    let started = Instant::now();
    // Phase ends, from the progress callback: the first encryption pass
    // (the manifest's), sending (the second pass, sealed as it goes out);
    // the rest waits for the block.
    let (mut encrypted, mut sent) = (Duration::ZERO, Duration::ZERO);
    let stored = vv::put(
        &client,
        &sources[0],
        &party,
        None,
        &[],
        std::io::BufReader::new(std::fs::File::open(&input)?),
        veil_vault::Metadata {
            name: "document.bin".into(),
            media_type: "application/octet-stream".into(),
        },
        &mut |stage, _| match stage {
            "encrypting" => encrypted = started.elapsed(),
            _ => sent = started.elapsed(),
        },
    )?;
    let upload = started.elapsed();
    let upload_rss = peak.finish();
    let chunks = usize::try_from(stored.plain_len.div_ceil(1 << 20).max(1))?;
    let stores: Vec<PathBuf> = (0..args.validators)
        .map(|i| dir.join(format!("node{i}/vault/chunks")))
        .collect();
    let replication = wait_chunks(&stores[1..], chunks, Duration::from_secs(600))?;

    let peak = Peak::start(pid);
    let d = vv::document(&client, &stored.ctx.id)?;
    let v = vv::version_of(&d, None)?;
    let out = dir.join("document.out");
    let started = Instant::now();
    let open = vv::open_record(&party, &d, v, &stored.key, crate::clock::now_ms(), 600_000)?;
    vv::download(&client, &open, &stored.key, v, &out, &mut |_, _| {})?;
    let download = started.elapsed();
    let download_rss = peak.finish();
    ensure!(sha256_file(&out)? == want, "the download differs");

    let repaired_node = 2.min(args.validators - 1);
    // Renamed first: the node may start repairing while it is removed.
    let lost = dir.join("lost-chunks");
    std::fs::rename(&stores[repaired_node], &lost)?;
    std::fs::remove_dir_all(&lost)?;
    let repair = wait_chunks(
        &stores[repaired_node..=repaired_node],
        chunks,
        Duration::from_secs(600),
    )?;
    let upload_rate = mib_per_s(total, upload);
    let download_rate = mib_per_s(total, download);
    Ok(json!({
        "document_mib": args.mib,
        "chunks": chunks,
        "validators": args.validators,
        "raw_xchacha20poly1305_mib_per_s": raw,
        "upload_mib_per_s": upload_rate,
        "upload_vs_raw_aead": round3(upload_rate / raw),
        "durable_store_mib_per_s": disk,
        "upload_vs_durable_store": round3(upload_rate / disk),
        "upload_encrypt_s": secs(encrypted),
        "upload_send_s": secs(sent.saturating_sub(encrypted)),
        "upload_commit_wait_s": secs(upload.saturating_sub(sent)),
        "upload_stream_mib_per_s": mib_per_s(total, sent),
        "upload_stream_vs_raw_aead": round3(mib_per_s(total, sent) / raw),
        "download_mib_per_s": download_rate,
        "download_vs_raw_aead": round3(download_rate / raw),
        "replication_to_peers_s": secs(replication),
        "replication_peers": args.validators - 1,
        "repair_one_node_s": secs(repair),
        "node_rss_peak_upload_mib": mib(upload_rss),
        "node_rss_peak_download_mib": mib(download_rss),
    }))
}
