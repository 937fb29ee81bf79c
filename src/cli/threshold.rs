//! `veil regulator officer|dkg|request|share` and `view|report --threshold`:
//! threshold regulator keys (dual control). The protocol is
//! `veil_regulator::threshold`; docs/operations/threshold-regulator.md is
//! the operator's page.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use rand_core::OsRng;
use serde_json::json;

use crate::regulator::credentials::Credentials;
use crate::regulator::threshold::{
    self as th, DealingFile, GroupFile, Officer, Roster, ShareRequest, SlotJson,
};
use crate::regulator::view::TransferRow;
use crate::tx::access::Delegation;
use crate::tx::registry::{Jurisdiction, KeyEntry, RegulatorKeys, Slot};
use crate::tx::Transaction;
use crate::wallet::client::HttpSource;
use veil_keystore::{self as keystore, KdfParams};

/// Key-generation and resharing ceremonies.
#[derive(Debug, Subcommand)]
pub enum DkgCommand {
    /// Make the roster every dealing is for: the threshold and the
    /// officers' cards (from `officer`), in index order.
    Roster {
        /// t: how many officers must take part in every opening.
        #[arg(long)]
        threshold: u16,
        /// The jurisdiction.
        #[arg(long)]
        jurisdiction: String,
        /// Where to write the roster.
        #[arg(long)]
        out: PathBuf,
        /// The officers' card files, officer 1 first.
        #[arg(required = true)]
        cards: Vec<PathBuf>,
    },
    /// Deal this officer's contribution (`--keystore` is the officer's):
    /// commitments and one share sealed to each officer, signed.
    Deal {
        /// The roster.
        #[arg(long)]
        roster: PathBuf,
        /// Where to write the dealing.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check every officer's dealing, keep this officer's share in its
    /// keystore and write the group file (public).
    Finish {
        /// The roster.
        #[arg(long)]
        roster: PathBuf,
        /// Where to write the group file.
        #[arg(long)]
        out: PathBuf,
        /// Every officer's dealing.
        #[arg(required = true)]
        dealings: Vec<PathBuf>,
    },
    /// (The regulator.) Publish the group key for an epoch and delegate to
    /// every officer; the group file gets the slot and the delegations.
    /// A slot already holding the regulator's own key is revoked and the
    /// group key takes the next version, in the same transaction.
    Publish {
        /// The group file (rewritten in place).
        #[arg(long)]
        group: PathBuf,
        /// The epoch.
        #[arg(long)]
        epoch: u64,
        /// Days the officers' delegations stay valid.
        #[arg(long, default_value_t = 90)]
        expires_days: u64,
    },
    /// Remove this officer's share of the group file's key from its
    /// keystore (after a resharing; the keystore file is rewritten, older
    /// copies of it still hold the share).
    Forget {
        /// The group file of the key whose share goes.
        #[arg(long)]
        group: PathBuf,
    },
    /// An old officer reshares its share to a new roster (the group key
    /// stays).
    ReshareDeal {
        /// The current group file.
        #[arg(long)]
        group: PathBuf,
        /// The new roster.
        #[arg(long)]
        roster: PathBuf,
        /// Where to write the dealing.
        #[arg(long)]
        out: PathBuf,
    },
    /// A new officer finishes a resharing from at least t old officers'
    /// dealings.
    ReshareFinish {
        /// The current group file.
        #[arg(long)]
        group: PathBuf,
        /// The new roster.
        #[arg(long)]
        roster: PathBuf,
        /// Where to write the new group file.
        #[arg(long)]
        out: PathBuf,
        /// The old officers' dealings.
        #[arg(required = true)]
        dealings: Vec<PathBuf>,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > 16 * 1024 * 1024 {
        bail!("{} is too large", path.display());
    }
    serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("parsing {}", path.display()))
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    super::write_output(path, serde_json::to_string_pretty(value)?.as_bytes())
}

fn passphrase_for(path: &Path) -> anyhow::Result<crate::crypto::secret::Secret<String>> {
    Ok(keystore::passphrase(&format!(
        "passphrase for {}: ",
        path.display()
    ))?)
}

fn load_officer(path: &Path) -> anyhow::Result<(Officer, crate::crypto::secret::Secret<String>)> {
    let pass = passphrase_for(path)?;
    let o = Officer::load(path, pass.expose())
        .with_context(|| format!("opening the officer keystore {}", path.display()))?;
    Ok((o, pass))
}

/// Creates an officer keystore at `path` and prints its card.
pub fn officer_new(
    path: &Path,
    name: &str,
    jurisdiction: &str,
    card: Option<&Path>,
    json: bool,
) -> anyhow::Result<()> {
    super::check_output(path)?;
    let o = Officer::generate(name, Jurisdiction::new(jurisdiction)?);
    let pass = passphrase_for(path)?;
    o.save(path, pass.expose(), KdfParams::default())?;
    let c = o.card();
    if let Some(out) = card {
        write_json(out, &c)?;
    }
    if json {
        super::print_json(&json!({"keystore": path, "card": c}));
    } else {
        println!(
            "officer {name} of {jurisdiction}: keystore {}",
            path.display()
        );
        println!("{}", serde_json::to_string_pretty(&c)?);
    }
    Ok(())
}

/// Runs `veil regulator dkg …`.
pub fn dkg(
    api: &str,
    keystore_path: Option<&Path>,
    cmd: &DkgCommand,
    json: bool,
) -> anyhow::Result<()> {
    let need = || keystore_path.context("this step needs --keystore");
    match cmd {
        DkgCommand::Roster {
            threshold,
            jurisdiction,
            out,
            cards,
        } => {
            let roster = Roster {
                jurisdiction: jurisdiction.clone(),
                threshold: *threshold,
                officers: cards
                    .iter()
                    .map(|c| read_json(c))
                    .collect::<anyhow::Result<_>>()?,
            };
            let params = roster.params()?;
            write_json(out, &roster)?;
            if json {
                super::print_json(
                    &json!({"roster": out, "threshold": params.to_string(), "hash": hex::encode(roster.hash())}),
                );
            } else {
                println!(
                    "roster {params} written to {} (hash {})",
                    out.display(),
                    hex::encode(roster.hash())
                );
            }
        }
        DkgCommand::Deal { roster, out } => {
            let (o, _) = load_officer(need()?)?;
            let d = th::deal(&o, &read_json(roster)?, &mut OsRng)?;
            write_json(out, &d)?;
            if json {
                super::print_json(&json!({"dealing": out, "dealer": d.dealer}));
            } else {
                println!(
                    "dealing of officer {} written to {}; send it to every officer",
                    d.dealer,
                    out.display()
                );
            }
        }
        DkgCommand::Finish {
            roster,
            out,
            dealings,
        } => finish_with(need()?, dealings, out, json, |o, ds| {
            Ok(th::finish(o, &read_json(roster)?, ds)?)
        })?,
        DkgCommand::Forget { group } => {
            let path = need()?;
            let (mut o, pass) = load_officer(path)?;
            let g: GroupFile = read_json(group)?;
            if !o.forget(&g)? {
                bail!(
                    "officer {} holds no share of the key {} (of this group file)",
                    o.name,
                    g.group_key
                );
            }
            o.save(path, pass.expose(), KdfParams::default())?;
            if json {
                super::print_json(&json!({"forgotten": g.group_key, "threshold": g.threshold}));
            } else {
                println!(
                    "share of {} ({}) removed from {}; delete any older copy of that file",
                    g.group_key,
                    g.threshold,
                    path.display()
                );
            }
        }
        DkgCommand::ReshareDeal { group, roster, out } => {
            let (o, _) = load_officer(need()?)?;
            let d = th::reshare_deal(&o, &read_json(group)?, &read_json(roster)?, &mut OsRng)?;
            write_json(out, &d)?;
            if json {
                super::print_json(&json!({"dealing": out, "dealer": d.dealer}));
            } else {
                println!(
                    "resharing dealing of officer {} written to {}",
                    d.dealer,
                    out.display()
                );
            }
        }
        DkgCommand::ReshareFinish {
            group,
            roster,
            out,
            dealings,
        } => finish_with(need()?, dealings, out, json, |o, ds| {
            Ok(th::reshare_finish(
                o,
                &read_json(group)?,
                &read_json(roster)?,
                ds,
            )?)
        })?,
        DkgCommand::Publish {
            group,
            epoch,
            expires_days,
        } => {
            let path = need()?;
            let pass = passphrase_for(path)?;
            let creds = Credentials::load(path, pass.expose())?;
            let mut g: GroupFile = read_json(group)?;
            let slot = publish(api, &creds, &mut g, *epoch, *expires_days)?;
            // The group file is public; rewrite it in place.
            let tmp = group.with_extension("tmp");
            std::fs::write(&tmp, serde_json::to_string_pretty(&g)?)?;
            std::fs::rename(&tmp, group)?;
            if json {
                super::print_json(
                    &json!({"group": group, "group_key": g.group_key, "epoch": slot.epoch, "version": slot.version, "officers": g.delegations.len()}),
                );
            } else {
                println!(
                    "group key {} published for epoch {} (version {}); {} officers delegated",
                    g.group_key,
                    slot.epoch,
                    slot.version,
                    g.delegations.len()
                );
            }
        }
    }
    Ok(())
}

/// The end of a key generation or a resharing for the officer at `path`:
/// read the dealings, `finish`, keep the share in the keystore, write and
/// print the group file.
fn finish_with(
    path: &Path,
    dealings: &[PathBuf],
    out: &Path,
    json: bool,
    finish: impl FnOnce(&mut Officer, &[DealingFile]) -> anyhow::Result<GroupFile>,
) -> anyhow::Result<()> {
    let (mut o, pass) = load_officer(path)?;
    let ds: Vec<DealingFile> = dealings
        .iter()
        .map(|d| read_json(d))
        .collect::<anyhow::Result<_>>()?;
    let g = finish(&mut o, &ds)?;
    o.save(path, pass.expose(), KdfParams::default())?;
    write_json(out, &g)?;
    print_group(&g, out, json);
    Ok(())
}

fn print_group(g: &GroupFile, out: &Path, json: bool) {
    if json {
        super::print_json(
            &json!({"group": out, "group_key": g.group_key, "hook_key": g.hook_key, "threshold": g.threshold}),
        );
    } else {
        println!(
            "share kept; group key {} ({}) written to {} — every officer must see the same key",
            g.group_key,
            g.threshold,
            out.display()
        );
    }
}

/// Registers `g`'s key for `epoch` (revoking the slot's current key if
/// any) and delegates to every officer. Also used by `node --dev
/// --regulator-threshold`.
pub fn publish(
    api: &str,
    creds: &Credentials,
    g: &mut GroupFile,
    epoch: u64,
    expires_days: u64,
) -> anyhow::Result<SlotJson> {
    let Credentials::Regulator {
        master,
        jurisdiction,
        ..
    } = creds
    else {
        bail!(
            "only the regulator publishes keys; this keystore is {}",
            creds.describe()
        );
    };
    if jurisdiction.as_str() != g.jurisdiction {
        bail!(
            "the group is for {}, this regulator for {jurisdiction}",
            g.jurisdiction
        );
    }
    let identity = master.identity();
    let src = HttpSource::new(api);
    let (reg, seq) = super::regulator::registry(&src, &identity)?;
    // Already published (a resharing keeps the key): delegate only.
    if let Some(k) = reg.keys.iter().find(|k| k.key == g.group_key) {
        let slot = SlotJson {
            epoch: k.epoch,
            version: k.version,
        };
        delegate_all(&identity, jurisdiction, g, k.epoch, expires_days)?;
        g.slot = Some(slot);
        return Ok(slot);
    }
    let current = reg
        .keys
        .iter()
        .filter(|k| k.jurisdiction == g.jurisdiction && k.epoch == epoch)
        .map(|k| k.version)
        .max();
    let (version, revoke) = match current {
        None => (0, vec![]),
        Some(v) => (v + 1, vec![Slot { epoch, version: v }]),
    };
    let slot = Slot { epoch, version };
    let tx = Transaction::RegulatorKeys(RegulatorKeys::sign(
        &identity,
        seq + 1,
        Jurisdiction::new(&g.jurisdiction)?,
        vec![KeyEntry {
            slot,
            key: g.group_key()?,
        }],
        revoke,
    )?);
    crate::wallet::submit_and_wait(&src, &tx, Duration::from_secs(60))?;
    delegate_all(&identity, jurisdiction, g, epoch, expires_days)?;
    let s = SlotJson { epoch, version };
    g.slot = Some(s);
    Ok(s)
}

fn delegate_all(
    identity: &crate::crypto::signing::SigningKey,
    jurisdiction: &Jurisdiction,
    g: &mut GroupFile,
    epoch: u64,
    expires_days: u64,
) -> anyhow::Result<()> {
    let expires_ms =
        veil_clock::now_ms().saturating_add(expires_days.saturating_mul(24 * 3600 * 1000));
    g.delegations = g
        .roster
        .officers
        .iter()
        .map(|c| {
            let key = crate::crypto::signing::VerifyingKey::from_bytes(
                &hex::decode(&c.signing_key)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .context("roster: a signing key is not 32 bytes of hex")?,
            )
            .map_err(|_| anyhow::anyhow!("roster: bad signing key"))?;
            let d = Delegation::issue(identity, key, jurisdiction.clone(), epoch, expires_ms)?;
            Ok(hex::encode(d.to_bytes()?))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(())
}

/// Runs `veil regulator request`: writes the request (for the officers)
/// and its one-time key (encrypted, beside it as `<out>.key`).
pub fn request(
    api: &str,
    group: &Path,
    from: u64,
    to: Option<u64>,
    limbs: bool,
    out: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let g: GroupFile = read_json(group)?;
    // Every officer must read the same transactions: the range must be
    // complete already.
    let tip = veil_client::Client::new(api).status()?.height;
    let to = to.unwrap_or(tip);
    if to > tip {
        bail!("--to-height {to} is beyond the chain tip ({tip}); a request covers committed blocks only");
    }
    let (req, seed) = ShareRequest::new(&g, from, to, limbs)?;
    write_request(
        out,
        group,
        &req,
        &seed,
        &format!("request {{id}} (heights {from}..={to})"),
        json,
    )
}

/// A presentation's regulator-hook ciphertext and its issuer's DID.
pub fn presentation_ciphertext(
    presentation: &Path,
) -> anyhow::Result<(veil_circuits::hook::Ciphertext, String)> {
    let meta = std::fs::metadata(presentation)?;
    if meta.len() > 1024 * 1024 {
        bail!("{} is too large", presentation.display());
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(presentation)?)
        .with_context(|| format!("parsing {}", presentation.display()))?;
    let c = v["proof"]
        .get("regulatorCiphertext")
        .and_then(crate::identity::presentation::ciphertext_from_json)
        .context("the presentation carries no regulator ciphertext")?;
    let issuer = v["verifiableCredential"][0]["issuer"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    Ok((c, issuer))
}

/// Runs `veil regulator request --identify`: a request that t officers
/// identify the holder behind a presentation, made at the tip now.
pub fn request_identify(
    api: &str,
    group: &Path,
    presentation: &Path,
    out: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let g: GroupFile = read_json(group)?;
    let (c, _) = presentation_ciphertext(presentation)?;
    // The officers' delegations cover the key's epoch: the request names
    // the latest committed height in it (the tip, or the epoch's last
    // height once it is over), so a holder can be identified later too.
    let client = veil_client::Client::new(api);
    let tip = client.status()?.height;
    let slot = g
        .slot
        .context("the group key is not published yet (`veil regulator dkg publish`)")?;
    let registry: veil_client::types::RegulatorRegistryJson = client.get("/v1/regulator-keys")?;
    let start = slot.epoch.saturating_mul(registry.epoch_length);
    let end = start.saturating_add(registry.epoch_length.saturating_sub(1));
    if tip < start {
        bail!(
            "the group key's epoch {} begins at height {start}; the chain is at {tip}",
            slot.epoch
        );
    }
    let (req, seed) = ShareRequest::identify(&g, &c, tip.min(end))?;
    write_request(out, group, &req, &seed, "identification request {id}", json)
}

/// Runs `veil regulator hook-key --group`.
pub fn hook_key(group: &Path, json: bool) -> anyhow::Result<()> {
    let g: GroupFile = read_json(group)?;
    g.hook_public()?;
    let key = g.hook_key.clone().context(
        "this group shares no credential-hook key (its ceremony predates threshold identification)",
    )?;
    if json {
        super::print_json(
            &json!({"jurisdiction": g.jurisdiction, "hook_key": key, "threshold": g.threshold}),
        );
    } else {
        println!("{key}");
    }
    Ok(())
}

/// Runs `veil regulator identify --threshold`: waits up to `wait` for t
/// officers' committed shares of the request, then recovers the holder
/// commitment.
pub fn identify(
    api: &str,
    keystore_path: &Path,
    group: &Path,
    request: &Path,
    presentation: &Path,
    wait: Duration,
    json: bool,
) -> anyhow::Result<()> {
    let g: GroupFile = read_json(group)?;
    let r: ShareRequest = read_json(request)?;
    let (c, issuer) = presentation_ciphertext(presentation)?;
    if r.hook_ciphertext()? != Some(c) {
        bail!(
            "{} asks about another presentation than {}",
            request.display(),
            presentation.display()
        );
    }
    let creds = requester(keystore_path, &g)?;
    let key = read_request_key(request)?;
    let id = th::identify(api, &creds, &g, &r, &key, wait)?;
    let c = &id.combined;
    if json {
        super::print_json(&json!({
            "holder_commitment": id.holder_commitment,
            "issuer": issuer,
            "hook_key": g.hook_key,
            "threshold": g.threshold,
            "request": hex::encode(r.id()),
            "officers_used": c.used,
            "officers_refused": c.rejected,
            "share_records": id.share_records,
            "access_records": id.access_records,
        }));
    } else {
        println!("holder commitment {}", id.holder_commitment);
        println!("  issued by {issuer}, which knows whom it issued it to");
        println!(
            "  identified by officers {:?} of {} ({} share records on the ledger)",
            c.used,
            g.threshold,
            id.share_records.len()
        );
        if !c.rejected.is_empty() {
            println!(
                "  REFUSED officers {:?}: their shares failed their proofs",
                c.rejected
            );
        }
    }
    Ok(())
}

/// Writes a request for the officers and, beside it as `<out>.key`, its
/// one-time key (encrypted), then says so; `what` names the request, with
/// `{id}` where its id goes.
fn write_request(
    out: &Path,
    group: &Path,
    req: &ShareRequest,
    seed: &crate::crypto::secret::Secret<[u8; 32]>,
    what: &str,
    json: bool,
) -> anyhow::Result<()> {
    let key_path = key_path(out);
    super::check_output(&key_path)?;
    write_json(out, req)?;
    let pass = passphrase_for(&key_path)?;
    th::save_request_key(&key_path, seed, pass.expose(), KdfParams::default())?;
    let id = hex::encode(req.id());
    if json {
        let mut v = json!({"request": out, "id": id, "key": key_path});
        if req.identify.is_some() {
            v["identify"] = json!(true);
        }
        super::print_json(&v);
    } else {
        println!(
            "{} written to {}; its key to {}",
            what.replace("{id}", &id),
            out.display(),
            key_path.display()
        );
        println!(
            "each officer runs: veil regulator --keystore <officer> share --group {} --request {}",
            group.display(),
            out.display()
        );
    }
    Ok(())
}

/// Opens the one-time key beside a request (`<request>.key`).
fn read_request_key(
    request: &Path,
) -> anyhow::Result<crate::crypto::regulator_ciphertext::RegulatorSecretKey> {
    let kp = key_path(request);
    let pass = passphrase_for(&kp)?;
    th::load_request_key(&kp, pass.expose())
        .with_context(|| format!("opening the request key {}", kp.display()))
}

fn key_path(request: &Path) -> PathBuf {
    let mut s = request.as_os_str().to_owned();
    s.push(".key");
    PathBuf::from(s)
}

/// Runs `veil regulator share`.
pub fn share(
    api: &str,
    keystore_path: &Path,
    group: &Path,
    request: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let (o, _) = load_officer(keystore_path)?;
    let g: GroupFile = read_json(group)?;
    let r: ShareRequest = read_json(request)?;
    let (accepted, points) = th::share(api, &o, &g, &r)?;
    if json {
        super::print_json(
            &json!({"request": accepted.request, "officer": accepted.officer, "access_record": accepted.access_record, "points": points}),
        );
    } else if r.identify.is_some() {
        println!(
            "officer {} ({}) answered identification request {}; access record {}",
            accepted.officer, o.name, accepted.request, accepted.access_record
        );
    } else {
        println!(
            "officer {} ({}) answered request {} over heights {}..={} ({points} points); access record {}",
            accepted.officer, o.name, accepted.request, r.from, r.to, accepted.access_record
        );
    }
    Ok(())
}

/// The requester's credentials: a regulator or auditor keystore, or an
/// officer's (with the group's delegation).
fn requester(keystore_path: &Path, g: &GroupFile) -> anyhow::Result<Credentials> {
    let pass = passphrase_for(keystore_path)?;
    match Credentials::load(keystore_path, pass.expose()) {
        Ok(c) => Ok(c),
        Err(keystore::KeystoreError::Kind { .. }) => {
            let o = Officer::load(keystore_path, pass.expose())?;
            Ok(o.credentials(g)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// What `view --threshold` and `report --threshold` print around the rows.
pub struct ThresholdOpening {
    /// The rows.
    pub rows: Vec<TransferRow>,
    /// The JSON to merge into the output.
    pub meta: serde_json::Value,
    /// A line for humans.
    pub line: String,
    /// Heights.
    pub from: u64,
    /// Heights.
    pub to: u64,
    /// Access records this opening left (the requester's reads and the
    /// officers' shares).
    pub records: usize,
}

/// Opens a threshold request (for `view`/`report --threshold`): waits up
/// to `wait` for t committed shares.
pub fn open(
    api: &str,
    keystore_path: &Path,
    group: &Path,
    request: &Path,
    wait: Duration,
) -> anyhow::Result<ThresholdOpening> {
    let g: GroupFile = read_json(group)?;
    let r: ShareRequest = read_json(request)?;
    let creds = requester(keystore_path, &g)?;
    let key = read_request_key(request)?;
    let session = crate::regulator::session::Session::new(api, creds);
    let dir = session.directory()?;
    let opening = th::open(api, session.credentials(), &g, &r, &key, &dir, wait)?;
    let c = &opening.combined;
    let meta = json!({
        "threshold": g.threshold,
        "request": hex::encode(r.id()),
        "officers_used": c.used,
        "officers_refused": c.rejected,
        "share_records": opening.share_records,
        "access_records": opening.access_records,
    });
    let mut line = format!(
        "opened by officers {:?} of {} ({} share records on the ledger)",
        c.used,
        g.threshold,
        opening.share_records.len()
    );
    if !c.rejected.is_empty() {
        line.push_str(&format!(
            "; REFUSED officers {:?}: their shares failed their proofs",
            c.rejected
        ));
    }
    Ok(ThresholdOpening {
        records: opening.access_records.len() + opening.share_records.len(),
        rows: opening.rows,
        meta,
        line,
        from: r.from,
        to: r.to,
    })
}
