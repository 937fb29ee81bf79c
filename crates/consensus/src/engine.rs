//! The consensus engine: one task owns the Malachite core [`State`] and
//! feeds it inputs (network messages, timeouts, our proposal, validation
//! results); the effects the core yields are executed here — broadcast on
//! our QUIC channels, timers on tokio, Ed25519 signing and verification,
//! WAL appends to RocksDB, and commit of the decided block with its
//! certificate.
//!
//! Values are block candidates ([`BlockValue`]): the proposer executes the
//! oldest waiting transactions on its tip (dropping invalid ones) and
//! proposes the resulting header plus hashes. A validator fetches any body
//! it lacks from the proposer, re-executes in validator mode and reports
//! the candidate valid only if its own header equals the proposed one; an
//! invalid candidate earns a nil prevote.
//!
//! Safety across restarts: every vote and proposal this node signs is
//! appended to the WAL (fsynced) before it is sent; after a restart the
//! WAL of the current height is replayed through the core with
//! [`State::index_wal_entries`], so a recorded vote is re-used, never
//! re-signed differently.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_malachitebft_core_consensus::{
    self as mcc, Effect, Input, LocallyProposedValue, Params, ProposedValue, Resumable, Resume,
    SignedConsensusMsg, State, ThresholdParams, ValuePayload,
};
use arc_malachitebft_core_types::{
    self as mct, CertificateError, CommitCertificate, LinearTimeouts, NilOrVal, PolkaCertificate,
    Round, RoundCertificate, SignedMessage, Timeout, Validity, ValueOrigin, VoteExtensionPolicy,
    VoteType,
};
use tokio::sync::mpsc;

use super::codec::{self, ConsensusMessage};
use super::context::{
    BlockValue, Height, NodeId, NodeSignature, Proposal, ValidatorSet, Veil, Vote,
};
use veil_codec::Encode;
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};
use veil_ledger::block::BlockHash;
use veil_ledger::execute::ExecutedBlock;
use veil_net::{Channel, Network};
use veil_node::Node;
use veil_tx::governance::liveness;
use veil_tx::Transaction;
use veil_wire::block::ChainId;

/// What wakes the engine.
#[derive(Debug)]
pub enum Event {
    /// A decoded message from a peer.
    Message(ConsensusMessage),
    /// A timer fired (height, timeout).
    Timeout(u64, Timeout),
    /// Our block candidate is ready.
    Proposed(LocallyProposedValue<Veil>),
    /// A peer's candidate was checked.
    Validated(ProposedValue<Veil>),
    /// Sync moved the tip.
    Advanced,
}

/// Executed candidates by block hash, waiting for a decision.
pub type Candidates = Arc<Mutex<HashMap<BlockHash, ExecutedBlock>>>;

/// Default of [`EngineConfig::state_sync_after`].
pub const DEFAULT_STATE_SYNC_AFTER: u64 = 1_000;

/// Consensus settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// Longest a proposer waits for transactions before proposing an
    /// empty block.
    pub empty_block_wait: Duration,
    /// Longest a proposer waits, while its admission verifier is still
    /// checking transactions, for them to reach the mempool: under load a
    /// block takes what is being verified instead of cutting a small block
    /// just before a large batch lands; at light load the verifier is idle
    /// and nothing waits.
    pub fill_wait: Duration,
    /// A proposer waits until this many transactions wait (or the block
    /// bound is reached) before proposing, for at most `min_block_wait`
    /// — an orderer's batch size and batch timeout. 0: propose as soon as
    /// anything waits (the default: lowest latency).
    pub min_block_txs: usize,
    /// Longest a proposer waits for `min_block_txs`; keep it below the
    /// propose timeout.
    pub min_block_wait: Duration,
    /// Blocks behind the best peer beyond which the node copies a
    /// checked state snapshot instead of replaying blocks (0: never).
    pub state_sync_after: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            timeouts: LinearTimeouts {
                propose: Duration::from_millis(2_500),
                propose_delta: Duration::from_millis(500),
                prevote: Duration::from_millis(500),
                prevote_delta: Duration::from_millis(250),
                precommit: Duration::from_millis(500),
                precommit_delta: Duration::from_millis(250),
                rebroadcast: Duration::from_millis(3_500),
                max_timeout: Duration::from_secs(20),
            },
            empty_block_wait: Duration::from_millis(1_000),
            fill_wait: Duration::from_millis(250),
            min_block_txs: 0,
            min_block_wait: Duration::ZERO,
            state_sync_after: DEFAULT_STATE_SYNC_AFTER,
        }
    }
}

/// Shared view of the engine for status reporting.
#[derive(Clone, Debug, Default)]
pub struct EngineStatus {
    /// Height being decided.
    pub height: u64,
    /// Current round.
    pub round: i64,
    /// Equivocations seen (double votes and double proposals).
    pub equivocations: u64,
}

struct Env {
    node: Arc<Node>,
    net: Network,
    key: Arc<SigningKey>,
    chain: ChainId,
    events: mpsc::Sender<Event>,
    timers: HashMap<Timeout, tokio::task::AbortHandle>,
    config: EngineConfig,
    candidates: Candidates,
    height: u64,
    replaying: bool,
    finalized: bool,
    wal_seq: u64,
    status: Arc<Mutex<EngineStatus>>,
    /// Proposals for later heights (the core buffers them; we check them
    /// when their height starts).
    future: Vec<SignedMessage<Veil, Proposal>>,
    /// Double votes seen, for the next block we propose (until the ledger
    /// records the offender as tombstoned).
    evidence: Arc<Mutex<Vec<liveness::DoubleVote>>>,
    /// Precommits for the height we just committed that arrived after the
    /// decision (the certificate holds only those that made the quorum):
    /// the commit record of our next proposal credits their signers too.
    late: Arc<Mutex<LatePrecommits>>,
}

/// Precommits for one committed height, kept unverified (they are checked
/// only if our next proposal uses them).
#[derive(Default)]
struct LatePrecommits {
    height: u64,
    votes: Vec<SignedMessage<Veil, Vote>>,
}

/// Most late precommits kept for one height (one per validator suffices).
const MAX_LATE: usize = liveness::MAX_COMMIT_SIGNATURES;

/// The engine task.
pub struct Engine {
    state: State<Veil>,
    env: Env,
    rx: mpsc::Receiver<Event>,
}

/// Reads the validator set that decides the next height from ledger
/// state.
pub fn validator_set(node: &Node) -> ValidatorSet {
    set_of(&node.ledger.validators().unwrap_or_default())
}

/// The commit record that goes first in our block at `height` (from 2
/// on): the certificate we hold for `height − 1` and the double votes we
/// saw whose offenders the ledger has not tombstoned yet.
fn last_commit(
    node: &Node,
    chain: &ChainId,
    height: u64,
    evidence: &Mutex<Vec<liveness::DoubleVote>>,
    late: &Mutex<LatePrecommits>,
) -> Option<Transaction> {
    if height < 2 {
        return None;
    }
    let bytes = node.certificate(height - 1).ok().flatten()?;
    let cert = codec::decode_commit(&bytes).ok()?;
    let mut signatures: Vec<([u8; 32], [u8; 64])> = cert
        .commit_signatures
        .iter()
        .map(|s| (s.address.0, s.signature.0))
        .collect();
    // Late precommits for the same block and round from members of the
    // signing set, each checked here (a bad one would make the ledger
    // refuse our block).
    let late: Vec<SignedMessage<Veil, Vote>> = {
        let l = late
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if l.height == height - 1 {
            l.votes.clone()
        } else {
            Vec::new()
        }
    };
    if !late.is_empty() {
        let set = liveness::signing_set(&*node.ledger, height - 1).unwrap_or_default();
        for v in &late {
            let m = &v.message;
            let key = m.validator.0;
            let fits = m.round == cert.round
                && m.value == NilOrVal::Val(cert.value_id)
                && set.iter().any(|(k, _)| *k == key)
                && !signatures.iter().any(|(k, _)| *k == key);
            if fits
                && VerifyingKey::from_bytes(&key).is_ok_and(|k| {
                    k.verify(&codec::vote_sign_bytes(chain, m), &Signature(v.signature.0))
                        .is_ok()
                })
            {
                signatures.push((key, v.signature.0));
            }
        }
    }
    signatures.sort_by_key(|(k, _)| *k);
    signatures.dedup_by_key(|(k, _)| *k);
    let jail = liveness::jail(&*node.ledger).unwrap_or_default();
    let mut evidence = evidence
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    evidence.retain(|e| {
        !jail
            .get(&e.validator)
            .is_some_and(liveness::Jailed::tombstoned)
    });
    let mut evidence = evidence.clone();
    evidence.sort_by_key(|e| e.validator);
    Some(Transaction::Commit(liveness::CommitRecord {
        height: height - 1,
        round: cert.round.as_u32()?,
        block: cert.value_id.0,
        signatures,
        evidence,
    }))
}

/// A double vote as a commit record carries it.
fn double_vote(pair: &mct::DoubleVote<Veil>) -> Option<liveness::DoubleVote> {
    let (a, b) = pair;
    let value = |v: &NilOrVal<veil_wire::block::BlockHash>| match v {
        NilOrVal::Nil => None,
        NilOrVal::Val(h) => Some(h.0),
    };
    let (mut first, mut second) = (
        (value(&a.message.value), a.signature.0),
        (value(&b.message.value), b.signature.0),
    );
    if first.0 > second.0 {
        std::mem::swap(&mut first, &mut second);
    }
    (first.0 != second.0).then(|| liveness::DoubleVote {
        validator: a.message.validator.0,
        precommit: a.message.kind == mct::VoteType::Precommit,
        height: a.message.height.0,
        round: a.message.round.as_u32().unwrap_or(0),
        first: first.0,
        first_signature: first.1,
        second: second.0,
        second_signature: second.1,
    })
}

/// Counts the validators of `set` missing from the certificate of a block
/// about to be committed (`veil_validator_missed_signatures`).
pub fn record_signers(node: &Node, set: &ValidatorSet, cert: &CommitCertificate<Veil>) {
    let members: Vec<[u8; 32]> = set.validators.iter().map(|v| v.address.0).collect();
    let signers: Vec<[u8; 32]> = cert.commit_signatures.iter().map(|s| s.address.0).collect();
    node.metrics.record_signers(&members, &signers);
}

/// The Malachite validator set of an allow-list: the nodes with power.
pub fn set_of(powers: &[([u8; 32], u64)]) -> ValidatorSet {
    ValidatorSet::new(
        powers
            .iter()
            .filter(|(_, power)| *power > 0)
            .filter_map(|(key, power)| {
                Some(super::context::Validator {
                    address: NodeId(*key),
                    key: VerifyingKey::from_bytes(key).ok()?,
                    power: *power,
                })
            })
            .collect(),
    )
}

impl Engine {
    /// An engine for `node`, sending on `net`.
    pub fn new(
        node: Arc<Node>,
        net: Network,
        key: Arc<SigningKey>,
        chain: ChainId,
        config: EngineConfig,
        candidates: Candidates,
        status: Arc<Mutex<EngineStatus>>,
    ) -> (Self, mpsc::Sender<Event>) {
        let (tx, rx) = mpsc::channel(65_536);
        let height = node.ledger.tip().height + 1;
        let set = validator_set(&node);
        let params = Params {
            address: NodeId(*key.public().as_bytes()),
            threshold_params: ThresholdParams::default(),
            value_payload: ValuePayload::ProposalAndParts,
            enabled: true,
        };
        let state = State::new(Veil, Height(height), set, params, 4_096, 1_024);
        let env = Env {
            node,
            net,
            key,
            chain,
            events: tx.clone(),
            timers: HashMap::new(),
            config,
            candidates,
            height,
            replaying: false,
            finalized: false,
            wal_seq: 0,
            status,
            future: Vec::new(),
            evidence: Arc::new(Mutex::new(Vec::new())),
            late: Arc::new(Mutex::new(LatePrecommits::default())),
        };
        (Self { state, env, rx }, tx)
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        self.start_height(true);
        loop {
            let event = tokio::select! {
                _ = shutdown.wait_for(|s| *s) => break,
                e = self.rx.recv() => match e { Some(e) => e, None => break },
            };
            self.on_event(event);
            let tip = self.env.node.ledger.tip().height;
            if self.env.finalized || tip >= self.env.height {
                self.env.finalized = false;
                self.start_height(false);
            }
        }
        for (_, t) in self.env.timers.drain() {
            t.abort();
        }
    }

    fn input(&mut self, input: Input<Veil>) {
        let env = &mut self.env;
        let result: Result<(), mcc::Error<Veil>> = mcc::process!(
            input: input,
            state: &mut self.state,
            metrics: &(),
            with: effect => env.effect(effect)
        );
        if let Err(e) = result {
            tracing::warn!(error = %e, "consensus input failed");
        }
        let mut s = self
            .env
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.height = self.state.height().0;
        s.round = self.state.round().as_i64();
    }

    fn on_event(&mut self, event: Event) {
        let input = match event {
            Event::Message(ConsensusMessage::Proposal(p)) => {
                // Fetching bodies and re-executing is work; do it only for
                // the designated proposer's signed proposal (the core
                // checks everything again).
                if p.message.height.0 == self.env.height {
                    if self.env.is_from_proposer(&p) {
                        self.env.validate(p.message.clone());
                    }
                } else if p.message.height.0 > self.env.height && self.env.future.len() < 64 {
                    self.env.future.push(p.clone());
                }
                Input::Proposal(p)
            }
            Event::Message(ConsensusMessage::Vote(v)) => {
                if v.message.kind == VoteType::Precommit
                    && v.message.height.0 + 1 == self.env.height
                {
                    let mut late = self
                        .env
                        .late
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if late.height != v.message.height.0 {
                        *late = LatePrecommits {
                            height: v.message.height.0,
                            votes: Vec::new(),
                        };
                    }
                    if late.votes.len() < MAX_LATE {
                        late.votes.push(v.clone());
                    }
                }
                Input::Vote(v)
            }
            Event::Message(ConsensusMessage::Polka(c)) => Input::PolkaCertificate(c),
            Event::Message(ConsensusMessage::Round(c)) => Input::RoundCertificate(c),
            Event::Timeout(h, t) => {
                if h != self.env.height {
                    return;
                }
                self.env.timers.remove(&t);
                Input::TimeoutElapsed(t)
            }
            Event::Proposed(v) => {
                if v.height.0 != self.env.height {
                    return;
                }
                Input::Propose(v)
            }
            Event::Validated(v) => {
                if v.height.0 != self.env.height {
                    return;
                }
                Input::ProposedValue(v, ValueOrigin::Consensus)
            }
            Event::Advanced => return,
        };
        self.input(input);
    }

    /// Starts the height after the ledger tip, replaying its WAL.
    fn start_height(&mut self, first: bool) {
        let height = self.env.node.ledger.tip().height + 1;
        for (_, t) in self.env.timers.drain() {
            t.abort();
        }
        self.env.height = height;
        self.env
            .candidates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, b| b.header.height >= height);
        let set = validator_set(&self.env.node);
        if set.validators.is_empty() {
            tracing::error!("no validators in ledger state; consensus cannot start");
            return;
        }
        let wal = if first {
            wal_entries(&self.env.node, height)
        } else {
            Vec::new()
        };
        let _ = self.env.node.wal_prune(height);
        let future = std::mem::take(&mut self.env.future);
        for p in future {
            match p.message.height.0.cmp(&height) {
                std::cmp::Ordering::Equal => {
                    if self.env.is_from_proposer(&p) {
                        self.env.validate(p.message);
                    }
                }
                std::cmp::Ordering::Greater => self.env.future.push(p),
                std::cmp::Ordering::Less => {}
            }
        }
        self.env.wal_seq = u64::try_from(wal.len()).unwrap_or(0);
        self.input(Input::StartHeight(
            Height(height),
            set,
            false,
            None,
            VoteExtensionPolicy::Disabled,
        ));
        if !wal.is_empty() {
            tracing::info!(height, entries = wal.len(), "replaying the consensus WAL");
            self.state.index_wal_entries(wal.iter());
            self.env.replaying = true;
            for entry in wal {
                if let Input::ProposedValue(v, _) = &entry {
                    // Re-execute our view of the candidate for commit.
                    if v.validity.is_valid() {
                        let p = Proposal {
                            height: v.height,
                            round: v.round,
                            value: v.value.clone(),
                            pol_round: v.valid_round,
                            proposer: v.proposer,
                        };
                        self.env.validate(p);
                    }
                }
                self.input(entry);
            }
            self.env.replaying = false;
            self.state.reset_entries_index();
        }
    }
}

fn verify_vote(chain: &ChainId, set: &ValidatorSet, v: &Vote, sig: &NodeSignature) -> bool {
    use mct::ValidatorSet as _;
    set.get_by_address(&v.validator).is_some_and(|val| {
        val.key
            .verify(&codec::vote_sign_bytes(chain, v), &Signature(sig.0))
            .is_ok()
    })
}

/// The check every certificate gets: each signer a known validator, each
/// signature valid over the vote `vote_of(i)` rebuilds, and the distinct
/// signers' power meeting `needed`. `bad(i)` is the error for signature `i`.
// The error type is the core's (`Resume::CertificateValidity`).
#[allow(clippy::result_large_err)]
fn verify_signers(
    chain: &ChainId,
    set: &ValidatorSet,
    needed: mct::ThresholdParam,
    signers: &[(NodeId, &NodeSignature)],
    vote_of: impl Fn(usize) -> Vote,
    bad: impl Fn(usize) -> CertificateError<Veil>,
) -> Result<(), CertificateError<Veil>> {
    use mct::ValidatorSet as _;
    let mut seen = std::collections::HashSet::new();
    let mut power = 0u64;
    for (i, (address, signature)) in signers.iter().enumerate() {
        let Some(val) = set.get_by_address(address) else {
            return Err(CertificateError::UnknownValidator(*address));
        };
        if !verify_vote(chain, set, &vote_of(i), signature) {
            return Err(bad(i));
        }
        if seen.insert(*address) {
            power += val.power;
        }
    }
    let total = set.total_voting_power();
    if !needed.is_met(power, total) {
        return Err(CertificateError::NotEnoughVotingPower {
            signed: power,
            total,
            expected: needed.min_expected(total),
        });
    }
    Ok(())
}

/// Whether `cert` is for exactly `header`: its height, and the header's
/// hash as the decided value.
pub fn certificate_decides(
    cert: &CommitCertificate<Veil>,
    header: &veil_wire::block::Header,
) -> bool {
    cert.height.0 == header.height && cert.value_id == header.hash()
}

/// How a block's commit certificate checked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertifiedBy {
    /// Precommit signatures in the certificate.
    pub signatures: usize,
    /// Their voting power.
    pub power: u64,
    /// The set's total power.
    pub total: u64,
}

/// Checks that `cert_bytes` (a stored commit certificate) decides
/// `header` with precommits of more than 2/3 of the power of `powers` (the
/// validator set of that height): what a client checks to trust a header
/// it was served (`veil vault log --verify`). The error says why not.
pub fn verify_block_certificate(
    header: &veil_wire::block::Header,
    cert_bytes: &[u8],
    powers: &[([u8; 32], u64)],
) -> Result<CertifiedBy, String> {
    let cert = codec::decode_commit(cert_bytes).map_err(|e| format!("malformed: {e}"))?;
    if !certificate_decides(&cert, header) {
        return Err("it decides another block".into());
    }
    let set = set_of(powers);
    verify_commit(&header.chain_id, &cert, &set, ThresholdParams::default())
        .map_err(|e| format!("{e:?}"))?;
    let power = cert
        .commit_signatures
        .iter()
        .filter_map(|s| powers.iter().find(|(k, _)| *k == s.address.0))
        .map(|(_, p)| *p)
        .sum();
    Ok(CertifiedBy {
        signatures: cert.commit_signatures.len(),
        power,
        total: powers.iter().map(|(_, p)| *p).sum(),
    })
}

/// Checks a commit certificate: distinct known validators, valid
/// precommit signatures for the value, more than 2/3 of the power.
// The error type is the core's (`Resume::CertificateValidity`).
#[allow(clippy::result_large_err)]
pub fn verify_commit(
    chain: &ChainId,
    cert: &CommitCertificate<Veil>,
    set: &ValidatorSet,
    thresholds: ThresholdParams,
) -> Result<(), CertificateError<Veil>> {
    let sigs = &cert.commit_signatures;
    let signers: Vec<_> = sigs.iter().map(|s| (s.address, &s.signature)).collect();
    verify_signers(
        chain,
        set,
        thresholds.quorum,
        &signers,
        |i| Vote {
            kind: VoteType::Precommit,
            height: cert.height,
            round: cert.round,
            value: NilOrVal::Val(cert.value_id),
            validator: sigs[i].address,
        },
        |i| CertificateError::InvalidCommitSignature(sigs[i].clone()),
    )
}

// The error type is the core's (`Resume::CertificateValidity`).
#[allow(clippy::result_large_err)]
fn verify_polka(
    chain: &ChainId,
    cert: &PolkaCertificate<Veil>,
    set: &ValidatorSet,
    thresholds: ThresholdParams,
) -> Result<(), CertificateError<Veil>> {
    let sigs = &cert.polka_signatures;
    let signers: Vec<_> = sigs.iter().map(|s| (s.address, &s.signature)).collect();
    verify_signers(
        chain,
        set,
        thresholds.quorum,
        &signers,
        |i| Vote {
            kind: VoteType::Prevote,
            height: cert.height,
            round: cert.round,
            value: NilOrVal::Val(cert.value_id),
            validator: sigs[i].address,
        },
        |i| CertificateError::InvalidPolkaSignature(sigs[i].clone()),
    )
}

// The error type is the core's (`Resume::CertificateValidity`).
#[allow(clippy::result_large_err)]
fn verify_round(
    chain: &ChainId,
    cert: &RoundCertificate<Veil>,
    set: &ValidatorSet,
    thresholds: ThresholdParams,
) -> Result<(), CertificateError<Veil>> {
    let sigs = &cert.round_signatures;
    let signers: Vec<_> = sigs.iter().map(|s| (s.address, &s.signature)).collect();
    let needed = match cert.cert_type {
        mct::RoundCertificateType::Precommit => thresholds.quorum,
        mct::RoundCertificateType::Skip => thresholds.honest,
    };
    verify_signers(
        chain,
        set,
        needed,
        &signers,
        |i| Vote {
            kind: sigs[i].vote_type,
            height: cert.height,
            round: cert.round,
            value: sigs[i].value_id,
            validator: sigs[i].address,
        },
        |i| CertificateError::InvalidRoundSignature(sigs[i].clone()),
    )
}

impl Env {
    fn publish(&self, msg: ConsensusMessage) {
        let channel = match msg {
            ConsensusMessage::Proposal(_) => Channel::Proposals,
            _ => Channel::Votes,
        };
        match msg.encode() {
            Ok(bytes) => self.net.broadcast(channel, &bytes),
            Err(e) => {
                tracing::error!(error = %e, "consensus message does not fit its encoding; not sent")
            }
        }
    }

    fn schedule(&mut self, t: Timeout) {
        let d = self.config.timeouts.duration_for(t);
        let events = self.events.clone();
        let h = self.height;
        let handle = tokio::spawn(async move {
            tokio::time::sleep(d).await;
            let _ = events.send(Event::Timeout(h, t)).await;
        });
        if let Some(old) = self.timers.insert(t, handle.abort_handle()) {
            old.abort();
        }
    }

    /// Builds our candidate off the engine task.
    fn build(&self, height: u64, round: Round) {
        let node = Arc::clone(&self.node);
        let events = self.events.clone();
        let candidates = Arc::clone(&self.candidates);
        let wait = self.config.empty_block_wait;
        let fill_wait = self.config.fill_wait;
        let (min_txs, min_wait) = (self.config.min_block_txs, self.config.min_block_wait);
        let proposer = *self.key.public().as_bytes();
        let evidence = Arc::clone(&self.evidence);
        let late = Arc::clone(&self.late);
        let chain = self.chain.clone();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            while node.mempool().is_empty() && started.elapsed() < wait {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            while min_txs > 0
                && node.mempool().len() < min_txs
                && !node.block_full()
                && started.elapsed() < min_wait
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let filling = tokio::time::Instant::now();
            while node.admitting_count() > 0 && !node.block_full() && filling.elapsed() < fill_wait
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let n = Arc::clone(&node);
            let built = tokio::task::spawn_blocking(move || {
                let leading = last_commit(&n, &chain, height, &evidence, &late);
                n.build_candidate(height, proposer, leading)
            })
            .await;
            match built {
                Ok(Ok(block)) => {
                    let value = BlockValue::new(&block.header, block.hashes.clone());
                    candidates
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(value.hash, block);
                    let _ = events
                        .send(Event::Proposed(LocallyProposedValue::new(
                            Height(height),
                            round,
                            value,
                        )))
                        .await;
                }
                Ok(Err(e)) => tracing::warn!(height, error = %e, "could not build a block"),
                Err(e) => tracing::error!(error = %e, "block builder panicked"),
            }
        });
    }

    /// Whether `p` is signed by the proposer our validator set designates
    /// for its height and round.
    fn is_from_proposer(&self, p: &SignedMessage<Veil, Proposal>) -> bool {
        use mct::Context as _;
        let set = validator_set(&self.node);
        if set.validators.is_empty() {
            return false;
        }
        let proposer = Veil.select_proposer(&set, p.message.height, p.message.round);
        proposer.address == p.message.proposer
            && proposer
                .key
                .verify(
                    &codec::proposal_sign_bytes(&self.chain, &p.message),
                    &Signature(p.signature.0),
                )
                .is_ok()
    }

    /// Checks a peer's candidate off the engine task.
    fn validate(&self, p: Proposal) {
        let node = Arc::clone(&self.node);
        let net = self.net.clone();
        let events = self.events.clone();
        let candidates = Arc::clone(&self.candidates);
        tokio::spawn(async move {
            let hash = p.value.hash;
            let known = candidates
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains_key(&hash);
            let valid = if known {
                true
            } else {
                match super::sync::check_candidate(&node, &net, &p.proposer.0, &p.value).await {
                    Ok(block) => {
                        candidates
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(hash, block);
                        true
                    }
                    Err(e) => {
                        tracing::warn!(height = p.height.0, block = %hash, error = %e, "proposed block refused");
                        false
                    }
                }
            };
            let _ = events
                .send(Event::Validated(ProposedValue {
                    height: p.height,
                    round: p.round,
                    valid_round: p.pol_round,
                    proposer: p.proposer,
                    value: p.value,
                    validity: Validity::from_bool(valid),
                }))
                .await;
        });
    }

    fn finalize(
        &mut self,
        cert: CommitCertificate<Veil>,
        evidence: &mcc::MisbehaviorEvidence<Veil>,
    ) {
        if !evidence.is_empty() {
            let mut s = self
                .status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = evidence.proposals.iter().count() + evidence.votes.iter().count();
            s.equivocations += u64::try_from(n.max(1)).unwrap_or(1);
            self.node.metrics.equivocations.inc();
            let mut queue = self
                .evidence
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (_, pairs) in &evidence.votes {
                if let Some(e) = pairs.first().and_then(double_vote) {
                    if queue.len() < liveness::MAX_EVIDENCE
                        && !queue.iter().any(|q| q.validator == e.validator)
                    {
                        queue.push(e);
                    }
                }
            }
            tracing::error!(height = cert.height.0, evidence = ?evidence, "equivocation evidence");
        }
        let height = cert.height.0;
        if self.node.ledger.tip().height >= height {
            self.finalized = true;
            return;
        }
        record_signers(&self.node, &validator_set(&self.node), &cert);
        let block = self
            .candidates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&cert.value_id);
        let Some(block) = block else {
            tracing::warn!(height, block = %cert.value_id, "decided block not executed here; leaving it to sync");
            return;
        };
        match self
            .node
            .commit_block(block, codec::encode_commit(&cert).ok())
        {
            Ok(summary) => {
                tracing::info!(height, round = %cert.round, txs = summary.txs, block = %cert.value_id, "block finalized");
                self.net.broadcast(
                    Channel::Status,
                    &super::sync::status_bytes(height, &cert.value_id),
                );
                self.finalized = true;
            }
            Err(e) => tracing::error!(height, error = %e, "commit failed"),
        }
    }

    fn effect(&mut self, effect: Effect<Veil>) -> Result<Resume<Veil>, String> {
        Ok(match effect {
            Effect::CancelAllTimeouts(r) => {
                for (_, t) in self.timers.drain() {
                    t.abort();
                }
                r.resume_with(())
            }
            Effect::CancelTimeout(t, r) => {
                if let Some(h) = self.timers.remove(&t) {
                    h.abort();
                }
                r.resume_with(())
            }
            Effect::ScheduleTimeout(t, r) => {
                self.schedule(t);
                r.resume_with(())
            }
            Effect::StartRound(h, round, proposer, _role, r) => {
                tracing::debug!(height = h.0, %round, %proposer, "round started");
                r.resume_with(())
            }
            Effect::PublishConsensusMsg(msg, r) => {
                if !self.replaying {
                    self.publish(match msg {
                        SignedConsensusMsg::Vote(v) => ConsensusMessage::Vote(v),
                        SignedConsensusMsg::Proposal(p) => ConsensusMessage::Proposal(p),
                    });
                }
                r.resume_with(())
            }
            Effect::PublishLivenessMsg(msg, r) => {
                self.publish(match msg {
                    mcc::LivenessMsg::Vote(v) => ConsensusMessage::Vote(v),
                    mcc::LivenessMsg::PolkaCertificate(c) => ConsensusMessage::Polka(c),
                    mcc::LivenessMsg::SkipRoundCertificate(c) => ConsensusMessage::Round(c),
                });
                r.resume_with(())
            }
            Effect::RepublishVote(v, r) => {
                self.publish(ConsensusMessage::Vote(v));
                r.resume_with(())
            }
            Effect::RepublishRoundCertificate(c, r) => {
                self.publish(ConsensusMessage::Round(c));
                r.resume_with(())
            }
            Effect::GetValue(h, round, _timeout, r) => {
                self.build(h.0, round);
                r.resume_with(())
            }
            // Bodies travel by gossip and fetch; there are no parts to restream.
            Effect::RestreamProposal(.., r) => r.resume_with(()),
            Effect::CertVerifiedSyncValue(.., r) => r.resume_with(()),
            Effect::CertRejectedSyncValue(.., r) => r.resume_with(()),
            Effect::Decide(_, _, r) => r.resume_with(()),
            Effect::Finalize(cert, _ext, evidence, r) => {
                self.finalize(cert, &evidence);
                r.resume_with(())
            }
            Effect::SignVote(v, r) => {
                let sig = self.key.sign(&codec::vote_sign_bytes(&self.chain, &v));
                r.resume_with(SignedMessage::new(v, NodeSignature(sig.0)))
            }
            Effect::SignProposal(p, r) => {
                let sig = self.key.sign(&codec::proposal_sign_bytes(&self.chain, &p));
                r.resume_with(SignedMessage::new(p, NodeSignature(sig.0)))
            }
            Effect::VerifySignature(msg, key, r) => {
                let digest = match &msg.message {
                    mcc::ConsensusMsg::Vote(v) => codec::vote_sign_bytes(&self.chain, v),
                    mcc::ConsensusMsg::Proposal(p) => codec::proposal_sign_bytes(&self.chain, p),
                };
                r.resume_with(key.verify(&digest, &Signature(msg.signature.0)).is_ok())
            }
            Effect::VerifyCommitCertificate(cert, set, th, r) => {
                r.resume_with(verify_commit(&self.chain, &cert, &set, th))
            }
            Effect::VerifyExtendedCommitCertificate(cert, _set, _th, _policy, r) => {
                // Veil never feeds sync values to the core (sync commits
                // blocks itself), so this is never asked; refuse.
                r.resume_with(Err(CertificateError::NotEnoughVotingPower {
                    signed: 0,
                    total: 0,
                    expected: u64::try_from(cert.commit_signatures.len()).unwrap_or(0) + 1,
                }))
            }
            Effect::VerifyPolkaCertificate(cert, set, th, r) => {
                r.resume_with(verify_polka(&self.chain, &cert, &set, th))
            }
            Effect::VerifyRoundCertificate(cert, set, th, r) => {
                r.resume_with(verify_round(&self.chain, &cert, &set, th))
            }
            Effect::WalAppend(h, input, r) => {
                if !self.replaying {
                    if let Some(bytes) = crate::wal::encode_wal(&input) {
                        let bytes =
                            bytes.map_err(|e| format!("WAL entry cannot be encoded: {e}"))?;
                        if let Err(e) = self.node.wal_append(h.0, self.wal_seq, bytes) {
                            return Err(format!("WAL append failed: {e}"));
                        }
                        self.wal_seq += 1;
                    }
                }
                r.resume_with(())
            }
            Effect::ExtendVote(.., r) => r.resume_with(None),
            Effect::VerifyVoteExtension(.., r) => r.resume_with(Ok(())),
        })
    }
}

/// The WAL entries recorded for `height`, in order (undecodable ones are
/// skipped with an error log, unreadable storage yields none).
fn wal_entries(node: &Node, height: u64) -> Vec<Input<Veil>> {
    node.wal_rows(height)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| match crate::wal::decode_wal(&v) {
            Ok(i) => Some(i),
            Err(e) => {
                tracing::error!(error = %e, "undecodable WAL entry skipped");
                None
            }
        })
        .collect()
}
