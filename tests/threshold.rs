//! Dual control end to end: a 3-of-5 threshold regulator key made by five
//! officers through the CLI (files between them), published by the
//! regulator, opened by three officers whose shares each become an access
//! record on a real node first; two officers open nothing; a bad share is
//! named; resharing to 2-of-3 keeps the key.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::node::TestNode;
use rand_core::OsRng;
use serde_json::Value;
use veil::dev::DEV_PASSPHRASE;
use veil::regulator::threshold::{self as th, GroupFile, Officer, ShareRequest};
use veil::wallet::keystore::KdfParams;

fn veil(args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(args)
        .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    (out.status.success(), json, stderr + &stdout)
}

fn ok(args: &[&str]) -> Value {
    let (ok, v, err) = veil(args);
    assert!(ok, "veil {args:?}: {err}");
    v
}

/// `veil regulator --keystore OFFICER --api API share --group G --request R`.
fn share(api: &str, officer: &str, group: &str, request: &str) -> (bool, Value, String) {
    veil(&[
        "--json",
        "regulator",
        "--keystore",
        officer,
        "--api",
        api,
        "share",
        "--group",
        group,
        "--request",
        request,
    ])
}

/// [`share`], which must succeed.
fn ok_share(api: &str, officer: &str, group: &str, request: &str) -> Value {
    let (ok, v, err) = share(api, officer, group, request);
    assert!(ok, "share by {officer}: {err}");
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `n` officers make a `t`-of-`n` key through the CLI.
fn ceremony(
    dir: &Path,
    api: &str,
    t: u16,
    n: usize,
    tag: &str,
) -> (Vec<PathBuf>, PathBuf, Vec<PathBuf>) {
    let officers: Vec<PathBuf> = (1..=n)
        .map(|i| dir.join(format!("{tag}-officer-{i}.keystore")))
        .collect();
    let cards: Vec<PathBuf> = (1..=n)
        .map(|i| dir.join(format!("{tag}-card-{i}.json")))
        .collect();
    for (i, (o, c)) in officers.iter().zip(&cards).enumerate() {
        ok(&[
            "--json",
            "regulator",
            "--keystore",
            s(o),
            "officer",
            "--name",
            &format!("{tag}-{}", i + 1),
            "--jurisdiction",
            veil::dev::DEV_JURISDICTION,
            "--card",
            s(c),
        ]);
    }
    let roster = dir.join(format!("{tag}-roster.json"));
    let mut args: Vec<String> = ["--json", "regulator", "dkg", "roster", "--threshold"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    args.extend([
        t.to_string(),
        "--jurisdiction".into(),
        veil::dev::DEV_JURISDICTION.into(),
        "--out".into(),
        s(&roster).into(),
    ]);
    args.extend(cards.iter().map(|c| s(c).to_owned()));
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let _ = api;
    (officers, roster, cards)
}

fn deal_and_finish(dir: &Path, officers: &[PathBuf], roster: &Path, tag: &str) -> PathBuf {
    let deals: Vec<PathBuf> = (1..=officers.len())
        .map(|i| dir.join(format!("{tag}-deal-{i}.json")))
        .collect();
    for (o, d) in officers.iter().zip(&deals) {
        ok(&[
            "--json",
            "regulator",
            "--keystore",
            s(o),
            "dkg",
            "deal",
            "--roster",
            s(roster),
            "--out",
            s(d),
        ]);
    }
    let mut keys = Vec::new();
    let mut group = PathBuf::new();
    for (i, o) in officers.iter().enumerate() {
        let g = dir.join(format!("{tag}-group-{}.json", i + 1));
        let mut args = vec![
            "--json",
            "regulator",
            "--keystore",
            s(o),
            "dkg",
            "finish",
            "--roster",
            s(roster),
            "--out",
            s(&g),
        ];
        args.extend(deals.iter().map(|d| s(d)));
        let v = ok(&args);
        keys.push(v["group_key"].as_str().unwrap().to_owned());
        group = g;
    }
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "every officer sees one group key"
    );
    group
}

fn view_threshold(
    api: &str,
    who: &Path,
    request: &Path,
    group: &Path,
    wait: &str,
) -> (bool, Value, String) {
    veil(&[
        "--json",
        "regulator",
        "--keystore",
        s(who),
        "--api",
        api,
        "view",
        "--threshold",
        s(request),
        "--group",
        s(group),
        "--wait-secs",
        wait,
    ])
}

#[test]
fn three_of_five_officers_open_a_view_each_on_the_ledger_first() {
    let n = TestNode::start(31);
    let dir = tempfile::tempdir().unwrap();
    let files = veil::dev::DevFiles::under(dir.path());
    n.network.write(&files, KdfParams::default()).unwrap();
    let api = n.url();
    let reg = &files.regulator;

    // The ceremony, through files.
    let (officers, roster, _) = ceremony(dir.path(), &api, 3, 5, "a");
    let group = deal_and_finish(dir.path(), &officers, &roster, "a");
    let v = ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "dkg",
        "publish",
        "--group",
        s(&group),
        "--epoch",
        "0",
    ]);
    assert_eq!(
        (v["epoch"].as_u64(), v["version"].as_u64()),
        (Some(0), Some(1))
    );
    // Officer keystores are encrypted and private.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&officers[0])
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let raw = std::fs::read_to_string(&officers[0]).unwrap();
        assert!(!raw.contains("signing_seed"));
    }

    // A payment under the group key.
    let b_addr = ok(&["--json", "wallet", "--wallet", s(&files.bank_b), "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = ok(&[
        "--json",
        "wallet",
        "--wallet",
        s(&files.bank_a),
        "--api",
        &api,
        "transfer",
        "--to",
        &b_addr,
        "--amount",
        "12.34",
        "--memo",
        "dual control",
    ]);
    let height = n.node().ledger.tip().height.to_string();

    // The regulator's own key no longer opens it.
    let (single_ok, _, err) = veil(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "view",
        "--from-height",
        &height,
        "--to-height",
        &height,
    ]);
    assert!(
        !single_ok,
        "a single key must not open a threshold epoch: {err}"
    );

    // The regulator asks; officers 1, 3 and 5 answer.
    let request = dir.path().join("req.json");
    ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "request",
        "--group",
        s(&group),
        "--from-height",
        &height,
        "--to-height",
        &height,
        "--out",
        s(&request),
    ]);
    // Two officers open nothing.
    for i in [0usize, 2] {
        let v = ok_share(&api, s(&officers[i]), s(&group), s(&request));
        assert_eq!(v["officer"].as_u64(), Some(u64::try_from(i + 1).unwrap()));
    }
    let (two, _, err) = view_threshold(&api, reg, &request, &group, "2");
    assert!(!two, "two of three officers opened a view");
    assert!(err.contains("2 valid shares of the 3 needed"), "{err}");

    // Officer 2 answers a different request (a share that does not fit):
    // it is refused and named.
    let g: GroupFile = serde_json::from_slice(&std::fs::read(&group).unwrap()).unwrap();
    let r: ShareRequest = serde_json::from_slice(&std::fs::read(&request).unwrap()).unwrap();
    {
        let o2 = Officer::load(&officers[1], DEV_PASSPHRASE).unwrap();
        let share = o2.share_for(&g.public().unwrap()).unwrap();
        let (other, _) = ShareRequest::new(&g, r.from, r.to, true).unwrap();
        let (blob, _) = th::answer(share, &other, &[], &mut OsRng).unwrap();
        th::submit_share(&api, &o2.credentials(&g).unwrap(), &r, share.index(), &blob).unwrap();
    }
    ok_share(&api, s(&officers[4]), s(&group), s(&request));
    let (opened, view, err) = view_threshold(&api, reg, &request, &group, "30");
    assert!(opened, "{err}");
    assert_eq!(view["officers_used"], serde_json::json!([1, 3, 5]));
    assert_eq!(view["officers_refused"], serde_json::json!([2]));
    let t = view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tx"] == sent["tx"])
        .expect("the transfer is opened");
    let paid: Vec<&Value> = t["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["change"] == false)
        .collect();
    assert_eq!(
        (
            paid[0]["to"].as_str(),
            paid[0]["amount"].as_u64(),
            paid[0]["memo"].as_str()
        ),
        (Some("bank-b"), Some(1234), Some("dual control"))
    );
    assert_eq!(t["from"], "bank-a");

    // The clearing report from the same shares: bank-b's inflow is the
    // payment, and the same officers are named.
    let (reported, rep, err) = veil(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "report",
        "--threshold",
        s(&request),
        "--group",
        s(&group),
        "--wait-secs",
        "5",
    ]);
    assert!(reported, "{err}");
    assert_eq!(rep["officers_used"], serde_json::json!([1, 3, 5]));
    assert_eq!(rep["report"]["totals"]["bank-b"]["CNY"]["inflow"], 1234);

    // Every share used is in the audit log with the officer's key.
    let log = ok(&["--json", "audit-log", "--api", &api]);
    let entries = log["entries"].as_array().unwrap();
    for i in [1usize, 3, 5] {
        let card: Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("a-card-{i}.json"))).unwrap(),
        )
        .unwrap();
        let key = card["signing_key"].as_str().unwrap();
        assert!(
            entries.iter().any(|e| {
                let text = e.to_string();
                text.contains(&key[..16])
                    && text.contains("threshold/shares")
                    && text.contains(&format!("officer={i}"))
            }),
            "officer {i}'s share is not in the audit log: {log}"
        );
    }

    // Resharing 3-of-5 → 2-of-3 keeps the group key; two new officers open.
    let (fresh, roster2, _) = ceremony(dir.path(), &api, 2, 3, "b");
    let reshares: Vec<PathBuf> = [0usize, 1, 3]
        .iter()
        .map(|&i| {
            let d = dir.path().join(format!("reshare-{i}.json"));
            ok(&[
                "--json",
                "regulator",
                "--keystore",
                s(&officers[i]),
                "dkg",
                "reshare-deal",
                "--group",
                s(&group),
                "--roster",
                s(&roster2),
                "--out",
                s(&d),
            ]);
            d
        })
        .collect();
    let mut group2 = PathBuf::new();
    for (i, o) in fresh.iter().enumerate() {
        let g2 = dir.path().join(format!("b-group-{}.json", i + 1));
        let mut args = vec![
            "--json",
            "regulator",
            "--keystore",
            s(o),
            "dkg",
            "reshare-finish",
            "--group",
            s(&group),
            "--roster",
            s(&roster2),
            "--out",
            s(&g2),
        ];
        args.extend(reshares.iter().map(|d| s(d)));
        let v = ok(&args);
        assert_eq!(v["group_key"].as_str(), Some(g.group_key.as_str()));
        assert_eq!(v["threshold"], "2-of-3");
        group2 = g2;
    }
    // An old officer forgets its share: it can no longer reshare or answer.
    ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(&officers[0]),
        "dkg",
        "forget",
        "--group",
        s(&group),
    ]);
    let (again, _, err) = veil(&[
        "--json",
        "regulator",
        "--keystore",
        s(&officers[0]),
        "dkg",
        "reshare-deal",
        "--group",
        s(&group),
        "--roster",
        s(&roster2),
        "--out",
        s(&dir.path().join("again.json")),
    ]);
    assert!(!again && err.contains("holds no share"), "{err}");
    let v = ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "dkg",
        "publish",
        "--group",
        s(&group2),
        "--epoch",
        "0",
    ]);
    assert_eq!(v["version"].as_u64(), Some(1), "the key stays where it is");
    let request2 = dir.path().join("req2.json");
    ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "request",
        "--group",
        s(&group2),
        "--from-height",
        &height,
        "--to-height",
        &height,
        "--out",
        s(&request2),
    ]);
    for o in &fresh[1..] {
        ok_share(&api, s(o), s(&group2), s(&request2));
    }
    let (opened, view, err) = view_threshold(&api, reg, &request2, &group2, "30");
    assert!(opened, "{err}");
    assert_eq!(view["officers_used"], serde_json::json!([2, 3]));
    assert!(view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["tx"] == sent["tx"]));

    // The resharing moved the shared credential-hook key too: two of the
    // new officers identify the holder behind a hook ciphertext to it.
    let hook = ok(&["--json", "regulator", "hook-key", "--group", s(&group2)]);
    let first = ok(&["--json", "regulator", "hook-key", "--group", s(&group)]);
    assert_eq!(hook["hook_key"], first["hook_key"]);
    let key = veil_circuits::hook::HookKey::from_bytes(
        &hex::decode(hook["hook_key"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let h = veil_circuits::Fr::from(4242u64);
    let c = veil_circuits::hook::encrypt(
        &key,
        h,
        &veil_circuits::hook::Randomness::random(&mut OsRng),
    );
    let presentation = dir.path().join("presentation.json");
    std::fs::write(
        &presentation,
        serde_json::json!({
            "proof": {"regulatorCiphertext": veil::identity::presentation::ciphertext_json(&c)},
            "verifiableCredential": [{"issuer": "did:veil:issuer"}],
        })
        .to_string(),
    )
    .unwrap();
    let id_req = dir.path().join("identify.json");
    ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "request",
        "--group",
        s(&group2),
        "--identify",
        s(&presentation),
        "--out",
        s(&id_req),
    ]);
    for o in [&fresh[0], &fresh[2]] {
        ok_share(&api, s(o), s(&group2), s(&id_req));
    }
    let id = ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(reg),
        "--api",
        &api,
        "identify",
        "--presentation",
        s(&presentation),
        "--threshold",
        s(&id_req),
        "--group",
        s(&group2),
        "--wait-secs",
        "30",
    ]);
    assert_eq!(id["holder_commitment"], veil_circuits::field::to_hex(&h));
    assert_eq!(id["officers_used"], serde_json::json!([1, 3]));
    // An old officer's share of the hook key no longer counts.
    let (answered, _, err) = share(&api, s(&officers[1]), s(&group2), s(&id_req));
    assert!(!answered && err.contains("holds no share"), "{err}");
}

/// `node --dev --regulator-threshold 2-of-3`: the dev network's epoch-0 key
/// is a group key, its banner's commands open a payment with two officers,
/// and the regulator's own key does not.
#[test]
fn a_dev_network_with_a_threshold_regulator() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args([
            "--json",
            "node",
            "--dev",
            "--regulator-threshold",
            "2-of-3",
            "--api",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let banner: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let api = banner["api"].as_str().unwrap().to_owned();
    let officers = data.join("dev/officers");
    let group = officers.join("group.json");
    let dev = data.join("dev");
    let run = || -> Result<(), String> {
        let b = ok(&[
            "--json",
            "wallet",
            "--wallet",
            s(&dev.join("bank-b.wallet")),
            "address",
        ]);
        let sent = ok(&[
            "--json",
            "wallet",
            "--wallet",
            s(&dev.join("bank-a.wallet")),
            "--api",
            &api,
            "transfer",
            "--to",
            b["address"].as_str().unwrap(),
            "--amount",
            "3.21",
            "--memo",
            "dev dual",
        ]);
        let reg = dev.join("regulator.keystore");
        let (single, _, _) = veil(&[
            "--json",
            "regulator",
            "--keystore",
            s(&reg),
            "--api",
            &api,
            "view",
        ]);
        if single {
            return Err("the regulator's own key opened a threshold epoch".into());
        }
        let req = dir.path().join("req.json");
        ok(&[
            "--json",
            "regulator",
            "--keystore",
            s(&reg),
            "--api",
            &api,
            "request",
            "--group",
            s(&group),
            "--from-height",
            "0",
            "--to-height",
            "latest",
            "--out",
            s(&req),
        ]);
        for i in [2, 3] {
            ok_share(
                &api,
                s(&officers.join(format!("officer-{i}.keystore"))),
                s(&group),
                s(&req),
            );
        }
        let (opened, view, err) = view_threshold(&api, &reg, &req, &group, "30");
        if !opened {
            return Err(err);
        }
        assert_eq!(view["officers_used"], serde_json::json!([2, 3]));
        let t = view["transfers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tx"] == sent["tx"])
            .ok_or("the payment is not in the threshold view")?;
        assert!(t["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["amount"] == 321 && o["to"] == "bank-b" && o["memo"] == "dev dual"));
        // The genesis mints are under the group key too.
        assert_eq!(
            view["transfers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["kind"] == "mint")
                .count(),
            2
        );
        identify_with_officers(&api, &data, &group, dir.path());
        Ok(())
    };
    let result = run();
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
}

/// The credential hook with a threshold key (the dev network's KYC
/// accreditation names the officers' shared hook key): the holder presents,
/// the regulator's own hook key decrypts noise, one officer is not enough,
/// and two officers' shares, each an access record naming the
/// presentation, recover exactly the holder's commitment.
fn identify_with_officers(api: &str, data: &Path, group: &Path, tmp: &Path) {
    let files = veil::dev::DevFiles::under(data);
    let officers = files.officers_dir();
    let file = |name: &str| tmp.join(name);
    let shown = ok(&["--json", "did", "show", "--keystore", s(&files.holder)]);
    let hc = shown["holder_commitment"].as_str().unwrap().to_owned();
    ok(&[
        "--json",
        "credential",
        "--api",
        api,
        "issue",
        "--keystore",
        s(&files.kyc_issuer),
        "--type",
        "KycCredential",
        "--holder-commitment",
        &hc,
        "--attr",
        "birth_date=1980-02-29",
        "--attr",
        "country=JP",
        "--attr",
        "given_name=Aiko",
        "--attr",
        "family_name=Sato",
        "--attr",
        "document_number=TK0000001",
        "--attr",
        "level=1",
        "--out",
        s(&file("kyc.json")),
    ]);
    ok(&[
        "--json",
        "credential",
        "--api",
        api,
        "request",
        "--type",
        "KycCredential",
        "--scope",
        "bank-a/onboarding",
        "--disclose",
        "country",
        "--out",
        s(&file("kyc-request.json")),
    ]);
    let presentation = file("presentation.json");
    ok(&[
        "--json",
        "credential",
        "--api",
        api,
        "present",
        "--keystore",
        s(&files.holder),
        "--credential",
        s(&file("kyc.json")),
        "--request",
        s(&file("kyc-request.json")),
        "--out",
        s(&presentation),
    ]);
    let hook = ok(&["--json", "regulator", "hook-key", "--group", s(group)]);
    assert_eq!(hook["threshold"], "2-of-3");
    // The regulator's own hook key is not the accredited one.
    let own = ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(&files.regulator),
        "identify",
        "--presentation",
        s(&presentation),
    ]);
    assert_ne!(own["hook_key"], hook["hook_key"]);
    assert_ne!(own["holder_commitment"], hc.as_str());

    let req = file("identify.json");
    let made = ok(&[
        "--json",
        "regulator",
        "--keystore",
        s(&files.regulator),
        "--api",
        api,
        "request",
        "--group",
        s(group),
        "--identify",
        s(&presentation),
        "--out",
        s(&req),
    ]);
    let answer = |i: usize| {
        ok_share(
            api,
            s(&officers.join(format!("officer-{i}.keystore"))),
            s(group),
            s(&req),
        )
    };
    let identify = |wait: &str| {
        veil(&[
            "--json",
            "regulator",
            "--keystore",
            s(&files.regulator),
            "--api",
            api,
            "identify",
            "--presentation",
            s(&presentation),
            "--threshold",
            s(&req),
            "--group",
            s(group),
            "--wait-secs",
            wait,
        ])
    };
    answer(1);
    let (opened, _, err) = identify("0");
    assert!(!opened, "one officer identified a holder");
    assert!(err.contains("of the 2 needed"), "{err}");
    let second = answer(3);
    let (opened, id, err) = identify("30");
    assert!(opened, "{err}");
    assert_eq!(id["holder_commitment"], hc.as_str());
    assert_eq!(id["officers_used"], serde_json::json!([1, 3]));
    assert_eq!(id["request"], made["id"]);
    assert!(id["share_records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == &second["access_record"]));
    // Each officer's share is on the ledger, naming the presentation.
    let log = ok(&["--json", "audit-log", "--api", api]);
    let entries = log["entries"].as_array().unwrap();
    for i in [1, 3] {
        assert!(
            entries.iter().any(|e| {
                let text = e.to_string();
                text.contains("threshold/shares")
                    && text.contains(&format!("officer={i}"))
                    && text.contains("identify=")
            }),
            "officer {i}'s identification share is not in the audit log: {log}"
        );
    }
    // A request for another presentation is refused before anything is read.
    let other = file("other.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&presentation).unwrap()).unwrap();
    v["proof"]["regulatorCiphertext"] = serde_json::json!({
        "c1": hook["hook_key"],
        "c2": v["proof"]["regulatorCiphertext"]["c2"],
    });
    std::fs::write(&other, v.to_string()).unwrap();
    let (opened, _, err) = veil(&[
        "--json",
        "regulator",
        "--keystore",
        s(&files.regulator),
        "--api",
        api,
        "identify",
        "--presentation",
        s(&other),
        "--threshold",
        s(&req),
        "--group",
        s(group),
    ]);
    assert!(!opened && err.contains("another presentation"), "{err}");
}
