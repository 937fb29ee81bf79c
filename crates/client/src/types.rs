//! JSON bodies of the HTTP API, shared by the server and the wallet's
//! client so that both sides agree by construction. Hashes, keys and
//! transactions are lower-case hex.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/transactions` with `Content-Type: application/json`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The encoded transaction, hex.
    pub tx: String,
}

/// A transaction was accepted into the mempool.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitResponse {
    /// Transaction hash.
    pub hash: String,
    /// Always `pending`.
    pub status: String,
}

/// `POST /v1/transactions/batch`: many transactions in one request.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBatchRequest {
    /// The encoded transactions, hex, at most 1,000.
    pub txs: Vec<String>,
}

/// The outcome of each transaction of a batch, in the request's order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitBatchResponse {
    /// Items accepted into the mempool.
    pub accepted: usize,
    /// Items refused.
    pub refused: usize,
    /// One per item, in order.
    pub results: Vec<BatchItem>,
}

/// One item of a batch.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchItem {
    /// Position in the request (from 0).
    pub index: usize,
    /// `pending` (accepted) or `refused`.
    pub status: String,
    /// Transaction hash, when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Why it was refused: the problem the single-transaction endpoint
    /// would have answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Where a transaction is.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TxStatusResponse {
    /// Transaction hash.
    pub hash: String,
    /// `pending` or `committed`.
    pub status: String,
    /// Block height, when committed.
    pub height: Option<u64>,
    /// Position in the block, when committed.
    pub position: Option<u32>,
    /// The transaction: bytes as hex and its public fields (absent only
    /// if it left the mempool between the two reads).
    #[serde(default)]
    pub transaction: Option<BlockTxJson>,
}

/// A block header.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HeaderJson {
    /// Chain identifier.
    pub chain_id: String,
    /// Height.
    pub height: u64,
    /// Block hash.
    pub hash: String,
    /// Parent hash.
    pub parent: String,
    /// Block time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Merkle root of the transaction hashes.
    pub tx_root: String,
    /// State-tree root after the block.
    pub state_root: String,
    /// Proposer node key.
    pub proposer: String,
    /// Number of transactions.
    pub tx_count: u32,
}

/// A transaction inside a block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockTxJson {
    /// Hash.
    pub hash: String,
    /// `transfer`, `mint`, `regulator-keys`, `access`, `did`, `trust`,
    /// `credential`, `governance` or `commit`.
    pub kind: String,
    /// Asset.
    pub asset: String,
    /// Global index of its first output (outputs are consecutive).
    pub first_output: u64,
    /// Number of outputs.
    pub outputs: u32,
    /// Key images spent, hex.
    pub key_images: Vec<String>,
    /// The encoded transaction, hex.
    pub hex: String,
    /// Encoded size, bytes.
    #[serde(default)]
    pub size: usize,
    /// The fee in the asset's minor units (a transfer's fee is public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<u64>,
    /// Ring size of each input.
    #[serde(default)]
    pub ring_sizes: Vec<usize>,
    /// One-time key of each output, hex.
    #[serde(default)]
    pub one_time_keys: Vec<String>,
    /// Amount commitment of each output (the sum of its limbs), hex.
    #[serde(default)]
    pub commitments: Vec<String>,
    /// What the transaction carries besides its outputs, and how big each
    /// part is (proofs, signatures, ciphertexts).
    #[serde(default)]
    pub parts: Vec<PartJson>,
}

/// One part of a transaction and its encoded size.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PartJson {
    /// `range-proof` (Bulletproofs+), `regulator-proof` (the ciphertexts'
    /// proof of consistency), `ring-signatures` (CLSAG, all inputs),
    /// `issuer-signature`, `output-payloads` (encrypted notes, all
    /// outputs), `regulator-payload`.
    pub name: String,
    /// Bytes.
    pub bytes: usize,
}

/// `GET /v1/node/history`: the node's own samples of the last hour.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryJson {
    /// Seconds between samples.
    pub interval_s: u64,
    /// Oldest first.
    pub samples: Vec<SampleJson>,
}

/// One sample of a node's counters.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SampleJson {
    /// When, ms since the Unix epoch.
    pub time_ms: u64,
    /// Committed height.
    pub height: u64,
    /// Transactions committed per second since the previous sample.
    pub committed_tps: f64,
    /// Blocks committed since the previous sample.
    pub blocks: u64,
    /// Median finality of those blocks (commit here − block timestamp), ms.
    pub finality_p50_ms: Option<u64>,
    /// Slowest of those blocks, ms.
    pub finality_max_ms: Option<u64>,
    /// Transactions in the mempool.
    pub mempool_txs: u64,
    /// Bytes in the mempool.
    pub mempool_bytes: u64,
    /// Transactions refused since the previous sample.
    pub rejected: u64,
}

/// `GET /v1/node/health`: what an operator checks first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthJson {
    /// Software version.
    pub version: String,
    /// Seconds since the node started.
    pub uptime_s: u64,
    /// Committed height.
    pub height: u64,
    /// Seconds since the last block's timestamp.
    pub last_block_age_s: u64,
    /// Bytes under the node's database directory.
    pub data_bytes: u64,
    /// Free bytes on the database's file system.
    pub disk_free_bytes: Option<u64>,
    /// Size of that file system.
    pub disk_total_bytes: Option<u64>,
    /// Mempool capacity: most transactions.
    pub mempool_max_txs: usize,
    /// Mempool capacity: most bytes.
    pub mempool_max_bytes: usize,
    /// Connected peers (none on a single dev node).
    pub peers: Vec<PeerJson>,
    /// Conditions an operator should look at, worst first.
    pub alerts: Vec<AlertJson>,
    /// The node's recent warnings and errors, newest first.
    pub events: Vec<EventJson>,
}

/// A condition that needs an operator.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AlertJson {
    /// `critical` or `warning`.
    pub severity: String,
    /// Stable code: `stalled`, `mempool-full`, `disk-low`, `syncing`,
    /// `isolated`, `peers-low`, `equivocation`, `errors-logged`.
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// A warning or error the node logged.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventJson {
    /// When, ms since the Unix epoch.
    pub time_ms: u64,
    /// `WARN` or `ERROR`.
    pub level: String,
    /// Module.
    pub target: String,
    /// Message and fields.
    pub message: String,
}

/// A block with its transactions.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockJson {
    /// Header.
    pub header: HeaderJson,
    /// Transactions.
    pub txs: Vec<BlockTxJson>,
    /// The node keys (hex) whose precommits are in the block's commit
    /// certificate (empty on a single dev node, which has none).
    #[serde(default)]
    pub signers: Vec<String>,
    /// The block's commit certificate (hex of its wire encoding,
    /// wire-format.md "Commit certificate"): the precommit signatures that
    /// decided it. Absent on a single dev node, which has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// A range of blocks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlocksJson {
    /// Blocks in height order.
    pub blocks: Vec<BlockJson>,
}

/// An output on the ledger.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OutputJson {
    /// Global index within its asset.
    pub index: u64,
    /// One-time key.
    pub key: String,
    /// Amount commitment.
    pub commitment: String,
    /// View tag.
    pub view_tag: u8,
    /// Creating transaction.
    pub tx: String,
    /// Position among that transaction's outputs.
    pub position: u8,
    /// Height.
    pub height: u64,
}

/// Outputs of one asset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OutputsJson {
    /// Asset.
    pub asset: String,
    /// Total number of outputs of the asset.
    pub count: u64,
    /// The requested outputs.
    pub outputs: Vec<OutputJson>,
}

/// Whether a key image is spent.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyImageJson {
    /// The key image.
    pub key_image: String,
    /// Spent in a committed block?
    pub spent: bool,
    /// Spent by a transaction waiting in the mempool?
    pub pending: bool,
    /// Spending transaction.
    pub tx: Option<String>,
    /// Its height.
    pub height: Option<u64>,
}

/// An asset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetJson {
    /// Ticker.
    pub id: String,
    /// Name.
    pub name: String,
    /// Decimal places.
    pub decimals: u8,
    /// Issuer key.
    pub issuer: String,
    /// Number of outputs.
    pub outputs: u64,
}

/// Mempool occupancy.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MempoolJson {
    /// Transactions waiting.
    pub count: usize,
    /// Bytes waiting.
    pub bytes: usize,
}

/// Node status.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusJson {
    /// Software version.
    pub version: String,
    /// Chain identifier.
    pub chain_id: String,
    /// Genesis block hash.
    pub genesis: String,
    /// Genesis time.
    pub genesis_timestamp_ms: u64,
    /// Tip height.
    pub height: u64,
    /// Tip hash.
    pub hash: String,
    /// Tip time.
    pub timestamp_ms: u64,
    /// State root after the tip.
    pub state_root: String,
    /// Whether the node is catching up.
    pub syncing: bool,
    /// Mempool.
    pub mempool: MempoolJson,
    /// Assets.
    pub assets: Vec<AssetJson>,
    /// Epoch of the next block.
    pub epoch: u64,
    /// The regulator key new transfers should encrypt to (in force for the
    /// next block; see `/v1/regulator-keys` for all).
    pub regulator_key: Option<String>,
    /// This node's key (absent on a single dev node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_key: Option<String>,
    /// Height and round consensus is deciding (networks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus: Option<ConsensusJson>,
    /// Admitted peers.
    #[serde(default)]
    pub peers: Vec<PeerJson>,
    /// Validators and observers from ledger state.
    #[serde(default)]
    pub validators: Vec<ValidatorJson>,
}

/// Consensus progress.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsensusJson {
    /// Height being decided.
    pub height: u64,
    /// Round (−1 before the first).
    pub round: i64,
    /// Equivocations recorded as evidence.
    pub equivocations: u64,
}

/// An admitted peer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PeerJson {
    /// Node key, hex.
    pub key: String,
    /// Last tip it announced.
    pub height: Option<u64>,
}

/// A validator (power > 0) or observer (power 0).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidatorJson {
    /// Node key, hex.
    pub key: String,
    /// Voting power.
    pub power: u64,
}

/// A state record with its proof against the current state root.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ProofJson {
    /// The key as requested (`key-image/<hex>`, `output/<asset>/<index>`,
    /// `asset/<id>`, `regulator/<hex>`).
    pub key: String,
    /// Height the proof is for.
    pub height: u64,
    /// State root it verifies against (also in that block's header).
    pub state_root: String,
    /// Tree key, hex: for an output `0x00 ‖ u64_be(index) ‖ base37(ticker)
    /// ‖ 0x00 × 12`, else SHA-256("veil/state-key/v1" ‖ 0 ‖ cf ‖ 0 ‖ key)
    /// (api.md).
    pub key_hash: String,
    /// The record's value, hex; absent for a proof of absence.
    pub value: Option<String>,
    /// The Jellyfish Merkle proof (serde form of `jmt::proof::SparseMerkleProof<Sha256>`).
    #[schema(value_type = Object)]
    pub proof: serde_json::Value,
}

/// An RFC 9457 problem.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the problem kind (`urn:veil:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, for humans.
    pub detail: String,
}

/// Which published key a transaction's handles are encrypted to.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeySlotJson {
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Epoch.
    pub epoch: u64,
    /// Version.
    pub version: u32,
}

/// A transaction served to a regulator (ciphertexts only).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegulatorTxJson {
    /// Hash.
    pub hash: String,
    /// Height.
    pub height: u64,
    /// Block time.
    pub timestamp_ms: u64,
    /// `transfer`, `mint`, `regulator-keys`, `access`, `did`, `trust`,
    /// `credential`, `governance` or `commit`.
    pub kind: String,
    /// Asset.
    pub asset: String,
    /// The regulator key the handles are for, if published.
    pub key: Option<KeySlotJson>,
    /// The encoded transaction, hex.
    pub hex: String,
}

/// `GET /v1/regulator/transfers`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegulatorTransfersJson {
    /// First height served.
    pub from: u64,
    /// Last height served.
    pub to: u64,
    /// The access record this request left (it is in the mempool, and
    /// durably journalled, before this response is sent).
    pub access_record: String,
    /// The asset filter the node applied (`asset=`), if any: only that
    /// asset's transfers and mints were served.
    #[serde(default)]
    pub asset: Option<String>,
    /// Transfers and mints in the range (of `asset`, when given).
    pub transactions: Vec<RegulatorTxJson>,
}

/// A published regulator key.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegulatorKeyJson {
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Epoch.
    pub epoch: u64,
    /// Version.
    pub version: u32,
    /// The public key.
    pub key: String,
    /// False once revoked.
    pub active: bool,
}

/// A regulator identity.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegulatorIdentityJson {
    /// Who.
    pub label: String,
    /// Ed25519 identity key.
    pub identity: String,
    /// Jurisdictions.
    pub jurisdictions: Vec<String>,
    /// Sequence of its last registry transaction.
    pub sequence: u64,
}

/// `GET /v1/regulator-keys`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RegulatorRegistryJson {
    /// Blocks per epoch.
    pub epoch_length: u64,
    /// Epochs a key stays accepted after its own.
    pub grace_epochs: u64,
    /// Whose keys transfers encrypt to.
    pub transfer_jurisdiction: Option<String>,
    /// Epoch of the next block.
    pub current_epoch: u64,
    /// Identities.
    pub identities: Vec<RegulatorIdentityJson>,
    /// Every published key.
    pub keys: Vec<RegulatorKeyJson>,
}

/// A participant: its name and the digest of its address
/// (`SHA-256("veil/participant/v1" ‖ 0x00 ‖ A ‖ B)`) — the ledger never
/// holds an address in clear.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ParticipantJson {
    /// Name.
    pub name: String,
    /// Address digest, hex.
    pub address_digest: String,
}

/// An access-audit entry.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryJson {
    /// Height of the block recording it.
    pub height: u64,
    /// That block's time.
    pub timestamp_ms: u64,
    /// The access record's transaction hash.
    pub tx: String,
    /// Who asked (Ed25519 key).
    pub requester: String,
    /// The requester's label, or `auditor delegated by <label>`.
    pub requester_label: String,
    /// Delegated epoch, for auditors.
    pub delegated_epoch: Option<u64>,
    /// What was asked: method and target.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// SHA-256 of the query.
    pub query_hash: String,
    /// Until when the request was valid.
    pub expires_ms: u64,
}

/// `GET /v1/audit-log`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditLogJson {
    /// Entries in height order.
    pub entries: Vec<AuditEntryJson>,
}

/// A committee member.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberJson {
    /// Its Ed25519 key, hex.
    pub key: String,
    /// Who it is.
    pub label: String,
    /// Its voting weight.
    pub weight: u64,
    /// Its last governance transaction's sequence (the next is one more).
    pub sequence: u64,
    /// What it delegates: node key (hex) → amount.
    pub delegations: std::collections::BTreeMap<String, u64>,
}

/// `GET /v1/governance`: the committee and the governed parameters.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GovernanceJson {
    /// Whether the chain has a committee (proposals are possible).
    pub enabled: bool,
    /// Members, by key.
    pub committee: Vec<MemberJson>,
    /// The committee's weight.
    pub total_weight: u64,
    /// Parameters by name (shares in parts per million, periods in
    /// blocks); `halt_height` 0 means none.
    pub params: std::collections::BTreeMap<String, u64>,
    /// Ids of the proposals open for votes.
    pub open: Vec<u64>,
}

/// What a proposal does.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionJson {
    /// `add-member`, `remove-member`, `set-weight`, `register-node`,
    /// `remove-node`, `accredit-issuer`, `revoke-issuer`, `create-asset`,
    /// `set-params`, `set-root-authority` or `halt`.
    pub kind: String,
    /// Its fields, as text.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// A vote.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VoteJson {
    /// The member, hex.
    pub voter: String,
    /// `yes`, `no`, `abstain` or `veto`.
    pub choice: String,
}

/// The weights behind a closed proposal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TallyJson {
    /// Yes.
    pub yes: u64,
    /// No.
    pub no: u64,
    /// Abstain.
    pub abstain: u64,
    /// Veto.
    pub veto: u64,
    /// The committee's weight at closing.
    pub total: u64,
}

/// A proposal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalJson {
    /// Its id.
    pub id: u64,
    /// The member that proposed it, hex.
    pub proposer: String,
    /// What it does.
    pub action: ActionJson,
    /// Why.
    pub memo: String,
    /// `voting`, `passed`, `rejected`, `vetoed`, `expired` or `failed`.
    pub status: String,
    /// The block that opened it.
    pub submitted_height: u64,
    /// The last block in which it may be voted on.
    pub voting_end_height: u64,
    /// The block that closed it (absent while voting).
    pub closed_height: Option<u64>,
    /// The votes, in block order.
    pub votes: Vec<VoteJson>,
    /// The final tally (absent while voting).
    pub tally: Option<TallyJson>,
}

/// `GET /v1/governance/proposals`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalsJson {
    /// Newest first.
    pub proposals: Vec<ProposalJson>,
}

/// A registered node.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NodeJson {
    /// Its node key, hex.
    pub key: String,
    /// Who runs it.
    pub name: String,
    /// Where it listens for QUIC (may be empty).
    pub address: String,
    /// Observers never vote.
    pub observer: bool,
    /// Power granted by the committee.
    pub bond: u64,
    /// Power delegated by members.
    pub delegated: u64,
    /// Voting power for the next block (0: not in the validator set).
    pub power: u64,
    /// Commits it missed in the current liveness window.
    #[serde(default)]
    pub missed: u64,
    /// Why and until when it is jailed (absent: not jailed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jail: Option<JailJson>,
}

/// A jailed node's record.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct JailJson {
    /// `downtime` (signed too few commits of a window) or `double-sign`
    /// (equivocation evidence: tombstoned, for good).
    pub reason: String,
    /// The block that jailed it.
    pub since: u64,
    /// The first height a committee member may unjail it (absent for a
    /// tombstone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    /// Jailed for good.
    pub tombstoned: bool,
}

/// A validator set scheduled to come into force.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PendingSetJson {
    /// The first height it decides.
    pub activate_at: u64,
    /// Node key (hex) → power.
    pub validators: std::collections::BTreeMap<String, u64>,
}

/// `GET /v1/validators/{height}`: the set that decided one block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidatorSetJson {
    /// The block this set decides (or decided).
    pub height: u64,
    /// Node key (hex) → voting power, every validator with power.
    pub validators: std::collections::BTreeMap<String, u64>,
    /// The sum of the powers.
    pub total_power: u64,
    /// State root of block `height − 1`, whose state records this set
    /// (`GET /v1/state/proof/governance/validator_set` proves it at the
    /// tip).
    pub state_root: String,
}

/// `GET /v1/validators`: who decides the next block, and who may connect.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidatorsJson {
    /// The height these powers decide (the tip + 1).
    pub height: u64,
    /// Every registered node (validators, candidates, observers), by key.
    pub nodes: Vec<NodeJson>,
    /// The sum of the voting powers.
    pub total_power: u64,
    /// The next set, if an election or a proposal changed it.
    pub pending: Option<PendingSetJson>,
    /// First height of the current liveness window (0 before the first
    /// commit record).
    #[serde(default)]
    pub liveness_window_start: u64,
}

/// A vault document version, as the ledger records it (no document bytes:
/// the content address, sizes, and the key wrapped to each party).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultVersionJson {
    /// Version number (from 1).
    pub version: u32,
    /// Content address (hex SHA-256 over the manifest of the ciphertext).
    pub address: String,
    /// Ciphertext bytes.
    pub size: u64,
    /// Ciphertext chunks.
    pub chunks: u32,
    /// The regulator epoch key the document key is wrapped to (hex).
    pub regulator_key: String,
    /// The regulator's wrap (hex `R ‖ AEAD`).
    pub regulator_wrap: String,
    /// The capability key (hex Ed25519) derived from the document key.
    pub capability: String,
    /// Each party's wrap (hex party key → hex wrap), the owner first.
    pub wraps: Vec<VaultWrapJson>,
    /// File name and media type sealed under the document key (hex).
    pub metadata: String,
}

/// One party's wrapped document key.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultWrapJson {
    /// The party (hex Ed25519 key).
    pub party: String,
    /// The wrap (hex `R ‖ AEAD`).
    pub wrap: String,
}

/// A vault document.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultDocumentJson {
    /// Document id (hex).
    pub doc: String,
    /// Owner (hex Ed25519 key).
    pub owner: String,
    /// The latest version.
    pub latest: u32,
    /// Purged: only the tombstone and the trail remain.
    pub purged: bool,
    /// Parties that may open it besides the owner and the regulator.
    pub grantees: Vec<String>,
    /// Versions still held (none once purged).
    pub versions: Vec<VaultVersionJson>,
}

/// One record of a document's trail.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultLogEntryJson {
    /// Height of the block recording it.
    pub height: u64,
    /// Position in that block.
    pub position: u32,
    /// That block's time.
    pub timestamp_ms: u64,
    /// The record's transaction hash.
    pub tx: String,
    /// `put`, `grant`, `revoke`, `open` or `purge`.
    pub op: String,
    /// Who signed it (hex Ed25519 key).
    pub actor: String,
    /// `owner`, `grantee`, `regulator`, `capability` (a holder of the
    /// document key, e.g. a payee), or `former grantee`.
    pub role: String,
    /// The version concerned (put, grant, open).
    pub version: Option<u32>,
    /// The party granted or revoked.
    pub party: Option<String>,
}

/// A document's trail, provable against block headers through each
/// record's block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultLogJson {
    /// Document id (hex).
    pub doc: String,
    /// The records, in ledger order.
    pub entries: Vec<VaultLogEntryJson>,
}

/// An enrolled vault party: a wallet party (documents wrapped to its
/// address's view key) or a DID party (wrapped to its DID's X25519
/// key-agreement key in force).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultPartyJson {
    /// Its key (hex Ed25519).
    pub party: String,
    /// `wallet` or `did`.
    #[serde(default = "wallet_kind")]
    pub kind: String,
    /// Its wallet address (veil1…; a wallet party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Its DID (a DID party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    /// The DID's key-agreement method documents are wrapped to (`#…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_method: Option<String>,
    /// That method's X25519 key, as the ledger's current DID document has
    /// it (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_key: Option<String>,
}

fn wallet_kind() -> String {
    "wallet".into()
}

/// An accepted upload.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultUploadJson {
    /// The put record's transaction hash.
    pub hash: String,
    /// `pending` (in the mempool; committed with the next block).
    pub status: String,
    /// The document id (hex).
    pub doc: String,
    /// The version.
    pub version: u32,
}

/// `POST /v1/regulator/threshold/shares`: an officer's encrypted partial
/// decryption was kept, with its access record.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ThresholdShareAcceptedJson {
    /// The share request (hex).
    pub request: String,
    /// The officer's index.
    pub officer: u16,
    /// The access record that carries the officer's signature (journalled
    /// and queued; the share is served once it is committed).
    pub access_record: String,
}

/// One relayed share.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ThresholdShareJson {
    /// The officer's index.
    pub officer: u16,
    /// The officer's request-signing key (hex): who signed the record.
    pub officer_key: String,
    /// The committed access record (hash, hex).
    pub access_record: String,
    /// The partial decryption, encrypted to the requester (hex).
    pub blob: String,
}

/// `GET /v1/regulator/threshold/shares`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ThresholdSharesJson {
    /// The share request (hex).
    pub request: String,
    /// The requester's own access record for this read.
    pub access_record: String,
    /// Shares whose access record is committed.
    pub shares: Vec<ThresholdShareJson>,
    /// Shares received whose record is not committed yet (not served).
    pub pending: usize,
}
