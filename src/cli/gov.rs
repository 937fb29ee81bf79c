//! `veil gov …` and `veil validator …`: the consortium committee's
//! proposals and votes, and members' delegations to validator candidates.
//!
//! Every command signs a governance transaction with a committee member's
//! key (a keystore of kind `committee`), submits it and waits for its
//! block; read-only commands (`list`, `show`, `committee`, `validator
//! list`) need no key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use veil_client::types::{
    GovernanceJson, ProposalJson, ProposalsJson, ValidatorSetJson, ValidatorsJson,
};
use veil_keystore::{self as keystore, COMMITTEE_KIND};

use crate::crypto::signing::{SigningKey, VerifyingKey};
use crate::tx::governance::{Action, Choice, GovTx, Op, Param, Supply};
use crate::tx::{AssetId, Transaction, TxHash};
use crate::wallet::client::HttpSource;
use crate::wallet::submit_and_wait;

/// Options of `veil gov`.
#[derive(Debug, clap::Args)]
pub struct GovArgs {
    /// The committee member's keystore (for `propose` and `vote`).
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: GovCommand,
}

/// `veil gov` commands.
#[derive(Debug, clap::Subcommand)]
pub enum GovCommand {
    /// Open a proposal (the proposer's yes vote is counted).
    Propose {
        /// Why, for the other members (public, on the ledger).
        #[arg(long, default_value = "")]
        memo: String,
        /// What it does.
        #[command(subcommand)]
        action: ProposeCommand,
    },
    /// Vote on an open proposal: yes, no, abstain or veto.
    Vote {
        /// The proposal id.
        id: u64,
        /// yes | no | abstain | veto.
        choice: String,
    },
    /// List proposals, newest first.
    List {
        /// Only this status (voting, passed, rejected, vetoed, expired, failed).
        #[arg(long)]
        status: Option<String>,
    },
    /// One proposal with its votes and tally.
    Show {
        /// The proposal id.
        id: u64,
    },
    /// The committee and the governed parameters.
    Committee,
}

/// What a proposal does.
#[derive(Debug, clap::Subcommand)]
pub enum ProposeCommand {
    /// Admit a committee member.
    AddMember {
        /// Its Ed25519 public key, hex.
        #[arg(long)]
        key: String,
        /// Its voting weight.
        #[arg(long, default_value_t = 1)]
        weight: u64,
        /// Who it is.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Remove a committee member.
    RemoveMember {
        /// Its key, hex.
        #[arg(long)]
        key: String,
    },
    /// Change a member's weight.
    SetWeight {
        /// Its key, hex.
        #[arg(long)]
        key: String,
        /// The new weight.
        #[arg(long)]
        weight: u64,
    },
    /// Register a validator candidate (or, with --observer, an observer).
    RegisterNode(RegisterNode),
    /// Remove a validator or observer: it leaves the set at H+2 and its
    /// connections are closed.
    RemoveNode {
        /// Its node key, hex.
        #[arg(long)]
        key: String,
    },
    /// Make a key the issuer of an asset (and open minting).
    AccreditIssuer {
        /// The asset.
        #[arg(long)]
        asset: String,
        /// The issuer's Ed25519 public key, hex.
        #[arg(long)]
        issuer: String,
    },
    /// Close minting of an asset.
    RevokeIssuer {
        /// The asset.
        #[arg(long)]
        asset: String,
    },
    /// Create an asset with its elected issuer.
    CreateAsset {
        /// Its code (e.g. USD).
        #[arg(long)]
        asset: String,
        /// Its name.
        #[arg(long, default_value = "")]
        name: String,
        /// Decimal places of the display unit.
        #[arg(long, default_value_t = 2)]
        decimals: u8,
        /// The elected issuer's Ed25519 public key, hex.
        #[arg(long)]
        issuer: String,
        /// Create it with minting closed.
        #[arg(long)]
        closed: bool,
    },
    /// Change governed parameters: --set name=value (repeatable).
    SetParams {
        /// `name=value`; names: quorum, threshold, veto (ppm), voting_period,
        /// epoch_blocks, max_validators, max_block_txs, min_ring.
        #[arg(long = "set", required = true)]
        set: Vec<String>,
    },
    /// Give the credential trust list another root authority.
    SetRootAuthority {
        /// Its did:veil.
        #[arg(long)]
        did: String,
    },
    /// Stop the chain before a height (software upgrade).
    Halt {
        /// The first height not committed.
        #[arg(long)]
        height: u64,
    },
    /// Destroy a vault document (an erasure order): its wraps are deleted
    /// from state and every node deletes its ciphertext, as when its owner
    /// purges it.
    PurgeDocument {
        /// Document id (hex).
        #[arg(long)]
        doc: String,
    },
}

/// `register-node` arguments (shared with `veil validator register`).
#[derive(Debug, clap::Args)]
pub struct RegisterNode {
    /// Its node key, hex (the `node.key` keystore's public key).
    #[arg(long)]
    pub key: String,
    /// Where it listens for QUIC, ip:port.
    #[arg(long)]
    pub address: String,
    /// Who runs it.
    #[arg(long, default_value = "")]
    pub name: String,
    /// An observer: syncs, never votes.
    #[arg(long)]
    pub observer: bool,
    /// Power the committee grants it (delegations add to it).
    #[arg(long, default_value_t = 1)]
    pub bond: u64,
}

/// Options of `veil validator`.
#[derive(Debug, clap::Args)]
pub struct ValidatorArgs {
    /// The committee member's keystore (for register, delegate, undelegate).
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: ValidatorCommand,
}

/// `veil validator` commands.
#[derive(Debug, clap::Subcommand)]
pub enum ValidatorCommand {
    /// Propose a validator candidate (a `register-node` proposal).
    Register(RegisterNode),
    /// Delegate some of the member's weight to a candidate (counts from
    /// the next election).
    Delegate {
        /// The candidate's node key, hex.
        #[arg(long)]
        node: String,
        /// How much weight.
        #[arg(long)]
        amount: u64,
    },
    /// Take delegated weight back.
    Undelegate {
        /// The candidate's node key, hex.
        #[arg(long)]
        node: String,
        /// How much weight.
        #[arg(long)]
        amount: u64,
    },
    /// Free a node jailed for downtime once its jail period is over (it
    /// is elected again from the next election; a tombstoned node never
    /// is).
    Unjail {
        /// The node's key, hex.
        #[arg(long)]
        node: String,
    },
    /// The validator set, candidates and observers, with misses and jail
    /// status; with `--height`, the set that decided that block.
    List {
        /// The block whose deciding set to show (1 to the tip + 1).
        #[arg(long)]
        height: Option<u64>,
    },
}

fn key(s: &str, what: &str) -> anyhow::Result<VerifyingKey> {
    let bytes = veil_client::hex32(s).with_context(|| format!("{what}: 32 bytes of hex"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| anyhow::anyhow!("{what}: not an Ed25519 key"))
}

/// Loads a committee member's key.
pub fn load_member(path: &Path) -> anyhow::Result<SigningKey> {
    let pass = keystore::passphrase(&format!("passphrase for {}: ", path.display()))?;
    let (seed, _) = keystore::load_seed(path, COMMITTEE_KIND, pass.expose())
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(SigningKey::from_seed(seed.expose()))
}

impl ProposeCommand {
    fn action(self) -> anyhow::Result<Action> {
        Ok(match self {
            Self::AddMember {
                key: k,
                weight,
                label,
            } => Action::AddMember {
                key: key(&k, "--key")?,
                weight,
                label,
            },
            Self::RemoveMember { key: k } => Action::RemoveMember {
                key: key(&k, "--key")?,
            },
            Self::SetWeight { key: k, weight } => Action::SetWeight {
                key: key(&k, "--key")?,
                weight,
            },
            Self::RegisterNode(r) => r.action()?,
            Self::RemoveNode { key: k } => Action::RemoveNode {
                key: key(&k, "--key")?,
            },
            Self::AccreditIssuer { asset, issuer } => Action::AccreditIssuer {
                asset: AssetId::new(&asset).context("--asset")?,
                issuer: key(&issuer, "--issuer")?,
            },
            Self::RevokeIssuer { asset } => Action::RevokeIssuer {
                asset: AssetId::new(&asset).context("--asset")?,
            },
            Self::CreateAsset {
                asset,
                name,
                decimals,
                issuer,
                closed,
            } => Action::CreateAsset {
                asset: AssetId::new(&asset).context("--asset")?,
                name,
                decimals,
                issuer: key(&issuer, "--issuer")?,
                supply: if closed { Supply::Closed } else { Supply::Open },
            },
            Self::SetParams { set } => {
                let mut changes = Vec::new();
                for s in set {
                    let (name, value) = s
                        .split_once('=')
                        .with_context(|| format!("--set {s}: expected name=value"))?;
                    let p: Param = name.parse().with_context(|| format!("--set {s}"))?;
                    let v: u64 = value
                        .parse()
                        .with_context(|| format!("--set {s}: value must be an integer"))?;
                    p.check(v).with_context(|| format!("--set {s}"))?;
                    changes.push((p, v));
                }
                changes.sort_by_key(|(p, _)| *p);
                anyhow::ensure!(
                    changes.windows(2).all(|w| w[0].0 != w[1].0),
                    "--set names a parameter twice"
                );
                Action::SetParams { changes }
            }
            Self::SetRootAuthority { did } => Action::SetRootAuthority {
                did: did.parse().context("--did")?,
            },
            Self::Halt { height } => Action::Halt { height },
            Self::PurgeDocument { doc } => Action::PurgeDocument {
                doc: veil_codec::hex32(doc.trim())
                    .context("--doc is a document id, 64 hex characters")?,
            },
        })
    }
}

impl RegisterNode {
    fn action(self) -> anyhow::Result<Action> {
        anyhow::ensure!(
            crate::tx::governance::rules::valid_address(&self.address),
            "--address must be ip:port"
        );
        Ok(Action::RegisterNode {
            key: key(&self.key, "--key")?,
            name: self.name,
            address: self.address,
            observer: self.observer,
            bond: if self.observer { 0 } else { self.bond },
        })
    }
}

/// Signs `op` with the member's next sequence, submits it and waits for
/// its block.
pub fn submit(source: &HttpSource, member: &SigningKey, op: Op) -> anyhow::Result<(TxHash, u64)> {
    let gov: GovernanceJson = source.get("/v1/governance")?;
    anyhow::ensure!(gov.enabled, "this chain has no governance committee");
    let me = member.public().to_string();
    let sequence = gov
        .committee
        .iter()
        .find(|m| m.key == me)
        .map(|m| m.sequence + 1)
        .with_context(|| format!("{me} is not a committee member"))?;
    let tx = Transaction::Governance(GovTx::sign(member, sequence, op)?);
    Ok(submit_and_wait(source, &tx, Duration::from_secs(120))?)
}

/// Proposes `action`; returns the proposal as the ledger has it after the
/// block that carried it (closed already in admin mode).
pub fn propose(
    source: &HttpSource,
    member: &SigningKey,
    action: Action,
    memo: &str,
) -> anyhow::Result<ProposalJson> {
    let (_, height) = submit(
        source,
        member,
        Op::Propose {
            action,
            memo: memo.to_owned(),
        },
    )?;
    let me = member.public().to_string();
    let list: ProposalsJson = source.get("/v1/governance/proposals?limit=200")?;
    list.proposals
        .into_iter()
        .find(|p| p.proposer == me && p.submitted_height == height)
        .context("the committed proposal is not listed")
}

fn print_proposal(p: &ProposalJson) {
    println!("proposal {} ({}): {}", p.id, p.action.kind, p.status);
    for (k, v) in &p.action.fields {
        println!("  {k}: {v}");
    }
    if !p.memo.is_empty() {
        println!("  memo: {}", p.memo);
    }
    println!(
        "  opened at height {}, voting until {}{}",
        p.submitted_height,
        p.voting_end_height,
        p.closed_height
            .map_or(String::new(), |h| format!(", closed at {h}"))
    );
    for v in &p.votes {
        println!("  vote {} {}", v.choice, v.voter);
    }
    if let Some(t) = &p.tally {
        println!(
            "  tally: yes {} no {} abstain {} veto {} of {}",
            t.yes, t.no, t.abstain, t.veto, t.total
        );
    }
}

fn member_key(keystore: Option<&Path>) -> anyhow::Result<SigningKey> {
    load_member(keystore.context("--keystore (a committee member's) is required")?)
}

/// Runs `veil gov`.
pub fn run(args: GovArgs, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    match args.command {
        GovCommand::Propose { memo, action } => {
            let member = member_key(args.keystore.as_deref())?;
            let p = propose(&source, &member, action.action()?, &memo)?;
            if json {
                super::print_json(&serde_json::to_value(&p)?);
            } else {
                print_proposal(&p);
            }
        }
        GovCommand::Vote { id, choice } => {
            let choice: Choice = choice.parse().context("vote: yes, no, abstain or veto")?;
            let member = member_key(args.keystore.as_deref())?;
            let (hash, height) = submit(
                &source,
                &member,
                Op::Vote {
                    proposal: id,
                    choice,
                },
            )?;
            let p: ProposalJson = source.get(&format!("/v1/governance/proposals/{id}"))?;
            if json {
                super::print_json(
                    &json!({"tx": hash.to_string(), "height": height, "proposal": p}),
                );
            } else {
                println!(
                    "voted {} on proposal {id} (tx {hash}, height {height})",
                    choice.as_str()
                );
                print_proposal(&p);
            }
        }
        GovCommand::List { status } => {
            let path = match &status {
                Some(s) => format!("/v1/governance/proposals?limit=200&status={s}"),
                None => "/v1/governance/proposals?limit=200".to_owned(),
            };
            let list: ProposalsJson = source.get(&path)?;
            if json {
                super::print_json(&serde_json::to_value(&list)?);
            } else if list.proposals.is_empty() {
                println!("no proposals");
            } else {
                for p in &list.proposals {
                    println!(
                        "{:>5}  {:<8}  {:<18}  opened {:>6}  until {:>6}  {}",
                        p.id,
                        p.status,
                        p.action.kind,
                        p.submitted_height,
                        p.voting_end_height,
                        p.memo
                    );
                }
            }
        }
        GovCommand::Show { id } => {
            let p: ProposalJson = source.get(&format!("/v1/governance/proposals/{id}"))?;
            if json {
                super::print_json(&serde_json::to_value(&p)?);
            } else {
                print_proposal(&p);
            }
        }
        GovCommand::Committee => {
            let g: GovernanceJson = source.get("/v1/governance")?;
            if json {
                super::print_json(&serde_json::to_value(&g)?);
            } else if !g.enabled {
                println!("this chain has no governance committee");
            } else {
                println!(
                    "committee ({} members, weight {}):",
                    g.committee.len(),
                    g.total_weight
                );
                for m in &g.committee {
                    println!("  {}  weight {:>4}  {}", m.key, m.weight, m.label);
                }
                println!("parameters:");
                for (k, v) in &g.params {
                    println!("  {k} = {v}");
                }
            }
        }
    }
    Ok(())
}

/// Runs `veil validator`.
pub fn run_validator(args: ValidatorArgs, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    match args.command {
        ValidatorCommand::Register(r) => {
            let member = member_key(args.keystore.as_deref())?;
            let p = propose(&source, &member, r.action()?, "register a node")?;
            if json {
                super::print_json(&serde_json::to_value(&p)?);
            } else {
                print_proposal(&p);
            }
        }
        ValidatorCommand::Delegate { node, amount } => {
            let member = member_key(args.keystore.as_deref())?;
            let op = Op::Delegate {
                node: key(&node, "--node")?,
                amount,
            };
            let (hash, height) = submit(&source, &member, op)?;
            report_delegation(json, "delegated", &node, amount, hash, height);
        }
        ValidatorCommand::Undelegate { node, amount } => {
            let member = member_key(args.keystore.as_deref())?;
            let op = Op::Undelegate {
                node: key(&node, "--node")?,
                amount,
            };
            let (hash, height) = submit(&source, &member, op)?;
            report_delegation(json, "undelegated", &node, amount, hash, height);
        }
        ValidatorCommand::Unjail { node } => {
            let member = member_key(args.keystore.as_deref())?;
            let op = Op::Unjail {
                node: key(&node, "--node")?,
            };
            let (hash, height) = submit(&source, &member, op)?;
            if json {
                super::print_json(
                    &json!({"tx": hash.to_string(), "height": height, "node": node, "action": "unjailed"}),
                );
            } else {
                println!(
                    "unjailed {node} (tx {hash}, height {height}); it is elected again from height {}",
                    height + 2
                );
            }
        }
        ValidatorCommand::List { height: Some(h) } => {
            let v: ValidatorSetJson = source.get(&format!("/v1/validators/{h}"))?;
            if json {
                super::print_json(&serde_json::to_value(&v)?);
            } else {
                println!(
                    "validators that decide height {} (total power {}; recorded under state root {}):",
                    v.height, v.total_power, v.state_root
                );
                for (k, w) in &v.validators {
                    println!("  {k}  power {w}");
                }
            }
        }
        ValidatorCommand::List { height: None } => {
            let v: ValidatorsJson = source.get("/v1/validators")?;
            if json {
                super::print_json(&serde_json::to_value(&v)?);
            } else {
                println!(
                    "validators deciding height {} (total power {}):",
                    v.height, v.total_power
                );
                for n in &v.nodes {
                    let role = if n.jail.as_ref().is_some_and(|j| j.tombstoned) {
                        "tombstone"
                    } else if n.jail.is_some() {
                        "jailed"
                    } else if n.observer {
                        "observer"
                    } else if n.power > 0 {
                        "validator"
                    } else {
                        "candidate"
                    };
                    println!(
                        "  {}  {:<9}  power {:>4}  bond {:>4}  delegated {:>4}  missed {:>4}  {}  {}",
                        n.key, role, n.power, n.bond, n.delegated, n.missed, n.address, n.name
                    );
                    if let Some(j) = &n.jail {
                        match j.until {
                            Some(u) => println!(
                                "      jailed for {} at height {}; unjail allowed from height {u}",
                                j.reason, j.since
                            ),
                            None => println!(
                                "      tombstoned for {} at height {}: never a validator again",
                                j.reason, j.since
                            ),
                        }
                    }
                }
                if let Some(p) = &v.pending {
                    println!("next set from height {}:", p.activate_at);
                    for (k, w) in &p.validators {
                        println!("  {k}  power {w}");
                    }
                }
            }
        }
    }
    Ok(())
}

fn report_delegation(json: bool, what: &str, node: &str, amount: u64, hash: TxHash, height: u64) {
    if json {
        super::print_json(
            &json!({"tx": hash.to_string(), "height": height, "node": node, "amount": amount, "action": what}),
        );
    } else {
        println!(
            "{what} {amount} to {node} (tx {hash}, height {height}); counts from the next election"
        );
    }
}
