//! The `veil` binary's wallet commands against a real node: every command
//! with `--json` prints exactly one JSON object of the documented shape.

mod common;

use std::process::Command;

use common::node::TestNode;
use serde_json::Value;
use veil::dev::DEV_PASSPHRASE;
use veil::wallet::keystore::KdfParams;

/// Permission bits of a file.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Exit code, stdout and stderr of `veil args` with `env` set.
fn veil_raw(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(args)
        .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn veil(args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(args)
        .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let json = if out.status.success() {
        assert_eq!(
            lines.len(),
            1,
            "--json must print exactly one line: {stdout}"
        );
        serde_json::from_str(lines[0]).unwrap()
    } else {
        // With --json the failure is one `{"error": …}` object on stdout.
        if args.contains(&"--json") {
            assert_eq!(lines.len(), 1, "--json failure: {stdout}");
            let e: Value = serde_json::from_str(lines[0]).unwrap();
            assert!(e["error"]["detail"].is_string(), "{e}");
        }
        Value::Null
    };
    (out.status.success(), json, stderr + &stdout)
}

#[test]
fn wallet_commands_print_one_json_object() {
    let n = TestNode::start(21);
    let dir = tempfile::tempdir().unwrap();
    let a_file = dir.path().join("a.wallet");
    let b_file = dir.path().join("b.wallet");
    n.bank_a()
        .save(&a_file, DEV_PASSPHRASE, KdfParams::default())
        .unwrap();
    n.bank_b()
        .save(&b_file, DEV_PASSPHRASE, KdfParams::default())
        .unwrap();
    let api = n.url();
    let a = a_file.to_str().unwrap();
    let b = b_file.to_str().unwrap();

    let (ok, addr, _) = veil(&["--json", "wallet", "--wallet", b, "--api", &api, "address"]);
    assert!(ok);
    let b_addr = addr["address"].as_str().unwrap().to_owned();
    assert!(b_addr.starts_with("veil1"));

    let (ok, bal, _) = veil(&["--json", "wallet", "--wallet", a, "--api", &api, "balance"]);
    assert!(ok);
    assert_eq!(bal["asset"], "CNY");
    // Decimal amounts, minor units in a separate integer field.
    assert_eq!(bal["confirmed"], "16000000.00");
    assert_eq!(bal["confirmed_minor"], 1_600_000_000u64);
    assert_eq!(bal["pending_minor"], 0);
    assert_eq!(bal["decimals"], 2);
    assert_eq!(bal["height"], 0);

    let (ok, sent, err) = veil(&[
        "--json", "wallet", "--wallet", a, "--api", &api, "transfer", "--to", &b_addr, "--amount",
        "12.34", "--memo", "cli",
    ]);
    assert!(ok, "{err}");
    assert_eq!(sent["tx"].as_str().unwrap().len(), 64);
    assert!(sent["height"].as_u64().unwrap() >= 1);
    assert_eq!(
        (sent["amount"].as_str(), sent["amount_minor"].as_u64()),
        (Some("12.34"), Some(1234))
    );
    assert_eq!(sent["fee"], "0.00");
    // A whole number is whole units of the asset; --minor-units takes cents.
    for (amount, minor, expect) in [("3", false, 300u64), ("250", true, 250)] {
        let mut args = vec![
            "--json", "wallet", "--wallet", a, "--api", &api, "transfer", "--to", &b_addr,
            "--amount", amount, "--yes",
        ];
        if minor {
            args.push("--minor-units");
        }
        let (ok, sent, err) = veil(&args);
        assert!(ok, "{err}");
        assert_eq!(sent["amount_minor"], expect, "{sent}");
    }

    let (_, bal, _) = veil(&["--json", "wallet", "--wallet", b, "--api", &api, "balance"]);
    assert_eq!(bal["confirmed_minor"], 1_600_000_000u64 + 1234 + 300 + 250);
    assert_eq!(bal["confirmed"], "16000017.84");
    let (_, hist, _) = veil(&["--json", "wallet", "--wallet", b, "--api", &api, "history"]);
    let cli = hist["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["memo"] == "cli")
        .unwrap()
        .clone();
    assert_eq!(
        (
            cli["direction"].as_str(),
            cli["amount"].as_str(),
            cli["amount_minor"].as_u64()
        ),
        (Some("in"), Some("12.34"), Some(1234))
    );

    // On a terminal (script(1) gives it one) the payment is shown and
    // sent only on "y"; declining sends nothing.
    let on_terminal = |answer: &str| {
        let cmd = format!(
            "{} wallet --wallet {a} --api {api} transfer --to {b_addr} --amount 1.50 --fee 0.01",
            env!("CARGO_BIN_EXE_veil")
        );
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Answer once the question is asked.
        std::thread::sleep(std::time::Duration::from_secs(2));
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap(), "{answer}").unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, shown) = on_terminal("n");
    assert!(!ok && shown.contains("not sent"), "{shown}");
    assert!(
        shown.contains("pay 1.50 CNY")
            && shown.contains("fee    0.01 CNY")
            && shown.contains("change"),
        "{shown}"
    );
    let (_, bal, _) = veil(&["--json", "wallet", "--wallet", b, "--api", &api, "balance"]);
    assert_eq!(bal["confirmed"], "16000017.84", "declining sent something");
    let (ok, shown) = on_terminal("y");
    assert!(ok && shown.contains("sent 1.50 CNY"), "{shown}");

    // A disclosure file is personal data: 0600, never silently replaced.
    let disclosure = dir.path().join("d.json");
    let d = disclosure.to_str().unwrap();
    let disclose = [
        "--json",
        "wallet",
        "--wallet",
        a,
        "--api",
        &api,
        "disclose",
        "--tx",
        sent["tx"].as_str().unwrap(),
        "--output",
        "0",
        "--out",
        d,
    ];
    let (ok, _, err) = veil(&disclose);
    assert!(ok, "{err}");
    assert_eq!(mode(&disclosure), 0o600);
    let (ok, _, err) = veil(&disclose);
    assert!(!ok && err.contains("already exists"), "{err}");
    let mut forced = disclose.to_vec();
    forced.push("--force");
    let (ok, _, err) = veil(&forced);
    assert!(ok, "{err}");

    // Offline signing, then submission.
    let tx_file = dir.path().join("out.tx");
    let t = tx_file.to_str().unwrap();
    let (ok, off, err) = veil(&[
        "--json",
        "wallet",
        "--wallet",
        a,
        "--api",
        &api,
        "transfer",
        "--to",
        &b_addr,
        "--amount",
        "5",
        "--offline",
        t,
    ]);
    assert!(ok, "{err}");
    assert_eq!(mode(&tx_file), 0o600, "a signed transaction file");
    // An existing file is not overwritten (and nothing is signed).
    let (ok, _, err) = veil(&[
        "--json",
        "wallet",
        "--wallet",
        a,
        "--api",
        &api,
        "transfer",
        "--to",
        &b_addr,
        "--amount",
        "5",
        "--offline",
        t,
    ]);
    assert!(
        !ok && err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    // `--api` anywhere on the command line, here before the subcommand.
    let (ok, sub, err) = veil(&["--json", "tx", "--api", &api, "submit", t]);
    assert!(ok, "{err}");
    assert_eq!(sub["tx"], off["tx"]);
    // Submitting it again (the node from VEIL_API) is refused: the node's
    // problem as the one JSON object, exit code 3.
    let (code, out, _) = veil_raw(&["--json", "tx", "submit", t], &[("VEIL_API", &api)]);
    assert_eq!(code, Some(3), "{out}");
    let e: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        e["error"]["title"] == "Duplicate transaction" || e["error"]["title"] == "Double spend",
        "{e}"
    );
    assert_eq!(e["error"]["status"], 409, "{e}");
    assert!(e["error"]["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:veil:problem:"));

    // Bad input is refused clearly.
    for (args, needle) in [
        (
            vec![
                "wallet",
                "--wallet",
                a,
                "--api",
                &api,
                "transfer",
                "--to",
                "veil1nope",
                "--amount",
                "1",
            ],
            "--to",
        ),
        (
            vec![
                "wallet", "--wallet", a, "--api", &api, "transfer", "--to", &b_addr, "--amount",
                "1.234",
            ],
            "at most 2 digits",
        ),
        (
            vec![
                "wallet",
                "--wallet",
                a,
                "--api",
                &api,
                "transfer",
                "--to",
                &b_addr,
                "--amount",
                "99999999999",
            ],
            "insufficient funds",
        ),
        (
            vec![
                "wallet",
                "--wallet",
                a,
                "--api",
                "http://127.0.0.1:1",
                "balance",
            ],
            "cannot reach the node",
        ),
    ] {
        let (ok, _, err) = veil(&args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // A wrong passphrase never reveals anything.
    let out = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(["wallet", "--wallet", a, "--api", &api, "address"])
        .env("VEIL_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
}

#[test]
fn new_wallet_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.wallet");
    let p = f.to_str().unwrap();
    let (ok, v, _) = veil(&["--json", "wallet", "--wallet", p, "new"]);
    assert!(ok);
    assert!(v["address"].as_str().unwrap().starts_with("veil1"));
    let (ok, _, err) = veil(&["--json", "wallet", "--wallet", p, "new"]);
    assert!(!ok);
    assert!(err.contains("not overwriting"), "{err}");
}

#[test]
fn regulator_view_on_a_dev_network_lists_every_transfer_with_its_amount() {
    let n = TestNode::start(22);
    let dir = tempfile::tempdir().unwrap();
    let files = veil::dev::DevFiles::under(dir.path());
    n.network.write(&files, KdfParams::default()).unwrap();
    let api = n.url();
    let a = files.bank_a.to_str().unwrap();
    let b = files.bank_b.to_str().unwrap();
    let (_, addr, _) = veil(&["--json", "wallet", "--wallet", b, "address"]);
    let b_addr = addr["address"].as_str().unwrap().to_owned();
    let (ok, sent, err) = veil(&[
        "--json", "wallet", "--wallet", a, "--api", &api, "transfer", "--to", &b_addr, "--amount",
        "7.77", "--memo", "seen",
    ]);
    assert!(ok, "{err}");
    let (ok, view, err) = veil(&[
        "regulator",
        "--keystore",
        files.regulator.to_str().unwrap(),
        "--api",
        &api,
        "view",
        "--from-height",
        "0",
        "--to-height",
        "latest",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let transfers = view["transfers"].as_array().unwrap();
    let t = transfers
        .iter()
        .find(|t| t["tx"] == sent["tx"])
        .expect("the transfer is listed");
    let paid: Vec<&Value> = t["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["change"] == false)
        .collect();
    assert_eq!(paid.len(), 1);
    assert_eq!(
        (
            paid[0]["to"].as_str(),
            paid[0]["amount"].as_u64(),
            paid[0]["memo"].as_str()
        ),
        (Some("bank-b"), Some(777), Some("seen"))
    );
    assert_eq!(t["from"], "bank-a");
    // Genesis mints are listed too: every transfer so far.
    assert_eq!(transfers.iter().filter(|t| t["kind"] == "mint").count(), 2);
    // The query left an audit entry.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (ok, log, _) = veil(&["--json", "audit-log", "--api", &api]);
        assert!(ok);
        if !log["entries"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no audit entry");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn credential_commands_issue_present_and_verify_once() {
    let n = TestNode::start(23);
    let dir = tempfile::tempdir().unwrap();
    let files = veil::dev::DevFiles::under(dir.path());
    n.network.write(&files, KdfParams::default()).unwrap();
    let api = n.url();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (ok, shown, err) = veil(&[
        "--json",
        "did",
        "show",
        "--keystore",
        files.holder.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert_eq!(shown["did"], n.network.holder.did.to_string());
    let hc = shown["holder_commitment"].as_str().unwrap().to_owned();

    let kyc = file("kyc.json");
    let issue = |document_number: &str| -> Vec<String> {
        [
            "--json",
            "credential",
            "--api",
            &api,
            "issue",
            "--keystore",
            files.kyc_issuer.to_str().unwrap(),
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
            &format!("document_number={document_number}"),
            "--attr",
            "level=1",
            "--out",
            &kyc,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let args = issue("TK0000001");
    let (ok, _, err) = veil(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    // Attributes and the salt: 0600, and never silently replaced.
    assert_eq!(mode(std::path::Path::new(&kyc)), 0o600);
    let before = std::fs::read(&kyc).unwrap();
    let again = issue("TK0000002");
    let (ok, _, err) = veil(&again.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!ok && err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(file("kyc.json")).unwrap(), before);
    let (ok, _, err) = veil(&[
        "--json",
        "credential",
        "--api",
        &api,
        "request",
        "--type",
        "KycCredential",
        "--scope",
        "exchange/signup",
        "--disclose",
        "country",
        "--min-age",
        "21",
        "--out",
        &file("request.json"),
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = veil(&[
        "--json",
        "credential",
        "--api",
        &api,
        "present",
        "--keystore",
        files.holder.to_str().unwrap(),
        "--credential",
        &file("kyc.json"),
        "--request",
        &file("request.json"),
        "--out",
        &file("presentation.json"),
    ]);
    assert!(ok, "{err}");
    let presentation = std::fs::read_to_string(file("presentation.json")).unwrap();
    // The undisclosed values (whole strings: a short number could occur in
    // the proof's encoding by chance).
    assert!(!presentation.contains("Sato") && !presentation.contains("1980-02-29"));
    let verify = [
        "--json",
        "credential",
        "--api",
        &api,
        "verify",
        "--presentation",
        &file("presentation.json"),
        "--request",
        &file("request.json"),
    ];
    let (ok, v, err) = veil(&verify);
    assert!(ok, "{err}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["disclosed"]["country"], "JP");
    let (ok, _, err) = veil(&verify);
    assert!(!ok, "a replayed presentation verified");
    assert!(err.contains("nullifier-reused"), "{err}");

    // The regulator identifies the holder from the presentation the
    // verifier kept (the dev accreditation has the regulator hook).
    let regulator = files.regulator.to_str().unwrap();
    let (ok, id, err) = veil(&[
        "--json",
        "regulator",
        "--keystore",
        regulator,
        "--api",
        &api,
        "identify",
        "--presentation",
        &file("presentation.json"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(id["holder_commitment"], hc.as_str());
    assert_eq!(id["issuer"], n.network.kyc_issuer.did.to_string());
    let (ok, hk, err) = veil(&["--json", "regulator", "--keystore", regulator, "hook-key"]);
    assert!(ok, "{err}");
    assert_eq!(hk["hook_key"].as_str().unwrap().len(), 64);

    // Resolution through the CLI.
    let did = n.network.kyc_issuer.did.to_string();
    let (ok, r, err) = veil(&["--json", "did", "--api", &api, "resolve", &did]);
    assert!(ok, "{err}");
    assert_eq!(r["didDocument"]["id"], did);
}

#[test]
fn demo_tells_the_whole_story() {
    let (ok, out, err) = veil(&["--json", "demo"]);
    assert!(ok, "{err}");
    assert_eq!(out["ok"], true);
    assert_eq!(out["double_spend_refused"], true);
    assert_eq!(out["regulator"]["amounts_match"], true);
    assert_eq!(out["credential"]["verified"], true);
    assert_eq!(
        out["credential"]["disclosed"],
        serde_json::json!({"country": "CN"})
    );
    assert_eq!(out["credential"]["replay_refused"], true);
    assert_eq!(out["credential"]["revoked_refused"], true);
    assert_eq!(out["credential"]["regulator_identified"], true);
    assert_eq!(out["credential"]["constraints"], 14_000);
    assert_eq!(out["restart"]["state_root_unchanged"], true);
    // People read decimals of the asset; minor units are separate integers.
    assert_eq!(out["transfer"]["amount"], "250000.00");
    assert_eq!(out["transfer"]["amount_minor"], 25_000_000);
    assert!(out["transfer"]["fee_minor"].is_u64());
    assert!(out["balances"]["bank_b"]["after"].is_string());
    assert_eq!(out["governance"]["payment"]["amount"], "250.00");
    assert_eq!(out["governance"]["payment"]["amount_minor"], 25_000);
    assert_eq!(out["cold_signing"]["ok"], true);
    assert_eq!(out["cold_signing"]["amount"], "1000.00");
    assert_eq!(out["console"]["ok"], true);
    assert_eq!(out["console"]["alerts"], 0);
    assert_eq!(out["console"]["memo_hidden"], true);
    assert_eq!(out["vault"]["ok"], true);
    assert_eq!(out["vault"]["bank_c_refused"], 403);
    let trail: Vec<String> = out["vault"]["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["op"].as_str().unwrap(),
                e["role"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            "put owner",
            "open capability",
            "open regulator",
            "grant owner",
            "open grantee"
        ]
    );
    assert_eq!(out["vault"]["did_auditor_opened"], true);
    assert!(out["vault"]["did_auditor"]
        .as_str()
        .unwrap()
        .starts_with("did:veil:"));
    assert_eq!(out["dual_control"]["ok"], true);
    assert_eq!(out["dual_control"]["threshold"], "2-of-3");
    assert_eq!(out["dual_control"]["single_key_refused"], true);
    assert_eq!(
        out["dual_control"]["officers_used"],
        serde_json::json!([1, 3])
    );
    assert_eq!(
        out["dual_control"]["share_records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The shared credential-hook key: two officers identify a holder.
    let id = &out["dual_control"]["identification"];
    assert_eq!(id["ok"], true);
    assert_eq!(id["single_key_refused"], true);
    assert_eq!(id["officers_used"], serde_json::json!([2, 3]));
    assert_eq!(id["share_records"].as_array().unwrap().len(), 2);
}

#[test]
fn did_lifecycle_through_the_cli() {
    let n = TestNode::start(24);
    let dir = tempfile::tempdir().unwrap();
    let api = n.url();
    let ks = dir.path().join("me.identity");
    let ks = ks.to_str().unwrap();
    let did_cmd = |args: &[&str]| {
        let mut all = vec!["--json", "did", "--api", &api];
        all.extend_from_slice(args);
        veil(&all)
    };
    let (ok, created, err) = did_cmd(&["create", "--keystore", ks, "--label", "me"]);
    assert!(ok, "{err}");
    let did = created["did"].as_str().unwrap().to_owned();
    assert!(did.starts_with("did:veil:"));
    // Refuses to overwrite the keystore.
    assert!(!did_cmd(&["create", "--keystore", ks]).0);

    let (ok, _, err) = did_cmd(&[
        "update",
        "--keystore",
        ks,
        "--add-key",
        "phone",
        "--key-type",
        "secp256k1",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = did_cmd(&[
        "update",
        "--keystore",
        ks,
        "--add-service",
        "hub=LinkedDomains=https://bank.example",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = did_cmd(&["rotate", "--keystore", ks, "--method", "key-1"]);
    assert!(ok, "{err}");

    let (ok, now, err) = did_cmd(&["resolve", &did]);
    assert!(ok, "{err}");
    assert_eq!(now["didDocumentMetadata"]["versionId"], "4");
    let methods = now["didDocument"]["verificationMethod"].as_array().unwrap();
    assert_eq!(methods.len(), 2);
    assert_eq!(
        now["didDocument"]["service"][0]["serviceEndpoint"],
        "https://bank.example"
    );
    // Version 1 still shows the original key, which rotation replaced.
    let (ok, v1, err) = did_cmd(&["resolve", &did, "--version-id", "1"]);
    assert!(ok, "{err}");
    let key = |r: &Value| {
        r["didDocument"]["verificationMethod"][0]["publicKeyMultibase"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(key(&v1), key(&now));

    let (ok, _, err) = did_cmd(&["deactivate", "--keystore", ks]);
    assert!(ok, "{err}");
    let (_, last, _) = did_cmd(&["resolve", &did]);
    assert_eq!(last["didDocumentMetadata"]["deactivated"], true);
    // A deactivated DID takes no more updates.
    assert!(!did_cmd(&["rotate", "--keystore", ks]).0);
}

#[test]
fn setup_writes_the_pinned_keys_of_both_circuits() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let (ok, out, err) = veil(&["--json", "setup", "--keys-dir", keys.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out["matches_pinned"], true);
    for name in ["presentation", "presentation-hook"] {
        let vk = std::fs::read(keys.join(format!("{name}.vk"))).unwrap();
        let checked_in = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("keys/{name}.vk")),
        )
        .unwrap();
        assert_eq!(vk, checked_in, "{name}.vk differs from the pinned one");
        assert!(keys.join(format!("{name}.pk")).exists());
    }
}

/// Failures are told apart by exit code (1 local, 2 usage, 3 refused by
/// the node, 4 node unreachable) and, with `--json`, printed as one
/// `{"error": {…}}` object on stdout; the unreachable node is named once,
/// with a hint.
#[test]
fn failures_have_exit_codes_and_one_json_error_object() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wallet");
    let missing = missing.to_str().unwrap();
    for (args, code, kind) in [
        (
            vec!["--json", "wallet", "--wallet", missing, "balance"],
            1,
            "urn:veil:cli:local",
        ),
        (vec!["--json", "wallet", "--bogus"], 2, "urn:veil:cli:usage"),
        (
            vec!["--json", "--api", "http://127.0.0.1:1", "audit-log"],
            4,
            "urn:veil:cli:unreachable",
        ),
    ] {
        let (got, out, err) = veil_raw(&args, &[]);
        assert_eq!(got, Some(code), "{args:?}: {out} {err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {out}");
        let e: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(e["error"]["type"], kind, "{e}");
        assert_eq!(e["error"]["exit_code"], code, "{e}");
        assert!(e["error"]["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // Without --json: one line on stderr naming the URL once, with a hint.
    let (code, out, err) = veil_raw(&["audit-log"], &[("VEIL_API", "http://127.0.0.1:1")]);
    assert_eq!(code, Some(4));
    assert!(out.is_empty());
    assert_eq!(err.matches("127.0.0.1:1").count(), 1, "{err}");
    assert!(err.contains("--api"), "{err}");
}

/// A closed stdout ends `veil` quietly (no panic, no backtrace).
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(["--help"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "{err}");
}

/// With no passphrase and no terminal, the error says how to give one;
/// `--passphrase-file` gives it.
#[test]
fn no_passphrase_and_no_terminal_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w.wallet");
    let (ok, _, err) = veil(&["--json", "wallet", "--wallet", w.to_str().unwrap(), "new"]);
    assert!(ok, "{err}");
    // setsid: a new session, so no controlling terminal to ask on.
    let out = Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_veil"))
        .args(["wallet", "--wallet", w.to_str().unwrap(), "address"])
        .env_remove("VEIL_PASSPHRASE")
        .env_remove("VEIL_PASSPHRASE_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("passphrase is needed") && err.contains("VEIL_PASSPHRASE"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
    let file = dir.path().join("pass");
    std::fs::write(&file, format!("{DEV_PASSPHRASE}\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args([
            "--json",
            "wallet",
            "--wallet",
            w.to_str().unwrap(),
            "address",
        ])
        .arg("--passphrase-file")
        .arg(&file)
        .env_remove("VEIL_PASSPHRASE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `node --dev` prints what to do next, and names the proving-key file the
/// first presentation of the dev (hooked) accreditation really writes.
#[test]
fn dev_node_banner_names_the_real_proving_key_file() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args(["node", "--dev", "--api", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut banner = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("veil credential") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let hooked = veil::identity::pinned_keys::name(veil_circuits::presentation::Circuit::Hooked);
    assert!(banner.contains(&format!("keys/{hooked}.pk")), "{banner}");
    assert!(!banner.contains("keys/presentation.pk"), "{banner}");

    // The same data directory as a build of an earlier state format left
    // it (no format recorded): refused, saying how to start afresh.
    {
        use veil::ledger::records::META_STATE_FORMAT;
        use veil::ledger::store::{Cf, RocksStore, StateWrite, WriteSet};
        let store = RocksStore::open(&dir.path().join("data/db"), true).unwrap();
        let mut w = WriteSet::new();
        w.delete(Cf::Meta, META_STATE_FORMAT);
        store.write(w).unwrap();
    }
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (code, _, stderr) = veil_raw(
        &["node", "--dev", "--api", "127.0.0.1:0", "--data-dir", data],
        &[("RUST_LOG", "warn")],
    );
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("state format 1"), "{stderr}");
    assert!(
        stderr.contains(&format!("remove {data} and run `veil node --dev` again")),
        "{stderr}"
    );
}

/// `veil wallet prepare` / `sign --offline` / `tx submit` of `--wallet`
/// file `w` against `api`, as JSON.
fn wallet(w: &str, api: &str, args: &[&str]) -> (bool, Value, String) {
    let mut all = vec!["--json", "wallet", "--wallet", w, "--api", api];
    all.extend_from_slice(args);
    veil(&all)
}

/// Confirmed balance of `w` in minor units.
fn confirmed(w: &str, api: &str) -> u64 {
    let (ok, v, e) = wallet(w, api, &["balance"]);
    assert!(ok, "{e}");
    v["confirmed_minor"].as_u64().unwrap()
}

/// Cold signing with the CLI alone: a view-only export prepares a payment
/// batch online, the full wallet signs it with no network, the view-only
/// wallet submits it and sees its inputs spent.
#[test]
fn cold_signing_prepare_online_sign_offline_submit() {
    let n = TestNode::start(41);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (a, b, view) = (path("a.wallet"), path("b.wallet"), path("a-view.wallet"));
    n.bank_a()
        .save(a.as_ref(), DEV_PASSPHRASE, KdfParams::default())
        .unwrap();
    n.bank_b()
        .save(b.as_ref(), DEV_PASSPHRASE, KdfParams::default())
        .unwrap();
    let api = n.url();
    let b_addr = n.bank_b().address().to_string();

    let (ok, v, e) = wallet(&a, &api, &["export-view", "--out", &view]);
    assert!(ok && v["view_only"] == true, "{e}");
    assert_eq!(mode(view.as_ref()), 0o600);
    let a_before = confirmed(&view, &api);
    let b_before = confirmed(&b, &api);
    // A view-only wallet cannot sign.
    let (ok, _, e) = wallet(
        &view,
        &api,
        &["transfer", "--to", &b_addr, "--amount", "1", "-y"],
    );
    assert!(!ok && e.contains("view-only"), "{e}");

    // Online: a batch of two payments.
    let batch = path("batch.csv");
    std::fs::write(
        &batch,
        format!("# payroll\n{b_addr},1250.50,invoice 1\n{b_addr},99.99\n"),
    )
    .unwrap();
    let req = path("request.json");
    let (ok, v, e) = wallet(
        &view,
        &api,
        &[
            "prepare",
            "--payments",
            &batch,
            "--fee",
            "0.01",
            "--out",
            &req,
        ],
    );
    assert!(ok, "{e}");
    assert_eq!(
        (v["amount"].as_str(), v["payments"].as_u64()),
        (Some("1350.49"), Some(2))
    );
    assert_eq!(mode(req.as_ref()), 0o600);
    // The inputs are reserved: a second request cannot take them.
    assert!(confirmed(&view, &api) < a_before);

    // A changed byte breaks the digest; another account's wallet refuses.
    let mut tampered: Value = serde_json::from_slice(&std::fs::read(&req).unwrap()).unwrap();
    tampered["payments"][0]["amount"] = (125_051).into();
    let bad = path("tampered.json");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    let signed = path("signed.json");
    let (ok, _, e) = wallet(&a, &api, &["sign", "--offline", &bad, "--out", &signed]);
    assert!(!ok && e.contains("digest does not match"), "{e}");
    let (ok, _, e) = wallet(&b, &api, &["sign", "--offline", &req, "--out", &signed]);
    assert!(!ok && e.contains("not from this wallet"), "{e}");

    // Offline: in a network namespace with no interfaces where this
    // machine allows one, else pointed at no node; it needs neither.
    let offline_args = [
        "--json",
        "wallet",
        "--wallet",
        &a,
        "--api",
        "http://127.0.0.1:9",
        "sign",
        "--offline",
        &req,
        "--out",
        &signed,
    ];
    let isolated = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    let out = if isolated {
        Command::new("unshare")
            .arg("-n")
            .arg(env!("CARGO_BIN_EXE_veil"))
            .args(offline_args)
            .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
            .output()
            .unwrap()
    } else {
        Command::new(env!("CARGO_BIN_EXE_veil"))
            .args(offline_args)
            .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
            .output()
            .unwrap()
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["amount"].as_str(), v["fee"].as_str()),
        (Some("1350.49"), Some("0.01"))
    );
    assert_eq!(mode(signed.as_ref()), 0o600);

    // Online again: submit, and the view-only wallet follows it.
    let (ok, v, e) = veil(&[
        "--json", "--api", &api, "tx", "submit", &signed, "--wallet", &view,
    ]);
    assert!(ok && v["height"].is_u64(), "{e}");
    assert_eq!(confirmed(&b, &api), b_before + 135_049);
    assert_eq!(confirmed(&view, &api), a_before - 135_050);
    let (ok, h, _) = wallet(&view, &api, &["history"]);
    assert!(ok);
    assert!(h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["direction"] == "out" && x["amount"] == "1350.49"));
    // Submitted twice: already known; signed again (new bytes, the same
    // key images): a double spend.
    let (ok, _, e) = veil(&["--json", "--api", &api, "tx", "submit", &signed]);
    assert!(!ok && e.contains("already known"), "{e}");
    let again = path("again.json");
    assert!(wallet(&a, &api, &["sign", "--offline", &req, "--out", &again]).0);
    let (ok, _, e) = veil(&["--json", "--api", &api, "tx", "submit", &again]);
    assert!(!ok && e.contains("double-spend"), "{e}");
}

/// A request prepared before the regulator key it used went out of force
/// fails at submission with a reason, and releasing it frees its inputs.
#[test]
fn a_stale_spend_request_fails_clearly_at_submission() {
    let n = TestNode::start_with(42, |net| net.genesis.epoch_length = 3);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (a, view) = (path("a.wallet"), path("a-view.wallet"));
    n.bank_a()
        .save(a.as_ref(), DEV_PASSPHRASE, KdfParams::default())
        .unwrap();
    let api = n.url();
    assert!(wallet(&a, &api, &["export-view", "--out", &view]).0);
    let b_addr = n.bank_b().address().to_string();
    let (req, signed) = (path("request.json"), path("signed.json"));
    let prepare = || {
        let (ok, v, e) = wallet(
            &view,
            &api,
            &["prepare", "--to", &b_addr, "--amount", "5", "--out", &req],
        );
        assert!(ok, "{e}");
        v["height"].as_u64().unwrap()
    };
    let _ = std::fs::remove_file(&req);
    let height = prepare();
    // Two epochs later (grace is one) the key is out of force.
    use veil::wallet::source::ChainSource;
    let src = n.source();
    let mut b = n.bank_b();
    let b_self = *b.address();
    let cny = veil::tx::AssetId::new("CNY").unwrap();
    let mut rng = rand::rngs::OsRng;
    while src.tip().unwrap().0 < 3 * (height / 3 + 3) {
        b.scan(&src, 50, &mut |_, _| {}).unwrap();
        let tx = b
            .prepare_transfer(&src, &cny, &b_self, 1, b"", 0, 4, &mut rng)
            .unwrap();
        veil::wallet::submit_and_wait(&src, &tx, std::time::Duration::from_secs(30)).unwrap();
    }
    assert!(wallet(&a, &api, &["sign", "--offline", &req, "--out", &signed]).0);
    let (ok, _, e) = veil(&[
        "--json", "--api", &api, "tx", "submit", &signed, "--wallet", &view,
    ]);
    assert!(
        !ok && e.contains("stale spend request") && e.contains("regulator key"),
        "{e}"
    );
    // Released and prepared again, it goes through.
    let (ok, v, _) = wallet(&view, &api, &["release", &req]);
    assert!(ok && v["released"] == 1, "{v}");
    std::fs::remove_file(&req).unwrap();
    std::fs::remove_file(&signed).unwrap();
    prepare();
    assert!(wallet(&a, &api, &["sign", "--offline", &req, "--out", &signed]).0);
    let (ok, _, e) = veil(&[
        "--json", "--api", &api, "tx", "submit", &signed, "--wallet", &view,
    ]);
    assert!(ok, "{e}");
}

/// The vault through the CLI: bank A stores a file and pays bank B with
/// it attached (`transfer --attach`); bank B's `vault get` finds the key in
/// its note; the regulator's view names the document without its key and
/// `regulator open-document` opens it; the trail lists both openings.
#[test]
fn vault_attach_to_a_payment_through_the_cli() {
    let n = TestNode::start(25);
    let dir = tempfile::tempdir().unwrap();
    let files = veil::dev::DevFiles::under(dir.path());
    n.network.write(&files, KdfParams::default()).unwrap();
    let api = n.url();
    let a = files.bank_a.to_str().unwrap();
    let b = files.bank_b.to_str().unwrap();
    let invoice = dir.path().join("invoice-77.txt");
    std::fs::write(&invoice, "INVOICE 77: 7.77 CNY for services\n".repeat(1000)).unwrap();

    let (ok, put, err) = veil(&[
        "--json",
        "--api",
        &api,
        "vault",
        "--wallet",
        a,
        "put",
        invoice.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let doc = put["doc"].as_str().unwrap().to_owned();
    let (_, addr, _) = veil(&["--json", "wallet", "--wallet", b, "address"]);
    let b_addr = addr["address"].as_str().unwrap().to_owned();
    // B enrols (a capability opening is signed by an enrolled party).
    let (ok, _, err) = veil(&["--json", "--api", &api, "vault", "--wallet", b, "enrol"]);
    assert!(ok, "{err}");
    // Attaching a document the payer holds no key for, or a version that
    // does not exist, is refused before anything is sent.
    let (_, a_addr, _) = veil(&["--json", "wallet", "--wallet", a, "address"]);
    let a_addr = a_addr["address"].as_str().unwrap().to_owned();
    let (_, before, _) = veil(&["--json", "wallet", "--wallet", b, "--api", &api, "balance"]);
    let pay = |from: &str, to: &str, attach: &str| {
        veil(&[
            "--json", "wallet", "--wallet", from, "--api", &api, "transfer", "--to", to,
            "--amount", "1", "--attach", attach,
        ])
    };
    let (ok, _, err) = pay(b, &a_addr, &doc);
    assert!(!ok && err.contains("holds no key for this wallet"), "{err}");
    let (ok, _, err) = pay(a, &b_addr, &format!("{doc}:99"));
    assert!(!ok && err.contains("no version 99"), "{err}");
    let (_, after, _) = veil(&["--json", "wallet", "--wallet", b, "--api", &api, "balance"]);
    assert_eq!(before, after);
    let (ok, sent, err) = veil(&[
        "--json",
        "wallet",
        "--wallet",
        a,
        "--api",
        &api,
        "transfer",
        "--to",
        &b_addr,
        "--amount",
        "7.77",
        "--memo",
        "invoice 77",
        "--attach",
        &doc,
    ]);
    assert!(ok, "{err}");
    // A's history shows the document, never its key.
    let (ok, hist, err) = veil(&["--json", "wallet", "--wallet", a, "--api", &api, "history"]);
    assert!(ok, "{err}");
    let out = hist["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["tx"] == sent["tx"])
        .expect("the payment is in A's history");
    assert_eq!(out["attachment"]["doc"], doc.as_str());
    assert!(out["memo"].as_str().unwrap().ends_with("invoice 77"));
    assert!(out["memo"].as_str().unwrap().len() < 100, "{out}");

    // B: the key came in its note.
    let b_out = dir.path().join("b-copy");
    let (ok, got, err) = veil(&[
        "--json",
        "--api",
        &api,
        "vault",
        "--wallet",
        b,
        "get",
        &doc,
        "--out",
        b_out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert_eq!(got["name"], "invoice-77.txt");
    assert_eq!(
        std::fs::read(&b_out).unwrap(),
        std::fs::read(&invoice).unwrap()
    );
    assert_eq!(mode(&b_out) & 0o777, 0o600);

    // The regulator sees the attachment named in the memo, not its key,
    // and opens the document.
    let (ok, view, err) = veil(&[
        "regulator",
        "--keystore",
        files.regulator.to_str().unwrap(),
        "--api",
        &api,
        "view",
        "--from-height",
        "0",
        "--to-height",
        "latest",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let t = view["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tx"] == sent["tx"])
        .expect("the payment is listed");
    let memo = t["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["to"] == "bank-b")
        .unwrap()["memo"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(memo, format!("[document {doc} v1] invoice 77"));
    let r_out = dir.path().join("r-copy");
    let (ok, _, err) = veil(&[
        "--json",
        "regulator",
        "--keystore",
        files.regulator.to_str().unwrap(),
        "--api",
        &api,
        "open-document",
        &doc,
        "--out",
        r_out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read(&r_out).unwrap(),
        std::fs::read(&invoice).unwrap()
    );

    let (ok, log, err) = veil(&["--json", "--api", &api, "vault", "log", &doc, "--verify"]);
    assert!(ok, "{err}");
    // Each entry checked against its block: signed record, tx_root, header.
    assert_eq!(log["verified"], true);
    assert_eq!(log["blocks"].as_object().unwrap().len(), 3);
    let roles: Vec<String> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["op"].as_str().unwrap(),
                e["role"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(roles, ["put owner", "open capability", "open regulator"]);
}

/// `veil wallet backup` / `recover`: a funded wallet's seed split into 5
/// encrypted share files (any 3 recover it), recovered from shares 2, 4
/// and 5 into a new wallet with the same address and balance; 2 shares
/// are refused with the reason; the same with shares written as words.
#[test]
fn wallet_backup_and_recover_a_safe_box() {
    let n = TestNode::start(26);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (a, c) = (path("a.wallet"), path("c.wallet"));
    n.bank_a()
        .save(a.as_ref(), DEV_PASSPHRASE, KdfParams::default())
        .unwrap();
    let api = n.url();

    // A new wallet, funded by bank A.
    let (ok, v, e) = veil(&["--json", "wallet", "--wallet", &c, "new", "--label", "c"]);
    assert!(ok, "{e}");
    let c_addr = v["address"].as_str().unwrap().to_owned();
    let (ok, _, e) = wallet(
        &a,
        &api,
        &["transfer", "--to", &c_addr, "--amount", "321.09", "-y"],
    );
    assert!(ok, "{e}");
    assert_eq!(confirmed(&c, &api), 32_109);

    // Five holders, five passphrases.
    let holder = |i: usize| format!("holder {i} passphrase");
    let env: Vec<(String, String)> = (1..=5)
        .map(|i| (format!("VEIL_SHARE_PASSPHRASE_{i}"), holder(i)))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let shares_dir = path("shares");
    let (code, out, err) = veil_raw(
        &[
            "--json",
            "wallet",
            "--wallet",
            &c,
            "backup",
            "--shares",
            "5",
            "--threshold",
            "3",
            "--out",
            &shares_dir,
        ],
        &env,
    );
    assert_eq!(code, Some(0), "{out} {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["threshold"].as_u64(), v["total"].as_u64()),
        (Some(3), Some(5))
    );
    assert_eq!(v["address"], c_addr.as_str());
    assert!(v["warning"].as_str().unwrap().contains("apart"), "{v}");
    let files: Vec<String> = v["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(files.len(), 5);
    for (i, f) in files.iter().enumerate() {
        assert!(
            f.ends_with(&format!("share-{}-of-5.veilshare", i + 1)),
            "{f}"
        );
        assert_eq!(mode(f.as_ref()), 0o600, "{f}");
    }
    // Each share opens with its own holder's passphrase only.
    let kind = veil::wallet::backup::SHARE_KIND;
    assert!(veil::wallet::keystore::load(files[0].as_ref(), kind, &holder(1)).is_ok());
    assert!(veil::wallet::keystore::load(files[0].as_ref(), kind, &holder(2)).is_err());
    assert!(veil::wallet::keystore::load(files[0].as_ref(), kind, DEV_PASSPHRASE).is_err());
    // Backing up again does not silently replace the files.
    let (code, _, err) = veil_raw(
        &[
            "wallet",
            "--wallet",
            &c,
            "backup",
            "--shares",
            "5",
            "--threshold",
            "3",
            "--out",
            &shares_dir,
        ],
        &env,
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("already exists"), "{err}");

    // Shares 2, 4 and 5 recover the wallet.
    let recovered = path("recovered.wallet");
    let (code, out, err) = veil_raw(
        &[
            "--json", "wallet", "recover", "--out", &recovered, &files[1], &files[3], &files[4],
        ],
        &env,
    );
    assert_eq!(code, Some(0), "{out} {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["address"], c_addr.as_str());
    assert_eq!(v["shares"], 3);
    assert_eq!(mode(recovered.as_ref()), 0o600);
    let (ok, v, e) = wallet(&recovered, &api, &["address"]);
    assert!(ok, "{e}");
    assert_eq!(v["address"], c_addr.as_str());
    // A fresh scan of the chain finds the same funds.
    assert_eq!(confirmed(&recovered, &api), 32_109);
    // Never over an existing file.
    let (code, _, err) = veil_raw(
        &[
            "wallet", "recover", "--out", &recovered, &files[0], &files[1], &files[2],
        ],
        &env,
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("already exists"), "{err}");

    // Two shares are not enough, and the error says so.
    let two = path("two.wallet");
    let (code, out, err) = veil_raw(
        &["wallet", "recover", "--out", &two, &files[0], &files[2]],
        &env,
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(err.contains("2 shares given, this backup needs 3"), "{err}");
    assert!(!std::path::Path::new(&two).exists());
    // A wrong holder passphrase is refused, naming the file.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "VEIL_SHARE_PASSPHRASE_1");
    wrong.push(("VEIL_SHARE_PASSPHRASE_1", "not the holder's"));
    let (code, _, err) = veil_raw(
        &[
            "wallet", "recover", "--out", &two, &files[0], &files[1], &files[2],
        ],
        &wrong,
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("wrong passphrase") && err.contains("share-1-of-5.veilshare"),
        "{err}"
    );
    assert!(!std::path::Path::new(&two).exists());

    // A view-only wallet has no seed to back up.
    let view = path("c-view.wallet");
    assert!(wallet(&c, &api, &["export-view", "--out", &view]).0);
    let (ok, _, e) = wallet(
        &view,
        &api,
        &["backup", "--shares", "3", "--threshold", "2", "--words"],
    );
    assert!(!ok && e.contains("view-only"), "{e}");

    // Words: one share per block, "share i of 5" then its words.
    let (code, out, err) = veil_raw(
        &[
            "wallet",
            "--wallet",
            &c,
            "backup",
            "--shares",
            "5",
            "--threshold",
            "3",
            "--words",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("apart"), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let printed: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("share ") && l.ends_with(" of 5"))
        .map(|(k, _)| lines[k + 1].trim().to_owned())
        .collect();
    assert_eq!(printed.len(), 5, "{out}");
    for p in &printed {
        assert_eq!(
            p.split_whitespace().count(),
            veil::wallet::backup::SHARE_WORDS,
            "{p}"
        );
    }
    let from_words = path("from-words.wallet");
    let (ok, v, e) = veil(&[
        "--json",
        "wallet",
        "recover",
        "--out",
        &from_words,
        "--words",
        &printed[0],
        "--words",
        &printed[2],
        "--words",
        &printed[3],
    ]);
    assert!(ok, "{e}");
    assert_eq!(v["address"], c_addr.as_str());
    // Two lines on standard input and one --words.
    let from_stdin = path("from-stdin.wallet");
    let mut child = Command::new(env!("CARGO_BIN_EXE_veil"))
        .args([
            "--json",
            "wallet",
            "recover",
            "--out",
            from_stdin.as_str(),
            "--words",
            printed[4].as_str(),
            "-",
        ])
        .env("VEIL_PASSPHRASE", DEV_PASSPHRASE)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(
            stdin,
            "share 2 of 5\n{}\n\nshare 4 of 5\n{}",
            printed[1], printed[3]
        )
        .unwrap();
    }
    let done = child.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let v: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(v["address"], c_addr.as_str());
    // Two lines are too few; a mistyped word is caught; words of this
    // backup do not mix with shares of the first.
    let (ok, _, e) = veil(&[
        "wallet",
        "recover",
        "--out",
        &two,
        "--words",
        &printed[0],
        "--words",
        &printed[1],
    ]);
    assert!(
        !ok && e.contains("2 shares given, this backup needs 3"),
        "{e}"
    );
    let mut typo: Vec<&str> = printed[2].split_whitespace().collect();
    typo[3] = if typo[3] == "abandon" {
        "ability"
    } else {
        "abandon"
    };
    let typo = typo.join(" ");
    let (ok, _, e) = veil(&[
        "wallet",
        "recover",
        "--out",
        &two,
        "--words",
        &printed[0],
        "--words",
        &printed[1],
        "--words",
        &typo,
    ]);
    assert!(!ok && e.contains("checksum"), "{e}");
    let (code, _, err) = veil_raw(
        &[
            "wallet",
            "recover",
            "--out",
            &two,
            "--words",
            &printed[0],
            &files[1],
            &files[3],
        ],
        &env,
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("different backups"), "{err}");
    assert!(!std::path::Path::new(&two).exists());
}

/// A party known by its DID: the holder adds an X25519 key-agreement key,
/// enrols with its identity keystore, and opens what a bank grants to its
/// DID; once its authentication key is rotated away the old key opens
/// nothing, and the new key enrols the DID again.
#[test]
fn vault_grants_to_a_did_through_the_cli() {
    let n = TestNode::start(67);
    let dir = tempfile::tempdir().unwrap();
    let files = veil::dev::DevFiles::under(dir.path());
    n.network.write(&files, KdfParams::default()).unwrap();
    let api = n.url();
    let a = files.bank_a.to_str().unwrap();
    let ks = dir.path().join("auditor.identity");
    let ks = ks.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--json", "--api", &api];
        all.extend_from_slice(args);
        veil(&all)
    };
    let (ok, created, err) = run(&["did", "create", "--keystore", ks, "--label", "auditor"]);
    assert!(ok, "{err}");
    let did = created["did"].as_str().unwrap().to_owned();
    // Without a key-agreement key the vault says how to add one.
    let (ok, _, err) = run(&["vault", "--identity", ks, "enrol"]);
    assert!(!ok && err.contains("--key-type x25519"), "{err}");
    let (ok, _, err) = run(&[
        "did",
        "update",
        "--keystore",
        ks,
        "--add-key",
        "agree-1",
        "--key-type",
        "x25519",
    ]);
    assert!(ok, "{err}");
    assert_eq!(mode(std::path::Path::new(ks)), 0o600);
    let (ok, resolved, err) = run(&["did", "resolve", &did]);
    assert!(ok, "{err}");
    assert_eq!(
        resolved["didDocument"]["keyAgreement"][0],
        format!("{did}#agree-1"),
        "{resolved}"
    );
    let (ok, enrolled, err) = run(&["vault", "--identity", ks, "enrol"]);
    assert!(ok, "{err}");
    assert_eq!(enrolled["did"], did.as_str());
    let party = enrolled["party"].as_str().unwrap().to_owned();

    let invoice = dir.path().join("audit-evidence.txt");
    let text = "EVIDENCE: shipment 0042 inspected\n".repeat(500);
    std::fs::write(&invoice, &text).unwrap();
    let (ok, put, err) = run(&[
        "vault",
        "--wallet",
        a,
        "put",
        invoice.to_str().unwrap(),
        "--grant",
        &did,
    ]);
    assert!(ok, "{err}");
    assert_eq!(put["grantees"][0], party.as_str());
    let doc = put["doc"].as_str().unwrap().to_owned();
    // Opens the document as the identity `ks` into `name`; the text read.
    let get_as = |ks: &str, name: &str| {
        let out = dir.path().join(name);
        let (ok, _, err) = run(&[
            "vault",
            "--identity",
            ks,
            "get",
            &doc,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        std::fs::read_to_string(&out).unwrap()
    };
    assert_eq!(get_as(ks, "opened.txt"), text);
    let (ok, log, err) = run(&["vault", "log", &doc]);
    assert!(ok, "{err}");
    let opened_by_did = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["op"] == "open" && e["actor"] == party.as_str() && e["role"] == "grantee");
    assert!(opened_by_did, "{log}");

    // The DID rotates its authentication key: the old key (a copy of the
    // keystore from before) may not open any more.
    let old = dir.path().join("auditor-old.identity");
    std::fs::copy(ks, &old).unwrap();
    let (ok, _, err) = run(&["did", "rotate", "--keystore", ks, "--method", "key-1"]);
    assert!(ok, "{err}");
    let again = dir.path().join("again.txt");
    let (code, _, _) = veil_raw(
        &[
            "--json",
            "--api",
            &api,
            "vault",
            "--identity",
            old.to_str().unwrap(),
            "get",
            &doc,
            "--out",
            again.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(3), "the node refuses the rotated-away key");
    assert!(!again.exists());
    // The new key enrols the DID again; the owner grants it afresh.
    let (ok, re, err) = run(&["vault", "--identity", ks, "enrol"]);
    assert!(ok, "{err}");
    assert_ne!(re["party"], party.as_str());
    let (ok, _, err) = run(&["vault", "--wallet", a, "grant", &doc, "--to", &did]);
    assert!(ok, "{err}");
    assert_eq!(get_as(ks, "again.txt"), text);
}
