//! The peer set: dialing, accepting, admission, per-channel writers and
//! readers, transaction gossip with deduplication, and request/response.
//!
//! Topology: every node connects to every allow-listed peer it is told
//! about (a consortium is small and fully meshed). To keep exactly one
//! connection per pair, the node with the *lower* key dials; the other
//! accepts. A peer that reconnects replaces its old connection.
//!
//! Gossip: a transaction is pushed to every peer that is not known to hold
//! it (it sent it to us, or we sent it before); each peer's known set is a
//! bounded FIFO of hashes. Receivers verify and admit but do not forward:
//! in a full mesh the submitting node's push already reached everyone, so
//! each transaction crosses each link at most once. A peer that missed it
//! (down at the time) fetches missing bodies when a proposal names them.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::admission::{self, AdmissionError};
use super::frame::{read_frame, write_frame, Channel, MAX_REQUEST, MAX_RESPONSE};
use super::tls::{self, AllowList};
use veil_crypto::signing::SigningKey;

/// A peer to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerAddr {
    /// Its node key.
    pub key: [u8; 32],
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Network settings.
pub struct NetConfig {
    /// This node's key.
    pub key: Arc<SigningKey>,
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Known peers.
    pub peers: Vec<PeerAddr>,
    /// Chain identifier (bound into admission).
    pub chain_id: veil_wire::block::ChainId,
}

/// A message received on a channel.
#[derive(Debug)]
pub struct Inbound {
    /// The sender's node key.
    pub from: [u8; 32],
    /// The payload (not yet decoded).
    pub payload: Vec<u8>,
}

/// One bounded queue per channel, drained by the node.
pub struct Inboxes {
    /// Proposals.
    pub proposals: mpsc::Receiver<Inbound>,
    /// Votes and certificates.
    pub votes: mpsc::Receiver<Inbound>,
    /// Transactions.
    pub txs: mpsc::Receiver<Inbound>,
    /// Tip announcements.
    pub status: mpsc::Receiver<Inbound>,
}

/// Answers requests from peers (runs on the blocking pool).
pub type RequestHandler = Arc<dyn Fn([u8; 32], Vec<u8>) -> Vec<u8> + Send + Sync>;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Not connected to that peer.
    #[error("not connected to {0}")]
    NotConnected(String),
    /// Stream failure or deadline.
    #[error("request failed: {0}")]
    Failed(String),
    /// Endpoint set-up failed.
    #[error("network: {0}")]
    Setup(String),
}

/// Counters the node exports as metrics.
#[derive(Default, Debug)]
pub struct NetCounters {
    /// Bytes sent per channel (payload + 4-byte frame header).
    pub sent_bytes: [AtomicU64; 4],
    /// Frames sent per channel.
    pub sent_frames: [AtomicU64; 4],
    /// Frames dropped because a peer's queue was full.
    pub dropped_frames: AtomicU64,
    /// Connections refused or closed, by reason.
    pub refused: Mutex<HashMap<&'static str, u64>>,
}

impl NetCounters {
    fn refuse(&self, reason: &'static str) {
        *self
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(reason)
            .or_insert(0) += 1;
    }

    /// Refusals so far, by reason.
    pub fn refusals(&self) -> Vec<(&'static str, u64)> {
        let mut v: Vec<_> = self
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        v.sort();
        v
    }
}

const KNOWN_TXS: usize = 65_536;
const QUEUE: usize = 4_096;

struct Known {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl Known {
    /// Records `h`; false if it was known already.
    fn insert(&mut self, h: [u8; 32]) -> bool {
        if !self.set.insert(h) {
            return false;
        }
        self.order.push_back(h);
        if self.order.len() > KNOWN_TXS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

struct Peer {
    conn: quinn::Connection,
    queues: Vec<mpsc::Sender<Arc<[u8]>>>,
    known: Mutex<Known>,
}

struct Inner {
    key: Arc<SigningKey>,
    chain: veil_wire::block::ChainId,
    endpoint: quinn::Endpoint,
    allow: AllowList,
    peers: Mutex<HashMap<[u8; 32], Arc<Peer>>>,
    inbox: [mpsc::Sender<Inbound>; 4],
    handler: RequestHandler,
    nonces: Mutex<HashSet<[u8; 32]>>,
    counters: NetCounters,
    peer_source: Mutex<Option<PeerSource>>,
    refusal_log: RefusalLog,
}

/// How often refusals from one address are logged (every refusal is
/// counted in `veil_peer_refusals_total`).
const REFUSAL_LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Rate-limits refusal logging: one line per address per interval, the
/// next one saying how many were not logged in between.
#[derive(Default)]
struct RefusalLog {
    seen: Mutex<HashMap<std::net::IpAddr, (std::time::Instant, u64)>>,
}

impl RefusalLog {
    /// Most addresses tracked; beyond, the table starts over.
    const MAX: usize = 4_096;

    /// `Some(n)`: log this refusal, `n` refusals from `ip` were not
    /// logged since the last line; `None`: count it silently.
    fn check(&self, ip: std::net::IpAddr, now: std::time::Instant) -> Option<u64> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((since, skipped)) = seen.get_mut(&ip) {
            if now.saturating_duration_since(*since) < REFUSAL_LOG_INTERVAL {
                *skipped += 1;
                return None;
            }
            let n = *skipped;
            *since = now;
            *skipped = 0;
            return Some(n);
        }
        if seen.len() >= Self::MAX {
            seen.clear();
        }
        seen.insert(ip, (now, 0));
        Some(0)
    }
}

/// Where peers registered after start-up listen (the ledger's registered
/// nodes): consulted on every dialing round.
pub type PeerSource = Arc<dyn Fn() -> Vec<PeerAddr> + Send + Sync>;

/// The running network (cheap to clone).
#[derive(Clone)]
pub struct Network {
    inner: Arc<Inner>,
}

impl Network {
    /// Binds the endpoint, starts accepting and dialing.
    pub fn start(
        config: NetConfig,
        allow: AllowList,
        handler: RequestHandler,
    ) -> Result<(Self, Inboxes), NetError> {
        let setup = |e: tls::TlsError| NetError::Setup(e.to_string());
        let server = tls::server_config(&config.key, Arc::clone(&allow)).map_err(setup)?;
        let client = tls::client_config(&config.key, Arc::clone(&allow)).map_err(setup)?;
        let mut endpoint = quinn::Endpoint::server(server, config.listen)
            .map_err(|e| NetError::Setup(format!("binding {}: {e}", config.listen)))?;
        endpoint.set_default_client_config(client);
        let (p_tx, proposals) = mpsc::channel(1_024);
        let (v_tx, votes) = mpsc::channel(16_384);
        let (t_tx, txs) = mpsc::channel(16_384);
        let (s_tx, status) = mpsc::channel(1_024);
        let net = Self {
            inner: Arc::new(Inner {
                key: config.key,
                chain: config.chain_id,
                endpoint,
                allow,
                peers: Mutex::new(HashMap::new()),
                inbox: [p_tx, v_tx, t_tx, s_tx],
                handler,
                nonces: Mutex::new(HashSet::new()),
                counters: NetCounters::default(),
                peer_source: Mutex::new(None),
                refusal_log: RefusalLog::default(),
            }),
        };
        tokio::spawn(net.clone().accept_loop());
        let own = *net.inner.key.public().as_bytes();
        let dial: Vec<PeerAddr> = config.peers.into_iter().filter(|p| own < p.key).collect();
        tokio::spawn(net.clone().dial_loop(dial));
        Ok((
            net,
            Inboxes {
                proposals,
                votes,
                txs,
                status,
            },
        ))
    }

    /// Dials, besides the configured peers, those `source` names (the
    /// lower key of a pair dials, as for configured peers).
    pub fn set_peer_source(&self, source: PeerSource) {
        *self
            .inner
            .peer_source
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(source);
    }

    /// Closes the connections of peers the allow-list no longer admits
    /// (removed from the ledger); returns how many.
    pub fn enforce_allow_list(&self) -> usize {
        let gone: Vec<[u8; 32]> = self
            .peers()
            .into_iter()
            .filter(|k| !(self.inner.allow)(k))
            .collect();
        for k in &gone {
            self.disconnect(k, "removed");
        }
        gone.len()
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.endpoint.local_addr().ok()
    }

    /// Counters.
    pub fn counters(&self) -> &NetCounters {
        &self.inner.counters
    }

    /// The keys of admitted peers.
    pub fn peers(&self) -> Vec<[u8; 32]> {
        let mut v: Vec<[u8; 32]> = self.lock_peers().keys().copied().collect();
        v.sort();
        v
    }

    fn lock_peers(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Arc<Peer>>> {
        self.inner
            .peers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn peer(&self, key: &[u8; 32]) -> Option<Arc<Peer>> {
        self.lock_peers().get(key).cloned()
    }

    fn enqueue(&self, peer: &Peer, channel: Channel, payload: Arc<[u8]>) {
        if let Some(q) = peer.queues.get(usize::from(channel.id())) {
            if q.try_send(payload).is_err() {
                self.inner
                    .counters
                    .dropped_frames
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sends `payload` on `channel` to every admitted peer.
    pub fn broadcast(&self, channel: Channel, payload: &[u8]) {
        let payload: Arc<[u8]> = Arc::from(payload);
        let peers: Vec<Arc<Peer>> = self.lock_peers().values().cloned().collect();
        for p in peers {
            self.enqueue(&p, channel, Arc::clone(&payload));
        }
    }

    /// Sends `payload` on `channel` to one peer.
    pub fn send(&self, to: &[u8; 32], channel: Channel, payload: &[u8]) {
        if let Some(p) = self.peer(to) {
            self.enqueue(&p, channel, Arc::from(payload));
        }
    }

    /// Pushes a transaction to every peer not known to hold it.
    pub fn gossip_tx(&self, hash: [u8; 32], bytes: &[u8]) {
        let payload: Arc<[u8]> = Arc::from(bytes);
        let peers: Vec<Arc<Peer>> = self.lock_peers().values().cloned().collect();
        for p in peers {
            let fresh = p
                .known
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(hash);
            if fresh {
                self.enqueue(&p, Channel::Txs, Arc::clone(&payload));
            }
        }
    }

    /// Records that `peer` holds transaction `hash` (it sent it to us).
    pub fn mark_known(&self, peer: &[u8; 32], hash: [u8; 32]) {
        if let Some(p) = self.peer(peer) {
            p.known
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(hash);
        }
    }

    /// Closes the connection to `peer` (it misbehaved).
    pub fn disconnect(&self, peer: &[u8; 32], reason: &'static str) {
        let removed = self.lock_peers().remove(peer);
        if let Some(p) = removed {
            tracing::warn!(peer = %hex::encode(&peer[..6]), reason, "disconnecting peer");
            self.inner.counters.refuse(reason);
            p.conn.close(quinn::VarInt::from_u32(2), reason.as_bytes());
        }
    }

    /// Sends a request to `peer` and waits for its answer.
    pub async fn request(
        &self,
        peer: &[u8; 32],
        request: &[u8],
        deadline: Duration,
    ) -> Result<Vec<u8>, NetError> {
        let p = self
            .peer(peer)
            .ok_or_else(|| NetError::NotConnected(hex::encode(&peer[..6])))?;
        let fail = |e: String| NetError::Failed(e);
        tokio::time::timeout(deadline, async {
            let (mut send, mut recv) = p.conn.open_bi().await.map_err(|e| fail(e.to_string()))?;
            write_frame(&mut send, request)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let _ = send.finish();
            read_frame(&mut recv, MAX_RESPONSE)
                .await
                .map_err(|e| fail(e.to_string()))?
                .ok_or_else(|| fail("peer closed the stream".into()))
        })
        .await
        .map_err(|_| fail("deadline".into()))?
    }

    /// Closes every connection and the endpoint.
    pub fn shutdown(&self) {
        self.inner
            .endpoint
            .close(quinn::VarInt::from_u32(0), b"shutting down");
    }

    async fn accept_loop(self) {
        while let Some(incoming) = self.inner.endpoint.accept().await {
            let net = self.clone();
            let remote = incoming.remote_address();
            tokio::spawn(async move {
                let conn = match incoming.await {
                    Ok(c) => c,
                    Err(e) => {
                        net.inner.counters.refuse("tls");
                        if let Some(skipped) = net
                            .inner
                            .refusal_log
                            .check(remote.ip(), std::time::Instant::now())
                        {
                            tracing::warn!(%remote, error = %e, skipped, "inbound connection refused during TLS (skipped: refusals from this address not logged in the last minute)");
                        }
                        return;
                    }
                };
                let inner = &net.inner;
                match admission::accept(
                    &conn,
                    &inner.key,
                    &inner.chain,
                    inner.allow.as_ref(),
                    &inner.nonces,
                )
                .await
                {
                    Ok(key) => net.admitted(conn, key).await,
                    Err(e) => net.refused(&conn, &e),
                }
            });
        }
    }

    fn refused(&self, conn: &quinn::Connection, e: &AdmissionError) {
        self.inner.counters.refuse(e.reason());
        let remote = conn.remote_address();
        if let Some(skipped) = self
            .inner
            .refusal_log
            .check(remote.ip(), std::time::Instant::now())
        {
            tracing::warn!(%remote, reason = e.reason(), error = %e, skipped, "admission refused (skipped: refusals from this address not logged in the last minute)");
        }
        conn.close(quinn::VarInt::from_u32(1), e.reason().as_bytes());
    }

    async fn dial_loop(self, peers: Vec<PeerAddr>) {
        let own = *self.inner.key.public().as_bytes();
        loop {
            let source = self
                .inner
                .peer_source
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let extra: Vec<PeerAddr> = source
                .map_or_else(Vec::new, |f| f())
                .into_iter()
                .filter(|p| own < p.key && !peers.iter().any(|q| q.key == p.key))
                .collect();
            for p in peers.iter().chain(extra.iter()) {
                // Never dial a key the ledger does not (or no longer) admit.
                if self.peer(&p.key).is_some() || !(self.inner.allow)(&p.key) {
                    continue;
                }
                let connecting = match self.inner.endpoint.connect(p.addr, "veil") {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!(peer = %p.addr, error = %e, "dial failed");
                        continue;
                    }
                };
                let conn = match tokio::time::timeout(Duration::from_secs(3), connecting).await {
                    Ok(Ok(c)) => c,
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %p.addr, error = %e, "dial failed");
                        continue;
                    }
                    Err(_) => continue,
                };
                if tls::peer_key(&conn) != Some(p.key) {
                    tracing::warn!(peer = %p.addr, "peer presented another key than configured");
                    conn.close(quinn::VarInt::from_u32(1), b"unexpected key");
                    continue;
                }
                match admission::dial(&conn, &self.inner.key, &self.inner.chain).await {
                    Ok(()) => {
                        let net = self.clone();
                        let key = p.key;
                        tokio::spawn(async move { net.admitted(conn, key).await });
                    }
                    Err(e) => self.refused(&conn, &e),
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            if self.inner.endpoint.open_connections() == 0 && peers.is_empty() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    /// Runs an admitted connection until it closes.
    async fn admitted(self, conn: quinn::Connection, key: [u8; 32]) {
        let short = hex::encode(&key[..6]);
        let mut queues = Vec::new();
        let mut writers = Vec::new();
        for channel in Channel::ALL {
            let (tx, rx) = mpsc::channel::<Arc<[u8]>>(QUEUE);
            queues.push(tx);
            let conn2 = conn.clone();
            let net = self.clone();
            writers.push(tokio::spawn(async move {
                net.writer(conn2, channel, rx).await;
            }));
        }
        let peer = Arc::new(Peer {
            conn: conn.clone(),
            queues,
            known: Mutex::new(Known {
                set: HashSet::new(),
                order: VecDeque::new(),
            }),
        });
        if let Some(old) = self.lock_peers().insert(key, Arc::clone(&peer)) {
            old.conn.close(quinn::VarInt::from_u32(0), b"replaced");
        }
        tracing::info!(peer = %short, remote = %conn.remote_address(), "peer admitted");
        let uni = tokio::spawn(self.clone().read_uni(conn.clone(), key));
        let bi = tokio::spawn(self.clone().serve_requests(conn.clone(), key));
        let reason = conn.closed().await;
        tracing::info!(peer = %short, reason = %reason, "peer disconnected");
        uni.abort();
        bi.abort();
        for w in writers {
            w.abort();
        }
        let mut peers = self.lock_peers();
        if peers.get(&key).is_some_and(|p| Arc::ptr_eq(p, &peer)) {
            peers.remove(&key);
        }
    }

    async fn writer(
        self,
        conn: quinn::Connection,
        channel: Channel,
        mut rx: mpsc::Receiver<Arc<[u8]>>,
    ) {
        let Ok(mut stream) = conn.open_uni().await else {
            return;
        };
        if stream.write_all(&[channel.id()]).await.is_err() {
            return;
        }
        let i = usize::from(channel.id());
        while let Some(payload) = rx.recv().await {
            if write_frame(&mut stream, &payload).await.is_err() {
                return;
            }
            let c = &self.inner.counters;
            c.sent_frames[i].fetch_add(1, Ordering::Relaxed);
            c.sent_bytes[i].fetch_add(
                u64::try_from(payload.len() + 4).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        }
    }

    async fn read_uni(self, conn: quinn::Connection, key: [u8; 32]) {
        while let Ok(mut stream) = conn.accept_uni().await {
            let net = self.clone();
            tokio::spawn(async move {
                let mut id = [0u8; 1];
                if stream.read_exact(&mut id).await.is_err() {
                    return;
                }
                let Some(channel) = Channel::from_id(id[0]) else {
                    net.disconnect(&key, "unknown-channel");
                    return;
                };
                let inbox = &net.inner.inbox[usize::from(channel.id())];
                loop {
                    match read_frame(&mut stream, channel.max_frame()).await {
                        Ok(Some(payload)) => {
                            if inbox.try_send(Inbound { from: key, payload }).is_err() {
                                net.inner
                                    .counters
                                    .dropped_frames
                                    .fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(None) => return,
                        Err(super::frame::FrameError::TooLarge { .. }) => {
                            net.disconnect(&key, "oversized-frame");
                            return;
                        }
                        Err(_) => return,
                    }
                }
            });
        }
    }

    async fn serve_requests(self, conn: quinn::Connection, key: [u8; 32]) {
        while let Ok((mut send, mut recv)) = conn.accept_bi().await {
            let net = self.clone();
            tokio::spawn(async move {
                let request = match read_frame(&mut recv, MAX_REQUEST).await {
                    Ok(Some(r)) => r,
                    Ok(None) => return,
                    Err(super::frame::FrameError::TooLarge { .. }) => {
                        net.disconnect(&key, "oversized-request");
                        return;
                    }
                    Err(_) => return,
                };
                let handler = Arc::clone(&net.inner.handler);
                let Ok(answer) = tokio::task::spawn_blocking(move || handler(key, request)).await
                else {
                    return;
                };
                if write_frame(&mut send, &answer).await.is_ok() {
                    let _ = send.finish();
                }
            });
        }
    }
}

#[cfg(test)]
mod refusal_log_tests {
    use super::*;

    #[test]
    fn one_line_per_address_per_interval() {
        let log = RefusalLog::default();
        let a: std::net::IpAddr = [127, 0, 0, 2].into();
        let b: std::net::IpAddr = [127, 0, 0, 3].into();
        let t0 = std::time::Instant::now();
        assert_eq!(log.check(a, t0), Some(0));
        for i in 1..=50 {
            assert_eq!(log.check(a, t0 + std::time::Duration::from_millis(i)), None);
        }
        assert_eq!(log.check(b, t0), Some(0), "another address logs at once");
        let later = t0 + REFUSAL_LOG_INTERVAL;
        assert_eq!(
            log.check(a, later),
            Some(50),
            "the next line counts the skipped"
        );
        assert_eq!(log.check(a, later), None);
    }
}
