//! A network of validator processes (`veil node --config` children on
//! 127.0.0.1), for the cluster tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use veil::cli::testnet::{self, TestnetArgs};
use veil::crypto::signing::SigningKey;
use veil::net::{admission, tls};
use veil::wire::block::ChainId;

use super::http::get;

pub const EXE: &str = env!("CARGO_BIN_EXE_veil");

pub struct Net {
    pub dir: tempfile::TempDir,
    pub configs: Vec<PathBuf>,
    pub apis: Vec<String>,
    pub quic: Vec<std::net::SocketAddr>,
    pub children: Vec<Option<Child>>,
}

impl Drop for Net {
    fn drop(&mut self) {
        for c in self.children.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The first port of a block of 100 (API ports at +0.., QUIC at +50..)
/// that is free right now. Blocks lie below the kernel's ephemeral range
/// (32768 and up), so outgoing connections of concurrent tests cannot take
/// them; the process id spreads concurrent test binaries over the blocks,
/// and a block handed out is never handed out again in this process (two
/// tests of one binary starting networks at once would otherwise both see
/// the same block free before either binds it).
pub fn base_port() -> u16 {
    const BLOCKS: u32 = 220; // 10_000 ..= 31_999
    static CLAIMED: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut claimed = CLAIMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let start = std::process::id() % BLOCKS;
    for k in 0..BLOCKS {
        let base = 10_000 + u16::try_from((start + k) % BLOCKS).unwrap() * 100;
        if claimed.contains(&base) {
            continue;
        }
        let free = (base..base + 100).all(|p| {
            std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
                && std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok()
        });
        if free {
            claimed.push(base);
            return base;
        }
    }
    panic!("no free block of 100 ports below 32000");
}

impl Net {
    pub fn start(n: usize) -> Self {
        Self::start_with(n, "")
    }

    /// `n` validators whose genesis also carries `genesis_extra` (TOML
    /// appended to the generated `genesis.toml`, e.g. a `[governance]`
    /// table).
    pub fn start_with(n: usize, genesis_extra: &str) -> Self {
        Self::start_full(n, genesis_extra, "")
    }

    /// `n` validators with `genesis_extra` as in [`Net::start_with`] and
    /// `node_extra` (top-level keys) put at the head of every node file.
    pub fn start_full(n: usize, genesis_extra: &str, node_extra: &str) -> Self {
        Self::start_tail(n, genesis_extra, node_extra, "")
    }

    /// As [`Net::start_full`], with `node_tail` (tables, e.g. `[vault]`)
    /// appended to every node file.
    pub fn start_tail(n: usize, genesis_extra: &str, node_extra: &str, node_tail: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = base_port();
        let args = TestnetArgs {
            validators: n,
            data_dir: dir.path().to_path_buf(),
            api_base_port: base,
            p2p_base_port: base + 50,
            init_only: true,
            command: None,
        };
        let configs = testnet::init(&args).unwrap();
        if !genesis_extra.is_empty() {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.path().join("dev/genesis.toml"))
                .unwrap();
            writeln!(f, "\n{genesis_extra}").unwrap();
        }
        if !node_extra.is_empty() || !node_tail.is_empty() {
            for c in &configs {
                let text = std::fs::read_to_string(c).unwrap();
                std::fs::write(c, format!("{node_extra}\n{text}\n{node_tail}\n")).unwrap();
            }
        }
        let files: Vec<_> = configs
            .iter()
            .map(|c| veil::node_config::NodeFile::load(c).unwrap())
            .collect();
        let mut net = Self {
            apis: files.iter().map(|f| format!("http://{}", f.api)).collect(),
            quic: files.iter().map(|f| f.listen).collect(),
            configs,
            children: Vec::new(),
            dir,
        };
        for i in 0..n {
            let child = testnet::spawn(Path::new(EXE), &net.configs[i]).unwrap();
            net.children.push(Some(child));
        }
        net
    }

    pub fn kill(&mut self, i: usize) {
        let mut c = self.children[i].take().unwrap();
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
    }

    /// Freezes node `i` (SIGSTOP): its sockets stay open but it answers
    /// nothing.
    pub fn freeze(&self, i: usize) {
        self.signal(i, "-STOP");
    }

    /// Lets a frozen node `i` run again (SIGCONT).
    pub fn thaw(&self, i: usize) {
        self.signal(i, "-CONT");
    }

    fn signal(&self, i: usize, sig: &str) {
        let pid = self.children[i].as_ref().unwrap().id().to_string();
        let ok = Command::new("kill").args([sig, &pid]).status().unwrap();
        assert!(ok.success(), "kill {sig} {pid}");
    }

    pub fn restart(&mut self, i: usize) {
        self.children[i] = Some(testnet::spawn(Path::new(EXE), &self.configs[i]).unwrap());
    }

    pub fn status(&self, i: usize) -> Option<Value> {
        // The node may not be listening yet (or any more).
        let r = ureq::get(&format!("{}/v1/status", self.apis[i]))
            .timeout(Duration::from_secs(5))
            .call()
            .ok()?;
        r.into_json().ok()
    }

    pub fn height(&self, i: usize) -> u64 {
        self.status(i).map_or(0, |s| s["height"].as_u64().unwrap())
    }

    pub fn wait_height(&self, i: usize, h: u64, within: Duration) {
        let start = Instant::now();
        while self.height(i) < h {
            assert!(
                start.elapsed() < within,
                "node{i} did not reach height {h} within {within:?} (at {}); logs:\n{}",
                self.height(i),
                (0..self.configs.len())
                    .map(|j| format!("--- node{j} ---\n{}", self.log(j)))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self, i: usize) -> String {
        let text =
            std::fs::read_to_string(self.configs[i].with_extension("log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn block_hash(&self, i: usize, h: u64) -> String {
        let (code, body) = get(&format!("{}/v1/blocks/{h}", self.apis[i]));
        assert_eq!(code, 200, "node{i} block {h}: {body}");
        format!(
            "{}/{}",
            body["header"]["hash"], body["header"]["state_root"]
        )
    }

    /// All `nodes` have the same block hash at `h` (and the same state root
    /// in that header).
    pub fn agree(&self, nodes: &[usize], h: u64) {
        let hashes: Vec<String> = nodes.iter().map(|&i| self.block_hash(i, h)).collect();
        assert!(
            hashes.windows(2).all(|w| w[0] == w[1]),
            "block {h} differs: {hashes:?}"
        );
    }

    pub fn node_key(&self, i: usize) -> SigningKey {
        let path = self.dir.path().join(format!("node{i}/node.key"));
        let (seed, _) = veil::wallet::keystore::load_seed(&path, "node", "dev").unwrap();
        SigningKey::from_seed(seed.expose())
    }

    pub fn wallet(&self, name: &str) -> String {
        self.dir
            .path()
            .join(format!("dev/{name}.wallet"))
            .display()
            .to_string()
    }

    pub fn metric(&self, i: usize, name: &str) -> u64 {
        let text = ureq::get(&format!("{}/metrics", self.apis[i]))
            .call()
            .unwrap()
            .into_string()
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

pub fn veil(args: &[&str]) -> String {
    let out = Command::new(EXE)
        .args(args)
        .env("VEIL_PASSPHRASE", "dev")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "veil {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A QUIC connection to `addr` with `key`, admitted (or the error).
pub async fn dial(
    key: &SigningKey,
    allow_any: bool,
    addr: std::net::SocketAddr,
    chain: &ChainId,
) -> Result<quinn::Connection, String> {
    let allow: tls::AllowList = Arc::new(move |_| allow_any);
    let mut ep = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    ep.set_default_client_config(tls::client_config(key, allow).unwrap());
    let conn = ep
        .connect(addr, "veil")
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    admission::dial(&conn, key, chain)
        .await
        .map_err(|e| e.to_string())?;
    Ok(conn)
}
