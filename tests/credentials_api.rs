//! Credentials over a real node's HTTP API: DID resolution (current and
//! historical versions), the trust list, issuer trees and paths, and
//! presentation verification with its refusals as problem+json: tampered
//! proof and disclosure, replay (nullifier reuse), revoked credentials,
//! malformed and oversized bodies, batch verification.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::http::{declare_oversized_body, get, post as post_as};
use common::node::TestNode;
use serde_json::{json, Value};
use veil::cli::identity::{build_request, IdentityClient};
use veil::dev::DEV_CREDENTIAL_TYPE;
use veil::identity::did::{Fragment, Method, AUTHENTICATION};
use veil::identity::local_identity::KeyType;
use veil::identity::pinned_keys;
use veil::identity::presentation::{Holder, PresentationRequest};
use veil::identity::tx::{Change, DidOp};

fn post(url: &str, body: &[u8]) -> (u16, Value) {
    post_as(url, "application/json", body)
}

fn attrs(birth_date: &str) -> BTreeMap<String, Value> {
    [
        ("birth_date", birth_date),
        ("country", "DE"),
        ("given_name", "Erika"),
        ("family_name", "Mustermann"),
        ("document_number", "T22000129"),
        ("level", "3"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), json!(v)))
    .collect()
}

fn adult_request(
    client: &IdentityClient<'_>,
    scope: &str,
) -> (PresentationRequest, veil::identity::schema::CredentialType) {
    let ty = client.credential_type(DEV_CREDENTIAL_TYPE).unwrap();
    let r = build_request(&ty, scope, "country", &[], None, None, None, Some(18)).unwrap();
    (r, ty)
}

fn verify(url: &str, presentation: &Value, request: &Value) -> (u16, Value) {
    post(
        &format!("{url}/v1/presentations/verify"),
        json!({"presentation": presentation, "request": request})
            .to_string()
            .as_bytes(),
    )
}

/// Edits a presentation's JSON.
type Tamper = Box<dyn Fn(&mut Value)>;

fn code(problem: &Value) -> &str {
    problem["type"]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("urn:veil:problem:")
}

#[test]
fn dids_resolve_at_every_version_and_errors_are_problem_json() {
    let n = TestNode::start(41);
    let url = n.url();
    let source = n.source();
    let client = IdentityClient { source: &source };
    let holder = &n.network.holder;

    let (status, r) = get(&format!("{url}/v1/dids/{}", holder.did));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["didDocument"]["id"], holder.did.to_string());
    assert_eq!(r["didDocumentMetadata"]["versionId"], "1");
    assert_eq!(r["didDocumentMetadata"]["deactivated"], false);

    // Add a key: version 2; version 1 still resolves to the old document.
    let mut rng = rand_core::OsRng;
    let key = KeyType::Secp256k1.generate(&mut rng);
    client
        .did_op(
            holder,
            DidOp::Update(vec![Change::AddMethod(Method {
                fragment: Fragment::new("phone").unwrap(),
                key: key.public(),
                relationships: AUTHENTICATION,
            })]),
        )
        .unwrap();
    let (_, now) = get(&format!("{url}/v1/dids/{}", holder.did));
    assert_eq!(now["didDocumentMetadata"]["versionId"], "2");
    let methods = |r: &Value| {
        r["didDocument"]["verificationMethod"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(methods(&now), 2);
    let (status, v1) = get(&format!("{url}/v1/dids/{}?versionId=1", holder.did));
    assert_eq!(status, 200);
    assert_eq!(methods(&v1), 1);
    assert_eq!(v1["didDocumentMetadata"]["nextVersionId"], "2");

    // Errors: unknown version, unknown DID, malformed DID, bad versionId.
    let (status, p) = get(&format!("{url}/v1/dids/{}?versionId=9", holder.did));
    assert_eq!((status, code(&p)), (404, "did-version-not-found"));
    let (status, p) = get(&format!(
        "{url}/v1/dids/did:veil:11111111111111111111111111"
    ));
    assert!(status == 404 || status == 400, "{status} {p}");
    let (status, p) = get(&format!("{url}/v1/dids/did:web:example.com"));
    assert_eq!((status, code(&p)), (400, "invalid-did"));
    let (status, _) = get(&format!("{url}/v1/dids/{}?versionId=-1", holder.did));
    assert_eq!(status, 400);

    // The trust list names the root authority and the dev type; the issuer
    // is accredited.
    let (_, list) = get(&format!("{url}/v1/trust-list"));
    assert_eq!(
        list["root_authority"],
        n.network.root_authority.did.to_string()
    );
    assert_eq!(list["credential_types"][0]["name"], DEV_CREDENTIAL_TYPE);
    let (_, issuer) = get(&format!("{url}/v1/issuers/{}", n.network.kyc_issuer.did));
    assert_eq!(
        issuer["accreditations"][0]["credential_type"],
        DEV_CREDENTIAL_TYPE
    );
    assert_eq!(issuer["accreditations"][0]["active"], true);
    assert_eq!(
        issuer["accreditations"][0]["regulator_hook_key"],
        hex::encode(
            n.network
                .regulator()
                .jurisdiction(veil::dev::DEV_JURISDICTION)
                .credential_hook()
                .public()
                .to_bytes()
        )
    );
    let (status, p) = get(&format!(
        "{url}/v1/issuers/{}/paths/0",
        n.network.kyc_issuer.did
    ));
    assert_eq!(status, 404, "no leaves yet: {p}");
    let (status, _) = get(&format!(
        "{url}/v1/issuers/{}/paths/notanumber",
        n.network.kyc_issuer.did
    ));
    assert_eq!(status, 400);
}

#[test]
fn presentations_verify_once_and_every_refusal_is_problem_json() {
    let n = TestNode::start(42);
    let url = n.url();
    let source = n.source();
    let client = IdentityClient { source: &source };
    let (issuer, holder) = (&n.network.kyc_issuer, &n.network.holder);

    let envelope = client
        .issue(
            issuer,
            DEV_CREDENTIAL_TYPE,
            holder.holder_commitment(),
            &attrs("1990-05-01"),
        )
        .unwrap();
    let (held, ty) = client.accept(holder, &envelope).unwrap();
    let (status, path) = get(&format!(
        "{url}/v1/issuers/{}/paths/{}",
        issuer.did, held.leaf_index
    ));
    assert_eq!(status, 200);
    assert_eq!(path["siblings"].as_array().unwrap().len(), 32);

    // A minor cannot even produce the proof.
    let minor = client
        .issue(
            issuer,
            DEV_CREDENTIAL_TYPE,
            holder.holder_commitment(),
            &attrs("2015-01-01"),
        )
        .unwrap();
    let (req, _) = adult_request(&client, "bank-a/onboarding");
    assert!(client.present(holder, &minor, &req).is_err());

    // Present and verify.
    let p = client.present(holder, &envelope, &req).unwrap().to_json();
    let r = req.to_json();
    let text = p.to_string();
    assert!(!text.contains("1990") && !text.contains("Mustermann") && !text.contains("T22000129"));
    let (status, v) = verify(&url, &p, &r);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["disclosed"], json!({"country": "DE"}));
    assert_eq!(v["issuer"], issuer.did.to_string());
    // The dev accreditation has the regulator hook: the verifier keeps a
    // ciphertext that only the regulator opens, to the holder commitment.
    let c = veil::identity::presentation::ciphertext_from_json(&v["regulator_ciphertext"])
        .expect("a regulator ciphertext");
    let hook = n
        .network
        .regulator()
        .jurisdiction(veil::dev::DEV_JURISDICTION)
        .credential_hook();
    assert_eq!(hook.decrypt(&c), holder.holder_commitment());

    // Without the ciphertext the presentation is refused.
    let (fresh, _) = adult_request(&client, "bank-a/nohook");
    let mut stripped = client.present(holder, &envelope, &fresh).unwrap().to_json();
    stripped["proof"]
        .as_object_mut()
        .unwrap()
        .remove("regulatorCiphertext");
    let (status, problem) = verify(&url, &stripped, &fresh.to_json());
    assert_eq!(
        (status, code(&problem)),
        (422, "regulator-hook-mismatch"),
        "{problem}"
    );

    // The same presentation again: the nullifier is spent.
    let (status, problem) = verify(&url, &p, &r);
    assert_eq!(
        (status, code(&problem)),
        (409, "nullifier-reused"),
        "{problem}"
    );

    // Tampering: every field that matters, each refused, none recording a
    // nullifier (a fresh request per attempt so only the tamper differs).
    let tampers: Vec<(&str, Tamper, &str)> = vec![
        (
            "proofValue",
            Box::new(|p: &mut Value| {
                let s = p["proof"]["proofValue"].as_str().unwrap().to_owned();
                let mut bytes = bs58::decode(&s[1..]).into_vec().unwrap();
                bytes[40] ^= 1;
                p["proof"]["proofValue"] = json!(format!("z{}", bs58::encode(bytes).into_string()));
            }),
            "",
        ),
        (
            "disclosed country",
            Box::new(|p: &mut Value| {
                p["verifiableCredential"][0]["credentialSubject"]["country"] = json!("FR");
            }),
            "",
        ),
        (
            "nullifier",
            Box::new(|p: &mut Value| {
                p["proof"]["nullifier"] = json!(format!("{:064x}", 7));
            }),
            "invalid-proof",
        ),
        (
            "issuer tree root",
            Box::new(|p: &mut Value| {
                p["proof"]["issuerTreeRoot"] = json!(format!("{:064x}", 7));
            }),
            "unknown-root",
        ),
        (
            "verification key",
            Box::new(|p: &mut Value| {
                p["proof"]["verificationKey"] = json!(format!("sha256:{}", "00".repeat(32)));
            }),
            "verifying-key-mismatch",
        ),
        (
            "challenge",
            Box::new(|p: &mut Value| {
                p["proof"]["challenge"] = json!(format!("{:064x}", 9));
            }),
            "nonce-mismatch",
        ),
        (
            "domain",
            Box::new(|p: &mut Value| p["proof"]["domain"] = json!("bank-z")),
            "scope-mismatch",
        ),
    ];
    for (what, tamper, expected) in tampers {
        let (fresh, _) = adult_request(&client, "bank-a/tamper");
        let mut bad = client.present(holder, &envelope, &fresh).unwrap().to_json();
        tamper(&mut bad);
        let (status, problem) = verify(&url, &bad, &fresh.to_json());
        assert!(status == 400 || status == 422, "{what}: {status} {problem}");
        if !expected.is_empty() {
            assert_eq!(code(&problem), expected, "{what}: {problem}");
        }
    }
    // None of those recorded the scope's nullifier: an honest one verifies.
    let (fresh, _) = adult_request(&client, "bank-a/tamper");
    let good = client.present(holder, &envelope, &fresh).unwrap().to_json();
    let (status, v) = verify(&url, &good, &fresh.to_json());
    assert_eq!(status, 200, "{v}");

    // Malformed and oversized bodies.
    let (status, problem) = post(&format!("{url}/v1/presentations/verify"), b"{not json");
    assert_eq!(status, 400, "{problem}");
    let (status, problem) = verify(&url, &json!({"type": ["Nope"]}), &r);
    assert_eq!((status, code(&problem)), (400, "malformed-presentation"));
    let (status, text) =
        declare_oversized_body(&url, "/v1/presentations/verify", "application/json");
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("application/problem+json"), "{text}");

    // Batch: two fresh ones verify, a replayed one is refused, in order.
    let (r1, _) = adult_request(&client, "batch/one");
    let (r2, _) = adult_request(&client, "batch/two");
    let p1 = client.present(holder, &envelope, &r1).unwrap().to_json();
    let p2 = client.present(holder, &envelope, &r2).unwrap().to_json();
    let body = json!({"items": [
        {"presentation": p1, "request": r1.to_json()},
        {"presentation": p, "request": r},
        {"presentation": p2, "request": r2.to_json()},
    ]});
    let (status, out) = post(
        &format!("{url}/v1/presentations/verify-batch"),
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{out}");
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["verified"], true);
    assert_eq!(results[1]["verified"], false);
    assert!(results[1]["error"]
        .as_str()
        .unwrap()
        .ends_with("nullifier-reused"));
    assert_eq!(results[2]["verified"], true);

    // Revocation: the issuer revokes; a proof against the old root is
    // refused, and the holder cannot prove against the new one.
    let (old_path, old_root) = client.path(&issuer.did, held.leaf_index).unwrap();
    client.revoke(issuer, vec![held.leaf_index]).unwrap();
    let (status, at) = get(&format!(
        "{url}/v1/issuers/{}/paths/{}",
        issuer.did, held.leaf_index
    ));
    assert_eq!(status, 200);
    assert_ne!(at["root"], json!(veil_circuits::field::to_hex(&old_root)));
    let (fresh, _) = adult_request(&client, "after/revocation");
    let key = pinned_keys::proving_key_for(
        veil_circuits::presentation::Circuit::Hooked,
        pinned_keys::default_dir().as_deref(),
    )
    .unwrap();
    let stale = Holder {
        key: &key,
        secret: holder.holder_secret(),
        credential: &held,
        credential_type: &ty,
        path: old_path,
        root: old_root,
        hook: client.hook_key(&issuer.did, DEV_CREDENTIAL_TYPE).unwrap(),
    }
    .present(&fresh, "2026-11-21T00:00:00Z")
    .unwrap();
    let (status, problem) = verify(&url, &stale.to_json(), &fresh.to_json());
    assert_eq!(
        (status, code(&problem)),
        (422, "credential-revoked"),
        "{problem}"
    );
    assert!(client.present(holder, &envelope, &fresh).is_err());
    // Revoking the same leaf twice is refused and changes nothing.
    let tree = |url: &str| get(&format!("{url}/v1/issuers/{}", issuer.did)).1["tree"].clone();
    let before = tree(&url);
    assert_eq!(before["revocations"], 1);
    assert!(client.revoke(issuer, vec![held.leaf_index]).is_err());
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(tree(&url), before);
}
