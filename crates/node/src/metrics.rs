//! Prometheus metrics (`GET /metrics`, OpenMetrics text format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label of rejection counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// The problem code (e.g. `double-spend`).
    pub reason: String,
}

/// Label of per-validator counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ValidatorLabel {
    /// The validator's node key, hex.
    pub validator: String,
}

/// Labels of HTTP request counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The matched route (`/v1/blocks/{height}`), or `unmatched`.
    pub route: String,
    /// The method.
    pub method: String,
    /// The response status.
    pub status: String,
}

/// Label of HTTP latency histograms.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    /// The matched route, or `unmatched`.
    pub route: String,
}

/// The node's metrics.
pub struct Metrics {
    registry: Registry,
    /// Tip height.
    pub height: Gauge,
    /// Transactions waiting.
    pub mempool_txs: Gauge,
    /// Bytes waiting.
    pub mempool_bytes: Gauge,
    /// Transactions admitted to the mempool.
    pub accepted: Counter,
    /// Transactions refused, by reason.
    pub rejected: Family<Reason, Counter>,
    /// Refusals of every reason (for the node's own history).
    pub rejected_total: std::sync::atomic::AtomicU64,
    /// Blocks committed.
    pub blocks: Counter,
    /// Transactions committed.
    pub committed_txs: Counter,
    /// Verification time per admitted batch, per transaction.
    pub verify_seconds: Histogram,
    /// Block execution and commit time.
    pub block_seconds: Histogram,
    /// Equivocations (double votes, double proposals) seen in decided heights.
    pub equivocations: Counter,
    /// Committed blocks whose commit certificate lacks a validator's
    /// precommit, per validator of the set that decided them.
    pub missed_signatures: Family<ValidatorLabel, Counter>,
    /// API requests served, by route, method and status.
    pub http_requests: Family<HttpLabels, Counter>,
    /// API request latency, by route.
    pub http_seconds: Family<RouteLabel, Histogram>,
}

fn http_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("veil");
        let m = Self {
            height: Gauge::default(),
            mempool_txs: Gauge::default(),
            mempool_bytes: Gauge::default(),
            accepted: Counter::default(),
            rejected: Family::default(),
            rejected_total: std::sync::atomic::AtomicU64::new(0),
            blocks: Counter::default(),
            committed_txs: Counter::default(),
            verify_seconds: Histogram::new(exponential_buckets(0.0002, 2.0, 14)),
            block_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            equivocations: Counter::default(),
            missed_signatures: Family::default(),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(http_buckets),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "API requests served, by route, method and status",
            m.http_requests.clone(),
        );
        registry.register(
            "http_request_seconds",
            "API request latency, by route",
            m.http_seconds.clone(),
        );
        registry.register(
            "block_height",
            "Height of the last committed block",
            m.height.clone(),
        );
        registry.register(
            "mempool_transactions",
            "Transactions waiting in the mempool",
            m.mempool_txs.clone(),
        );
        registry.register(
            "mempool_bytes",
            "Bytes waiting in the mempool",
            m.mempool_bytes.clone(),
        );
        registry.register(
            "transactions_accepted",
            "Transactions admitted to the mempool",
            m.accepted.clone(),
        );
        registry.register(
            "transactions_rejected",
            "Transactions refused, by reason",
            m.rejected.clone(),
        );
        registry.register("blocks_committed", "Blocks committed", m.blocks.clone());
        registry.register(
            "transactions_committed",
            "Transactions committed",
            m.committed_txs.clone(),
        );
        registry.register(
            "tx_verify_seconds",
            "Proof verification time per transaction",
            m.verify_seconds.clone(),
        );
        registry.register(
            "block_seconds",
            "Block execution and commit time",
            m.block_seconds.clone(),
        );
        registry.register(
            "consensus_equivocations",
            "Equivocations (double votes or proposals) recorded as evidence",
            m.equivocations.clone(),
        );
        registry.register(
            "validator_missed_signatures",
            "Committed blocks whose certificate (as this node committed it) lacks the validator's precommit",
            m.missed_signatures.clone(),
        );
        Self { registry, ..m }
    }
}

impl Metrics {
    /// The exposition text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts, for a committed block, each validator of the set that
    /// decided it whose precommit the certificate lacks (and creates the
    /// counter at 0 for those that signed, so every validator is listed).
    pub fn record_signers(&self, set: &[[u8; 32]], signers: &[[u8; 32]]) {
        for v in set {
            let c = self.missed_signatures.get_or_create(&ValidatorLabel {
                validator: hex::encode(v),
            });
            if !signers.contains(v) {
                c.inc();
            }
        }
    }

    /// Counts a refusal.
    pub fn reject(&self, reason: &str) {
        self.rejected_total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.rejected
            .get_or_create(&Reason {
                reason: reason.to_owned(),
            })
            .inc();
    }
}
