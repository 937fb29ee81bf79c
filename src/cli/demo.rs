//! `veil demo`: Veil's story in one command, on a real node.
//!
//! Starts a fresh dev node in a temporary directory (RocksDB, HTTP API on an
//! ephemeral port), then: bank A pays bank B over the API; both balances
//! check out exactly; bank B finds the memo; the regulator reads the amount
//! from the verifiable ciphertexts; spending the same input again is
//! refused; a KYC issuer gives a holder a credential, the holder proves in
//! zero knowledge that they are at least 18 and discloses only their
//! country, the verifier checks it against the ledger's trust list, a
//! replay is refused, and after the issuer revokes the credential even a
//! proof against the old tree root is refused; the consortium committee
//! creates a `USD` asset and elects its issuer by proposal (a mint before
//! the vote is refused, the elected issuer's mint is accepted) and bank A
//! pays bank B in it; bank A stores an invoice in the evidence vault and
//! pays bank B with it attached, bank B and the regulator open it, bank C
//! is refused and the trail shows both openings; the node restarts and the
//! state root is unchanged.
//! Any failed step makes the command fail.

use std::sync::Arc;
use std::time::Duration;
use veil_codec::Encode;

use anyhow::{ensure, Context};
use rand_core::OsRng;
use serde_json::json;

use crate::cli::amount::json_object;

use crate::crypto::keys::AddressBytes;
use std::collections::BTreeMap;
use veil_client::types::AuditLogJson;

use crate::cli::identity::{build_request, IdentityClient};
use crate::dev::{DevNetwork, DEV_ASSET, DEV_CREDENTIAL_TYPE, DEV_JURISDICTION};
use crate::identity::presentation::Holder;
use crate::identity::timestamp;
use crate::ledger::genesis::GenesisConfig;
use crate::node::{Node, NodeConfig};
use crate::regulator::credentials::Credentials;
use crate::regulator::fetch_transactions;
use crate::regulator::view::{decrypt, Directory};
use crate::tx::registry::Jurisdiction;
use crate::tx::AssetId;
use crate::wallet::client::HttpSource;
use crate::wallet::source::ChainSource;
use crate::wallet::{submit_and_wait, Wallet};

fn config(dir: &std::path::Path, genesis: GenesisConfig) -> NodeConfig {
    let mut c = NodeConfig::new(dir.to_path_buf(), genesis);
    c.block_interval = Duration::from_millis(50);
    c
}

/// Runs the demo.
pub fn run(json_out: bool) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile_dir()?;
    let say = |s: String| {
        if !json_out {
            println!("{s}");
        }
    };
    let now = crate::clock::now_ms();
    let network = DevNetwork::generate(&mut OsRng, now)?;
    let genesis = network.genesis.clone();
    let asset = AssetId::new(DEV_ASSET)?;

    let node = Node::open(config(dir.path(), genesis.clone()))?;
    let running = rt.block_on(crate::daemon::start(
        Arc::clone(&node),
        "127.0.0.1:0".parse()?,
    ))?;
    let api = format!("http://{}", running.api_addr);
    say(format!(
        "Veil demo — dev node in {}, API {api}",
        dir.path().display()
    ));
    let source = HttpSource::new(&api);
    let mut a = Wallet::from_seed(&network.bank_a_seed, "bank-a");
    let mut b = Wallet::from_seed(&network.bank_b_seed, "bank-b");
    let mut quiet = |_: u64, _: u64| {};
    a.scan(&source, 50, &mut quiet)?;
    b.scan(&source, 50, &mut quiet)?;
    let a0 = a.balance(&asset).confirmed;
    let b0 = b.balance(&asset).confirmed;
    say(format!(
        "  bank-a {}  balance {}",
        a.address(),
        crate::cli::amount::format(a0, 2)
    ));
    say(format!(
        "  bank-b {}  balance {}",
        b.address(),
        crate::cli::amount::format(b0, 2)
    ));

    // 1. Bank A pays bank B.
    let amount = 25_000_000u64; // 250,000.00 CNY
    let fee = 10u64;
    let memo = b"invoice 2026-117".to_vec();
    let before_pay = a.state.clone();
    let tx = a.prepare_transfer(
        &source,
        &asset,
        b.address(),
        amount,
        &memo,
        fee,
        16,
        &mut OsRng,
    )?;
    let (hash, height) =
        submit_and_wait(&source, &tx, Duration::from_secs(60)).context("submitting the payment")?;
    say(format!("1. bank-a paid 250,000.00 CNY to bank-b: tx {hash} ({} bytes, ring 16), committed at height {height}", tx.encode()?.len()));

    // 2. Balances check out exactly; bank B reads the memo.
    a.scan(&source, 50, &mut quiet)?;
    b.scan(&source, 50, &mut quiet)?;
    let a1 = a.balance(&asset).confirmed;
    let b1 = b.balance(&asset).confirmed;
    ensure!(
        a1 == a0 - amount - fee,
        "bank-a balance {a1}, expected {}",
        a0 - amount - fee
    );
    ensure!(
        b1 == b0 + amount,
        "bank-b balance {b1}, expected {}",
        b0 + amount
    );
    let incoming = b
        .state
        .history
        .iter()
        .rev()
        .find(|h| h.direction == "in" && h.tx == hash.to_string())
        .context("bank-b has no history entry")?;
    ensure!(
        incoming.memo.as_bytes() == memo.as_slice(),
        "bank-b read a wrong memo"
    );
    say(format!(
        "2. balances: bank-a {} → {}, bank-b {} → {} (exact); bank-b read memo {:?}",
        crate::cli::amount::format(a0, 2),
        crate::cli::amount::format(a1, 2),
        crate::cli::amount::format(b0, 2),
        crate::cli::amount::format(b1, 2),
        incoming.memo
    ));

    // 3. The regulator asks the API (authenticated; the node records the
    // access on the ledger before serving) and decrypts locally.
    let creds = Credentials::Regulator {
        master: network.regulator(),
        label: "dev-regulator".into(),
        jurisdiction: Jurisdiction::new(DEV_JURISDICTION)?,
    };
    let (served, records) = fetch_transactions(&api, &creds, 0, None, "")?;
    let names: Directory = [
        (
            AddressBytes::from(a.address()).digest(),
            "bank-a".to_owned(),
        ),
        (
            AddressBytes::from(b.address()).digest(),
            "bank-b".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let rows = decrypt(&creds, &served, &names)?;
    let row = rows
        .iter()
        .find(|r| r.tx == hash.to_string())
        .context("the regulator does not see the payment")?;
    let to_b = row
        .outputs
        .iter()
        .find(|o| o.to == "bank-b")
        .context("regulator sees no payment to bank-b")?;
    let amounts_match = row.from == "bank-a"
        && to_b.amount == amount
        && row.fee == fee
        && row.outputs.iter().all(|o| o.payload_matches);
    ensure!(
        amounts_match,
        "the regulator's view disagrees with what moved"
    );
    // The access is on the ledger once the next block is made.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let audit_entries = loop {
        let log: AuditLogJson = serde_json::from_value(source.get_json("/v1/audit-log?from=0")?)?;
        let n = log
            .entries
            .iter()
            .filter(|e| records.contains(&e.tx))
            .count();
        if n == records.len() || std::time::Instant::now() > deadline {
            break n;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    ensure!(
        audit_entries == records.len(),
        "a served regulator query left no audit entry"
    );
    say(format!(
        "3. the regulator decrypted the proven amount ({} CNY bank-a → bank-b, memo {:?}); its query is on the ledger's audit trail ({audit_entries} entry)",
        crate::cli::amount::format(to_b.amount, 2),
        to_b.memo
    ));

    // 4. Spending the same input again is refused.
    let mut replay = Wallet::from_seed(&network.bank_a_seed, "bank-a");
    replay.state = before_pay;
    let again = replay.prepare_transfer(
        &source,
        &asset,
        b.address(),
        amount,
        b"again",
        fee,
        16,
        &mut OsRng,
    )?;
    ensure!(
        again
            .key_images()
            .iter()
            .any(|k| tx.key_images().contains(k)),
        "the second transfer does not reuse the input"
    );
    let refusal = match source.submit(&again) {
        Ok(h) => anyhow::bail!("double spend {h} was accepted"),
        Err(e) => e.to_string(),
    };
    ensure!(
        refusal.to_lowercase().contains("double spend"),
        "unexpected refusal: {refusal}"
    );
    say(format!(
        "4. spending the same input again: refused ({refusal})"
    ));

    // 5. Credentials.
    let credential = credential_step(&source, &network, &say)?;

    // 6. Governance.
    let governance = governance_step(&source, &network, &mut a, &mut b, &say)?;

    // 7. Cold signing.
    let cold = cold_signing_step(&source, &asset, &mut a, &b, &say)?;

    // 8. The operations console.
    let console = console_step(&api, height, &String::from_utf8_lossy(&memo), &say)?;

    // 9. The evidence vault.
    let vault = vault_step(&api, &source, &network, &mut a, &mut b, dir.path(), &say)?;

    // 10. Dual control: a threshold regulator key.
    let dual = dual_control_step(&api, &source, &network, &mut a, &b, &say)?;

    // 11. Restart: same state root.
    // The tip as the node stopped (a block may still commit while it
    // stops, e.g. a record a step's last request left in the mempool).
    rt.block_on(running.stop())?;
    let tip = node.ledger.tip();
    drop(node);
    let node = Node::open(config(dir.path(), genesis))?;
    let tip2 = node.ledger.tip();
    ensure!(
        tip2 == tip,
        "state after restart differs: {tip:?} vs {tip2:?}"
    );
    say(format!(
        "11. node restarted at height {}: state root {} unchanged",
        tip2.height,
        hex::encode(tip2.state_root)
    ));
    node.flush()?;

    if json_out {
        super::print_json(&json!({
            "ok": true,
            "transfer": json_object(
                &[("amount", amount), ("fee", fee)],
                2,
                json!({"asset": "CNY", "tx": hash.to_string(), "height": height, "bytes": tx.encode()?.len()}),
            ),
            "balances": {
                "asset": "CNY",
                "bank_a": json_object(&[("before", a0), ("after", a1)], 2, json!({})),
                "bank_b": json_object(&[("before", b0), ("after", b1)], 2, json!({})),
            },
            "double_spend_refused": true,
            "regulator": {"amounts_match": amounts_match, "audit_entries": audit_entries},
            "credential": credential,
            "governance": governance,
            "cold_signing": cold,
            "console": console,
            "vault": vault,
            "dual_control": dual,
            "restart": {"height": tip2.height, "state_root_unchanged": true},
            "state_root": hex::encode(tip2.state_root),
        }));
    } else {
        println!("ok");
    }
    Ok(())
}

/// Three officers make a 2-of-3 key (files in a real ceremony; here in one
/// process), the regulator publishes it for the current epoch, bank A pays
/// bank B under it; the regulator's own key no longer opens the payment,
/// two officers each answer the regulator's request with a record on the
/// ledger, and their shares open it.
fn dual_control_step(
    api: &str,
    source: &HttpSource,
    network: &DevNetwork,
    a: &mut Wallet,
    b: &Wallet,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    use crate::regulator::threshold::{self as th, Officer, Roster, ShareRequest};
    let jurisdiction = Jurisdiction::new(DEV_JURISDICTION)?;
    let mut officers: Vec<Officer> = (1..=3)
        .map(|i| Officer::generate(&format!("officer-{i}"), jurisdiction.clone()))
        .collect();
    let roster = Roster {
        jurisdiction: DEV_JURISDICTION.into(),
        threshold: 2,
        officers: officers.iter().map(Officer::card).collect(),
    };
    let deals = officers
        .iter()
        .map(|o| th::deal(o, &roster, &mut OsRng))
        .collect::<Result<Vec<_>, _>>()?;
    let mut groups = Vec::new();
    for o in &mut officers {
        groups.push(th::finish(o, &roster, &deals)?);
    }
    let mut group = groups.remove(0);
    let creds = Credentials::Regulator {
        master: network.regulator(),
        label: "dev-regulator".into(),
        jurisdiction: jurisdiction.clone(),
    };
    let epoch = 0;
    let slot = super::threshold::publish(api, &creds, &mut group, epoch, 1)?;
    let asset = AssetId::new(DEV_ASSET)?;
    let tx = a.prepare_transfer(
        source,
        &asset,
        b.address(),
        50_000,
        b"dual control",
        10,
        16,
        &mut OsRng,
    )?;
    let (hash, height) = submit_and_wait(source, &tx, Duration::from_secs(60))?;
    // The regulator's own keys do not open it.
    let (served, _) = fetch_transactions(api, &creds, height, Some(height), "")?;
    ensure!(
        decrypt(&creds, &served, &Directory::new()).is_err(),
        "the regulator's single key opened a threshold epoch"
    );
    let (request, seed) = ShareRequest::new(&group, height, height, false)?;
    let key = crate::crypto::regulator_ciphertext::RegulatorSecretKey::from_seed(seed.expose());
    for o in [&officers[0], &officers[2]] {
        th::share(api, o, &group, &request)?;
    }
    let names: Directory = [
        (
            AddressBytes::from(a.address()).digest(),
            "bank-a".to_owned(),
        ),
        (
            AddressBytes::from(b.address()).digest(),
            "bank-b".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let opening = th::open(
        api,
        &creds,
        &group,
        &request,
        &key,
        &names,
        Duration::from_secs(60),
    )?;
    let row = opening
        .rows
        .iter()
        .find(|r| r.tx == hash.to_string())
        .context("the threshold view misses the payment")?;
    let paid = row
        .outputs
        .iter()
        .find(|o| !o.change)
        .context("no payment output")?;
    ensure!(
        paid.amount == 50_000 && paid.to == "bank-b" && row.from == "bank-a",
        "the threshold view reads {row:?}"
    );
    say(format!(
        "10. dual control: three officers made a 2-of-3 key, published for epoch {epoch} (version {}); bank-a paid bank-b 500.00 CNY under it; the regulator's own key cannot open it; officers {:?} each left a signed record on the ledger and their shares opened it: {} → {} {}",
        slot.version,
        opening.combined.used,
        row.from,
        paid.to,
        crate::cli::amount::format(paid.amount, 2)
    ));
    let identified =
        threshold_identification(api, source, network, &creds, &group, &officers, height, say)?;
    Ok(json!({
        "ok": true,
        "threshold": group.threshold,
        "group_key": group.group_key,
        "payment": hash.to_string(),
        "single_key_refused": true,
        "officers_used": opening.combined.used,
        "share_records": opening.share_records,
        "identification": identified,
    }))
}

/// The ceremony also shared a credential-hook key: the root authority
/// accredits the KYC issuer with it, a holder presents, and only two
/// officers, each leaving a record first, identify the holder.
#[allow(clippy::too_many_arguments)]
fn threshold_identification(
    api: &str,
    source: &HttpSource,
    network: &DevNetwork,
    creds: &Credentials,
    group: &crate::regulator::threshold::GroupFile,
    officers: &[crate::regulator::threshold::Officer],
    height: u64,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    use crate::identity::tx::TrustOp;
    use crate::regulator::threshold::{self as th, ShareRequest};
    let hook = group
        .hook_public()?
        .context("the ceremony shared no credential-hook key")?;
    let client = IdentityClient { source };
    for op in [
        TrustOp::Revoke {
            issuer: network.kyc_issuer.did,
            credential_type: DEV_CREDENTIAL_TYPE.into(),
        },
        TrustOp::AccreditWithHook {
            issuer: network.kyc_issuer.did,
            credential_type: DEV_CREDENTIAL_TYPE.into(),
            regulator_key: hook.key().to_bytes(),
        },
    ] {
        client.trust_op(&network.root_authority, op)?;
    }
    let envelope = client.issue(
        &network.kyc_issuer,
        DEV_CREDENTIAL_TYPE,
        network.holder.holder_commitment(),
        &kyc_attributes(),
    )?;
    let (_, ty) = client.accept(&network.holder, &envelope)?;
    let request = adult_request(&ty, "demo-bank/dual-control")?;
    let presentation = client.present(&network.holder, &envelope, &request)?;
    client
        .verify(&presentation.to_json(), &request.to_json())?
        .map_err(|p| anyhow::anyhow!("presentation refused: {}", p.detail))?;
    let c = presentation
        .regulator_ciphertext
        .context("the presentation carries no hook ciphertext")?;
    let mine = network.holder.holder_commitment();
    ensure!(
        network
            .regulator()
            .jurisdiction(DEV_JURISDICTION)
            .credential_hook()
            .decrypt(&c)
            != mine,
        "the regulator's own hook key identified a holder under a threshold hook key"
    );
    let (req, seed) = ShareRequest::identify(group, &c, height)?;
    let key = crate::crypto::regulator_ciphertext::RegulatorSecretKey::from_seed(seed.expose());
    for o in [&officers[1], &officers[2]] {
        th::share(api, o, group, &req)?;
    }
    let id = th::identify(api, creds, group, &req, &key, Duration::from_secs(60))?;
    ensure!(
        id.holder_commitment == veil_circuits::field::to_hex(&mine),
        "the officers identified another holder"
    );
    say(format!(
        "    the officers' ceremony also shared a credential-hook key; the root authority accredited the KYC issuer with it; the regulator's own hook key cannot identify a new presentation; officers {:?} each left a record and identified the holder {}…",
        id.combined.used,
        &id.holder_commitment[..16]
    ));
    Ok(json!({
        "ok": true,
        "hook_key": group.hook_key,
        "officers_used": id.combined.used,
        "share_records": id.share_records,
        "single_key_refused": true,
    }))
}

/// A request for age ≥ 18 with the country disclosed; each call draws a
/// fresh nonce.
fn adult_request(
    ty: &crate::identity::schema::CredentialType,
    scope: &str,
) -> anyhow::Result<crate::identity::presentation::PresentationRequest> {
    build_request(ty, scope, "country", &[], None, None, None, Some(18))
}

/// The KYC attributes the demo's credentials carry.
fn kyc_attributes() -> BTreeMap<String, serde_json::Value> {
    [
        ("birth_date", "1990-04-01"),
        ("country", "CN"),
        ("given_name", "Li"),
        ("family_name", "Wei"),
        ("document_number", "E12345678"),
        ("level", "2"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), json!(v)))
    .collect()
}

/// Bank A stores an invoice in the vault (encrypted on its side) and pays
/// bank B with the invoice attached; bank B opens it with the key its note
/// carried, the regulator opens it with its epoch key, bank C is refused,
/// and the document's trail shows both openings, each signed.
#[allow(clippy::too_many_arguments)]
fn vault_step(
    api: &str,
    source: &HttpSource,
    network: &DevNetwork,
    a: &mut Wallet,
    b: &mut Wallet,
    dir: &std::path::Path,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    use crate::tx::vault::attachment;
    use crate::tx::vault::party::Party;
    use crate::tx::vault::{VaultOp, VaultTx};
    use crate::wallet::vault as vv;
    use veil_client::types::VaultLogJson;
    use veil_client::Client;

    let client = Client::new(api);
    let pa = Party::from_account(a.keys()?);
    let pb = Party::from_account(b.keys()?);
    let mut c_seed = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut OsRng, &mut c_seed);
    let pc = Party::from_account(&crate::crypto::keys::AccountKeys::from_seed(&c_seed));
    for p in [&pa, &pb, &pc] {
        vv::ensure_enrolled(&client, source, p)?;
    }
    let invoice = format!(
        "COMMERCIAL INVOICE 2026-117\nseller: bank-a customer\nbuyer: bank-b customer\ntotal: 1,000.00 CNY\n{}",
        "line item\n".repeat(2000)
    );
    let stored = vv::put(
        &client,
        source,
        &pa,
        None,
        &[],
        std::io::Cursor::new(invoice.as_bytes()),
        crate::vault::Metadata {
            name: "invoice-2026-117.txt".into(),
            media_type: "text/plain".into(),
        },
        &mut |_, _| {},
    )?;
    let doc = hex::encode(stored.ctx.id);
    let asset = AssetId::new(DEV_ASSET)?;
    let memo = attachment::memo(&stored.ctx, &stored.key, "invoice 2026-117");
    let tx = a.prepare_transfer(
        source,
        &asset,
        b.address(),
        100_000,
        memo.expose().as_bytes(),
        10,
        16,
        &mut OsRng,
    )?;
    let (hash, pay_height) = submit_and_wait(source, &tx, Duration::from_secs(60))?;

    // Bank B: the key from its note; it is no grantee, so it opens by
    // capability, and its opening is recorded before the node serves it.
    let mut quiet = |_: u64, _: u64| {};
    b.scan(source, 50, &mut quiet)?;
    let note = b
        .state
        .history
        .iter()
        .rev()
        .find(|h| h.tx == hash.to_string())
        .context("bank-b has no history entry for the payment")?;
    let key = attachment::parse(&note.memo)
        .0
        .filter(|x| x.ctx.id == stored.ctx.id)
        .context("bank-b's note carries no attachment")?
        .key;
    let d = vv::document(&client, &stored.ctx.id)?;
    let v = vv::version_of(&d, None)?;
    let open = vv::open_record(&pb, &d, v, &key, crate::clock::now_ms(), 60_000)?;
    let b_file = dir.join("bank-b-invoice");
    vv::download(&client, &open, &key, v, &b_file, &mut |_, _| {})?;
    ensure!(
        std::fs::read(&b_file)? == invoice.as_bytes(),
        "bank-b opened a different invoice"
    );

    // The regulator: the key from its wrap, an opening signed by its
    // identity.
    let creds = Credentials::Regulator {
        master: network.regulator(),
        label: "dev-regulator".into(),
        jurisdiction: Jurisdiction::new(DEV_JURISDICTION)?,
    };
    let rkey = super::vault::regulator_key(&client, &creds, &stored.ctx.id, v)?;
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut OsRng, &mut nonce);
    let ropen = VaultTx::sign(
        &creds.signer(),
        nonce,
        VaultOp::Open {
            doc: stored.ctx.id,
            version: v.version,
            expires_ms: crate::clock::now_ms() + 60_000,
            capability: None,
        },
    )?;
    let r_file = dir.join("regulator-invoice");
    vv::download(&client, &ropen, &rkey, v, &r_file, &mut |_, _| {})?;
    ensure!(
        std::fs::read(&r_file)? == invoice.as_bytes(),
        "the regulator opened a different invoice"
    );

    // Bank C holds no key and no grant: refused, and nothing is written.
    let copen = pc.open(
        stored.ctx.id,
        v.version,
        crate::clock::now_ms() + 60_000,
        None,
        &mut OsRng,
    )?;
    let c_file = dir.join("bank-c-invoice");
    let refusal = match vv::download(&client, &copen, &key, v, &c_file, &mut |_, _| {}) {
        Ok(_) => anyhow::bail!("bank-c opened a document it was never given"),
        Err(vv::VaultClientError::Client(e)) => e
            .problem()
            .map(|p| (p.status, p.kind.clone()))
            .context("bank-c's refusal is not a problem")?,
        Err(e) => return Err(e.into()),
    };
    ensure!(
        refusal.0 == 403 && !c_file.exists(),
        "bank-c: unexpected answer {refusal:?}"
    );

    // An auditor known only by its DID (the dev credential holder's):
    // it adds an X25519 key-agreement key to its DID document, enrols
    // with its authentication key, bank A grants it the invoice by DID,
    // and it opens it with its agreement key.
    let auditor = did_auditor(source, network, &client)?;
    let (auditor_key, to) = vv::resolve(&client, &network.holder.did.to_string())?;
    ensure!(
        auditor_key == auditor.key(),
        "the node resolves the DID to another party"
    );
    let grant = pa.sign(
        VaultOp::Grant {
            doc: stored.ctx.id,
            version: v.version,
            party: auditor_key,
            wrap: Box::new(crate::vault::wrap_for(
                &stored.key,
                &to,
                &stored.ctx,
                &mut OsRng,
            )?),
        },
        &mut OsRng,
    )?;
    vv::submit_record(source, grant)?;
    let d = vv::document(&client, &stored.ctx.id)?;
    let v = vv::version_of(&d, None)?;
    let akey = vv::own_key(&auditor, &stored.ctx.id, v)?;
    let aopen = vv::open_record(&auditor, &d, v, &akey, crate::clock::now_ms(), 60_000)?;
    let a_file = dir.join("auditor-invoice");
    vv::download(&client, &aopen, &akey, v, &a_file, &mut |_, _| {})?;
    ensure!(
        std::fs::read(&a_file)? == invoice.as_bytes(),
        "the auditor opened a different invoice"
    );

    // The trail: the put, bank B's, the regulator's and the auditor's
    // openings, signed.
    let log: VaultLogJson = client.get(&format!("/v1/vault/documents/{doc}/log"))?;
    let opens: Vec<&str> = log
        .entries
        .iter()
        .filter(|e| e.op == "open")
        .map(|e| e.role.as_str())
        .collect();
    ensure!(
        opens == ["capability", "regulator", "grantee"],
        "the trail shows openings {opens:?}"
    );
    // Nothing on the public ledger names the attachment.
    let block = source
        .get_json(&format!("/v1/blocks/{pay_height}"))?
        .to_string();
    ensure!(
        !block.contains(&doc),
        "the payment shows the document id in public"
    );
    say(format!(
        "9. evidence vault: bank-a stored invoice {} ({} bytes, encrypted before upload) and paid bank-b 1,000.00 CNY with it attached; bank-b opened it with the key its note carried, the regulator with its epoch key; bank-c was refused ({} {}); bank-a granted it to an auditor known only by its DID {}, who opened it with its X25519 key-agreement key; the document's trail shows {} entries, every opening signed",
        &doc[..16],
        invoice.len(),
        refusal.0,
        refusal.1,
        network.holder.did,
        log.entries.len()
    ));
    Ok(json!({
        "ok": true,
        "doc": doc,
        "payment": hash.to_string(),
        "bank_b_opened": true,
        "regulator_opened": true,
        "bank_c_refused": refusal.0,
        "did_auditor": network.holder.did.to_string(),
        "did_auditor_opened": true,
        "trail": log.entries.iter().map(|e| json!({"op": e.op, "role": e.role})).collect::<Vec<_>>(),
    }))
}

/// The dev credential holder as a vault party known by its DID: an X25519
/// key-agreement method `#vault-agree` added to its DID document (unless
/// there), enrolled with its first key.
fn did_auditor(
    source: &HttpSource,
    network: &DevNetwork,
    client: &veil_client::Client,
) -> anyhow::Result<crate::tx::vault::party::Party> {
    use crate::identity::did::{Fragment, Method, KEY_AGREEMENT};
    use crate::identity::local_identity::Identity;
    use crate::identity::tx::{Change, DidOp};
    let holder = &network.holder;
    let (auth, key) = holder.first_key().context("the dev holder has no key")?;
    let crate::identity::keys::SecretKey::Ed25519(signer) = key else {
        anyhow::bail!("the dev holder's first key is not Ed25519");
    };
    let agree = Fragment::new("vault-agree")?;
    // Fresh each run: the secret lives only in this demo.
    let (secret, public) = Identity::generate_agreement_key(&mut OsRng);
    let ids = IdentityClient { source };
    ids.did_op(
        holder,
        DidOp::Update(vec![Change::AddMethod(Method {
            fragment: agree.clone(),
            key: public,
            relationships: KEY_AGREEMENT,
        })]),
    )?;
    let party = crate::tx::vault::party::Party::from_did(
        holder.did,
        auth.clone(),
        crate::crypto::signing::SigningKey::from_seed(signer.seed().expose()),
        agree,
        secret,
    );
    crate::wallet::vault::ensure_enrolled(client, source, &party)?;
    Ok(party)
}

/// The node serves its console; its health shows no alert; the explorer's
/// view of the first payment's block has its public parts and not its
/// memo.
fn console_step(
    api: &str,
    payment_height: u64,
    memo: &str,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    let page = ureq::get(&format!("{api}/console/"))
        .call()
        .context("fetching the console")?;
    ensure!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("script-src 'self'")),
        "the console is served without its content security policy"
    );
    let html = page.into_string()?;
    ensure!(
        html.contains("app.js"),
        "the console page is not the console"
    );
    let health = HttpSource::new(api).get_json("/v1/node/health")?;
    let alerts = health["alerts"].as_array().map_or(0, Vec::len);
    ensure!(alerts == 0, "the node reports alerts: {}", health["alerts"]);
    let block = ureq::get(&format!("{api}/v1/blocks/{payment_height}"))
        .call()?
        .into_string()?;
    let b: serde_json::Value = serde_json::from_str(&block)?;
    let tx = b["txs"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["kind"] == "transfer"))
        .context("the payment's block has no transfer")?;
    ensure!(
        !tx["one_time_keys"].as_array().is_none_or(Vec::is_empty)
            && !tx["parts"].as_array().is_none_or(Vec::is_empty),
        "the explorer's view lacks the public parts"
    );
    ensure!(!block.contains(memo), "the public API shows the memo");
    say(format!(
        "8. the console at {api}/console/ (explorer, operations, governance, credentials): height {}, no alerts; the payment's block shows key images, one-time keys, commitments and proof sizes, never the amount or memo",
        health["height"]
    ));
    Ok(json!({
        "ok": true,
        "url": format!("{api}/console/"),
        "alerts": alerts,
        "height": health["height"],
        "memo_hidden": true,
    }))
}

/// Bank A's online machine holds a view-only copy of its wallet: it
/// prepares a payment as a spend request, the full wallet signs it from
/// the file alone (as the offline machine would), and the view-only wallet
/// submits it and sees its inputs spent.
fn cold_signing_step(
    source: &HttpSource,
    asset: &AssetId,
    a: &mut Wallet,
    b: &Wallet,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    use crate::wallet::cold::{RequestPayment, SignedTransfer, SpendRequest};
    let mut quiet = |_: u64, _: u64| {};
    let mut online = a.to_view_only();
    online.scan(source, 50, &mut quiet)?;
    let before = online.balance(asset).confirmed;
    let (amount, fee) = (100_000u64, 1u64); // 1,000.00 CNY, 0.01 CNY
    let request = online.prepare_request(
        source,
        asset,
        vec![RequestPayment {
            to: b.address().to_string(),
            amount,
            memo: "cold-signed payroll".into(),
        }],
        fee,
        16,
        &mut OsRng,
    )?;
    // The files that cross the air gap.
    let request_file = request.to_json()?;
    let request = SpendRequest::from_json(&request_file)?;
    let review = request.review(a.keys()?)?;
    ensure!(
        review.payments.len() == 1 && review.fee == fee,
        "the signer's review differs from the request"
    );
    let signed_file = a.sign_request(&request, &mut OsRng)?.to_json()?;
    let signed = SignedTransfer::from_json(&signed_file)?;
    let hash = crate::wallet::submit_signed(source, &signed)?;
    online.import_signed(&signed)?;
    let height = crate::wallet::wait_committed(source, &hash, Duration::from_secs(60))?;
    online.scan(source, 50, &mut quiet)?;
    a.scan(source, 50, &mut quiet)?;
    let after = online.balance(asset).confirmed;
    ensure!(
        after == before - amount - fee && a.balance(asset).confirmed == after,
        "the view-only wallet's balance {after} is not {} after the cold-signed payment",
        before - amount - fee
    );
    say(format!(
        "7. cold signing: a view-only wallet prepared a spend request ({} bytes), the spend key signed it from the file alone, the view-only wallet submitted it: tx {hash} at height {height}; balance {} → {} CNY",
        request_file.len(),
        crate::cli::amount::format(before, 2),
        crate::cli::amount::format(after, 2)
    ));
    Ok(json!({
        "ok": true,
        "tx": hash.to_string(),
        "height": height,
        "request_bytes": request_file.len(),
        "amount": crate::cli::amount::format(amount, 2),
        "amount_minor": amount,
    }))
}

/// The committee elects an issuer for a new asset, `USD`; the issuer's
/// mint is refused before the vote and accepted after; bank A pays bank B
/// in it.
fn governance_step(
    source: &HttpSource,
    network: &DevNetwork,
    a: &mut Wallet,
    b: &mut Wallet,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    use crate::crypto::signing::SigningKey;
    use crate::tx::bundle::build::PlannedOutput;
    use crate::tx::governance::{Action, Supply};
    use crate::tx::mint::MintPlan;
    use crate::tx::Transaction;

    let usd = AssetId::new("USD")?;
    let usd_issuer = SigningKey::generate(&mut OsRng);
    let regulator_key = source.regulator_key()?;
    let to = *a.address();
    let mint = || -> anyhow::Result<Transaction> {
        let plan = MintPlan {
            asset: usd.clone(),
            issuer: &usd_issuer,
            regulator_key,
            outputs: (0..16)
                .map(|_| PlannedOutput {
                    to,
                    amount: 10_000, // 100.00 USD
                    memo: b"USD issuance".to_vec(),
                })
                .collect(),
        };
        Ok(Transaction::Mint(plan.build(&mut OsRng)?))
    };
    let refusal = match source.submit(&mint()?) {
        Ok(h) => anyhow::bail!("a mint of an asset nobody created was accepted: {h}"),
        Err(e) => e.to_string(),
    };
    let proposal = crate::cli::gov::propose(
        source,
        &network.committee,
        Action::CreateAsset {
            asset: usd.clone(),
            name: "US dollar (digital, development)".into(),
            decimals: 2,
            issuer: *usd_issuer.public(),
            supply: Supply::Open,
        },
        "create USD and elect its issuer",
    )?;
    ensure!(
        proposal.status == "passed",
        "the committee's proposal is {}",
        proposal.status
    );
    let (mint_hash, mint_height) =
        submit_and_wait(source, &mint()?, Duration::from_secs(60)).context("the USD mint")?;
    let mut quiet = |_: u64, _: u64| {};
    a.scan(source, 50, &mut quiet)?;
    let minted = a.balance(&usd).confirmed;
    ensure!(
        minted == 160_000,
        "bank-a holds {minted} USD minor units, expected 160000"
    );
    let b_before = b.balance(&usd).confirmed;
    let pay = a.prepare_transfer(
        source,
        &usd,
        b.address(),
        25_000,
        b"USD invoice",
        10,
        8,
        &mut OsRng,
    )?;
    let (pay_hash, pay_height) =
        submit_and_wait(source, &pay, Duration::from_secs(60)).context("the USD payment")?;
    b.scan(source, 50, &mut quiet)?;
    let received = b.balance(&usd).confirmed - b_before;
    ensure!(
        received == 25_000,
        "bank-b received {received} USD minor units, expected 25000"
    );
    say(format!(
        "6. governance: a USD mint before any vote was refused ({refusal}); the committee's proposal {} created USD and elected its issuer (passed at height {}); the issuer minted 1,600.00 USD to bank-a (height {mint_height}) and bank-a paid bank-b 250.00 USD (tx {pay_hash}, height {pay_height})",
        proposal.id,
        proposal.closed_height.unwrap_or_default(),
    ));
    Ok(json!({
        "ok": true,
        "mint_before_vote_refused": true,
        "proposal": proposal.id,
        "status": proposal.status,
        "mint": json_object(
            &[("amount", minted)],
            2,
            json!({"asset": "USD", "tx": mint_hash.to_string(), "height": mint_height}),
        ),
        "payment": json_object(
            &[("amount", received)],
            2,
            json!({"asset": "USD", "tx": pay_hash.to_string(), "height": pay_height}),
        ),
    }))
}

/// A KYC credential, a selective-disclosure presentation with an age
/// predicate, a refused replay, a revocation and a refused stale proof.
fn credential_step(
    source: &HttpSource,
    network: &DevNetwork,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    let client = IdentityClient { source };
    let attributes = kyc_attributes();
    let envelope = client.issue(
        &network.kyc_issuer,
        DEV_CREDENTIAL_TYPE,
        network.holder.holder_commitment(),
        &attributes,
    )?;
    let (held, ty) = client.accept(&network.holder, &envelope)?;
    let adult_request = || adult_request(&ty, "demo-bank/onboarding");
    let request = adult_request()?;
    let started = std::time::Instant::now();
    let presentation = client.present(&network.holder, &envelope, &request)?;
    let prove_ms = started.elapsed().as_secs_f64() * 1e3;
    let p_json = presentation.to_json();
    let verified = client
        .verify(&p_json, &request.to_json())?
        .map_err(|p| anyhow::anyhow!("presentation refused: {}", p.detail))?;
    ensure!(
        verified["verified"] == json!(true)
            && verified["disclosed"] == json!({"country": "CN"})
            && verified["issuer"] == json!(network.kyc_issuer.did.to_string()),
        "unexpected verification result {verified}"
    );
    let proof_bytes = p_json.to_string().len();
    say(format!(
        "5. kyc-issuer {} issued a KycCredential to the holder (leaf {}); the holder proved age ≥ 18 and disclosed only country=CN in {:.0} ms ({proof_bytes} bytes of JSON, 128-byte Groth16 proof); the verifier accepted it",
        network.kyc_issuer.did, held.leaf_index, prove_ms
    ));
    // The accreditation has the regulator hook: the verifier keeps a
    // ciphertext only the regulator opens, to the holder's commitment.
    let hooked = presentation.regulator_ciphertext.is_some();
    let identified = match crate::identity::presentation::ciphertext_from_json(
        &verified["regulator_ciphertext"],
    ) {
        Some(c) => {
            let h = network
                .regulator()
                .jurisdiction(DEV_JURISDICTION)
                .credential_hook()
                .decrypt(&c);
            ensure!(
                h == network.holder.holder_commitment(),
                "the regulator decrypted another holder commitment"
            );
            say(format!(
                "   the verifier learned nothing else; the regulator decrypted the holder commitment {}… from the ciphertext the proof binds (the issuer knows whom it belongs to)",
                &veil_circuits::field::to_hex(&h)[..16]
            ));
            true
        }
        None => false,
    };
    // Replaying the same presentation reuses its nullifier.
    let replay = client.verify(&p_json, &request.to_json())?;
    let replay_code = match replay {
        Ok(_) => anyhow::bail!("a replayed presentation was accepted"),
        Err(p) => p.kind,
    };
    ensure!(
        replay_code.ends_with("nullifier-reused"),
        "unexpected replay refusal {replay_code}"
    );
    // The issuer revokes; a proof against the tree as it was is refused.
    let (old_path, old_root) = client.path(&held.issuer, held.leaf_index)?;
    client.revoke(&network.kyc_issuer, vec![held.leaf_index])?;
    let fresh = adult_request()?;
    let (key, hook) = client.proving_key(&held.issuer, &held.credential_type)?;
    let stale = Holder {
        key: &key,
        secret: network.holder.holder_secret(),
        credential: &held,
        credential_type: &ty,
        path: old_path,
        root: old_root,
        hook,
    }
    .present(&fresh, &timestamp(crate::clock::now_ms()))?;
    let revoked_code = match client.verify(&stale.to_json(), &fresh.to_json())? {
        Ok(_) => anyhow::bail!("a revoked credential was accepted"),
        Err(p) => p.kind,
    };
    ensure!(
        revoked_code.ends_with("credential-revoked"),
        "unexpected revocation refusal {revoked_code}"
    );
    // And the holder cannot prove against the current tree at all.
    ensure!(
        client.present(&network.holder, &envelope, &fresh).is_err(),
        "the holder proved membership of a revoked credential"
    );
    say(format!(
        "   the replay was refused (nullifier-reused); the issuer revoked leaf {}, and a proof against the old root was refused (credential-revoked)",
        held.leaf_index
    ));
    Ok(json!({
        "verified": true,
        "disclosed": verified["disclosed"],
        "replay_refused": true,
        "revoked_refused": true,
        "constraints": if hooked {
            veil_circuits::presentation::HOOKED_CONSTRAINTS
        } else {
            veil_circuits::presentation::CONSTRAINTS
        },
        "regulator_hook": hooked,
        "regulator_identified": identified,
        "prove_ms": prove_ms,
    }))
}

fn tempfile_dir() -> anyhow::Result<TempDir> {
    let base = std::env::temp_dir().join(format!(
        "veil-demo-{}-{}",
        std::process::id(),
        rand_core::RngCore::next_u32(&mut OsRng)
    ));
    std::fs::create_dir_all(&base)?;
    Ok(TempDir(base))
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
