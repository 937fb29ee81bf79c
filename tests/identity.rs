//! Identity rules, credentials and presentations against in-memory state:
//! DID lifecycle, trust list, issuance and revocation, and every way a
//! presentation is refused.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use veil::codec::Encode;

use rand_core::OsRng;
use serde_json::{json, Value};
use veil::identity::credential::{self, HeldCredential};
use veil::identity::did::{DidDocument, DidId, Fragment, Method, ASSERTION, AUTHENTICATION};
use veil::identity::keys::SecretKey;
use veil::identity::pinned_keys;
use veil::identity::presentation::{
    random_nonce, Holder, PredicateSpec, PresentError, Presentation, PresentationError,
    PresentationRequest, Verifier,
};
use veil::identity::schema::{Attribute, AttributeKind, AttributeValue, CredentialType, Date};
use veil::identity::state::{
    apply_credential, apply_did, apply_trust, DidRecord, Effect, EmptyState, IdentityError,
    IdentityState, Overlay,
};
use veil::identity::tree;
use veil::identity::tx::{Change, CredentialOp, CredentialTx, DidOp, DidTx, TrustOp, TrustTx};
use veil::identity::vc;
use veil::tx::Transaction;
use veil_circuits::groth::ProvingKey;
use veil_circuits::hook::HookSecret;
use veil_circuits::presentation::Circuit;
use veil_circuits::Fr;

static EMPTY: EmptyState = EmptyState;

fn frag(s: &str) -> Fragment {
    Fragment::new(s).unwrap()
}

/// A party with a DID and its keys.
struct Party {
    did: DidId,
    keys: HashMap<String, SecretKey>,
    version: u64,
}

impl Party {
    fn key(&self, f: &str) -> &SecretKey {
        &self.keys[f]
    }
}

/// In-memory identity state with history, a clock, and a holder secret.
struct World {
    state: Overlay<'static>,
    history: HashMap<(DidId, u64), DidRecord>,
    now: u64,
    authority: Party,
    trust_seq: u64,
}

fn kyc_type() -> CredentialType {
    let a = |n: &str, k| Attribute {
        name: n.into(),
        kind: k,
    };
    CredentialType::new(
        "KycCredential",
        vec![
            a("birth_date", AttributeKind::Date),
            a("country", AttributeKind::String),
            a("family_name", AttributeKind::String),
            a("level", AttributeKind::Integer),
        ],
    )
    .unwrap()
}

impl World {
    fn run(&mut self, r: Result<Vec<Effect>, IdentityError>) -> Result<(), IdentityError> {
        let effects = r?;
        for e in &effects {
            if let Effect::Did { id, record } = e {
                self.history.insert((*id, record.version), record.clone());
            }
        }
        self.state.absorb(&effects);
        self.now += 1_000;
        Ok(())
    }

    fn did_tx(&mut self, tx: &DidTx) -> Result<(), IdentityError> {
        let r = apply_did(&self.state, tx, self.now);
        self.run(r)
    }

    fn trust_tx(&mut self, tx: &TrustTx) -> Result<(), IdentityError> {
        let r = apply_trust(&self.state, tx, self.now);
        self.run(r)
    }

    fn cred_tx(&mut self, tx: &CredentialTx) -> Result<(), IdentityError> {
        let r = apply_credential(&self.state, tx, self.now);
        self.run(r)
    }

    fn new_party(&mut self) -> Party {
        let key = SecretKey::generate_ed25519(&mut OsRng);
        let doc = DidDocument {
            controllers: vec![],
            methods: vec![Method {
                fragment: frag("key-1"),
                key: key.public(),
                relationships: AUTHENTICATION | ASSERTION,
            }],
            services: vec![],
        };
        let tx = DidTx::create(doc, &key).unwrap();
        self.did_tx(&tx).unwrap();
        Party {
            did: tx.did,
            keys: HashMap::from([("key-1".to_owned(), key)]),
            version: 1,
        }
    }

    fn new() -> Self {
        let mut state = Overlay::new(&EMPTY);
        let key = SecretKey::generate_ed25519(&mut OsRng);
        let doc = DidDocument {
            controllers: vec![],
            methods: vec![Method {
                fragment: frag("key-1"),
                key: key.public(),
                relationships: AUTHENTICATION | ASSERTION,
            }],
            services: vec![],
        };
        let tx = DidTx::create(doc, &key).unwrap();
        state.set_authority(tx.did);
        let mut w = Self {
            state,
            history: HashMap::new(),
            now: 1_700_000_000_000,
            authority: Party {
                did: tx.did,
                keys: HashMap::from([("key-1".to_owned(), key)]),
                version: 1,
            },
            trust_seq: 0,
        };
        w.did_tx(&tx).unwrap();
        w.trust(TrustOp::DefineType(kyc_type())).unwrap();
        w
    }

    fn trust(&mut self, op: TrustOp) -> Result<(), IdentityError> {
        let tx = TrustTx::signed(
            self.authority.did,
            self.trust_seq + 1,
            op,
            frag("key-1"),
            self.authority.key("key-1"),
        )
        .unwrap();
        self.trust_tx(&tx)?;
        self.trust_seq += 1;
        Ok(())
    }

    fn accredit(&mut self, issuer: &Party) {
        self.trust(TrustOp::Accredit {
            issuer: issuer.did,
            credential_type: "KycCredential".into(),
        })
        .unwrap();
    }

    fn next_seq(&self, issuer: &DidId) -> u64 {
        self.state.issuer_tree(issuer).map_or(0, |t| t.sequence) + 1
    }

    /// Issues a KYC credential to `holder_secret`; returns what the holder
    /// keeps.
    fn issue(&mut self, issuer: &Party, holder_secret: Fr, birth: &str) -> HeldCredential {
        let ty = kyc_type();
        let values: BTreeMap<String, Value> = [
            ("birth_date", json!(birth)),
            ("country", json!("DE")),
            ("family_name", json!("Muster")),
            ("level", json!(2)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let attributes = credential::parse_attributes(&ty, &values).unwrap();
        let hc = veil_circuits::presentation::holder_commitment(holder_secret);
        let salt = credential::random_salt(&mut OsRng);
        let c = credential::commitment(&ty, &attributes, hc, salt);
        let tx = CredentialTx::signed(
            issuer.did,
            self.next_seq(&issuer.did),
            CredentialOp::Issue {
                credential_type: ty.name.clone(),
                commitments: vec![c],
            },
            frag("key-1"),
            issuer.key("key-1"),
        )
        .unwrap();
        self.cred_tx(&tx).unwrap();
        let index = self.state.commitment_index(&issuer.did, &c).unwrap();
        let f = frag("key-1");
        let signer = vc::Signer {
            did: issuer.did,
            version: issuer.version,
            method: &f,
            key: issuer.key("key-1"),
        };
        let env = credential::envelope(
            &signer,
            &ty,
            &attributes,
            hc,
            salt,
            index,
            "2026-11-21T00:00:00Z",
        );
        credential::read_envelope(&env, &|n| (n == "KycCredential").then(kyc_type)).unwrap()
    }

    fn revoke(&mut self, issuer: &Party, leaf: u32) -> Result<(), IdentityError> {
        let tx = CredentialTx::signed(
            issuer.did,
            self.next_seq(&issuer.did),
            CredentialOp::Revoke { leaves: vec![leaf] },
            frag("key-1"),
            issuer.key("key-1"),
        )
        .unwrap();
        self.cred_tx(&tx)
    }

    fn holder<'a>(
        &self,
        pk: &'a ProvingKey,
        secret: Fr,
        c: &'a HeldCredential,
        ty: &'a CredentialType,
    ) -> Holder<'a> {
        let read = |n| self.state.tree_node(&c.issuer, n);
        Holder {
            key: pk,
            secret: veil::crypto::secret::Secret::new(secret),
            credential: c,
            credential_type: ty,
            path: tree::path(&read, c.leaf_index),
            root: self.state.issuer_tree(&c.issuer).unwrap().root,
            hook: None,
        }
    }

    fn verifier(&self) -> Verifier<'_> {
        Verifier {
            state: &self.state,
            key: pinned_keys::verifying_key().unwrap(),
            hook_key: pinned_keys::verifying_key_for(Circuit::Hooked).unwrap(),
            now_ms: self.now,
            root_window_ms: 60_000,
        }
    }
}

fn proving_key() -> Arc<ProvingKey> {
    pinned_keys::proving_key(pinned_keys::default_dir().as_deref()).unwrap()
}

fn request(scope: &str) -> PresentationRequest {
    let today = Date::parse("2026-11-21").unwrap();
    PresentationRequest {
        nonce: random_nonce(),
        scope: scope.into(),
        credential_type: "KycCredential".into(),
        issuers: vec![],
        disclose: vec!["country".into()],
        predicate: Some(PredicateSpec {
            attribute: "birth_date".into(),
            min: None,
            max: Some(AttributeValue::Date(today.years_before(18).unwrap())),
        }),
    }
}

fn secret() -> Fr {
    veil_circuits::field::hash_to_field(b"test", &rand::random::<[u8; 32]>())
}

#[test]
fn did_lifecycle_versions_controllers_and_replays() {
    let mut w = World::new();
    let mut alice = w.new_party();

    // A creation replayed, or one whose DID is not derived from its key.
    let key = SecretKey::generate_ed25519(&mut OsRng);
    let doc = DidDocument {
        controllers: vec![],
        methods: vec![Method {
            fragment: frag("key-1"),
            key: key.public(),
            relationships: AUTHENTICATION,
        }],
        services: vec![],
    };
    let create = DidTx::create(doc.clone(), &key).unwrap();
    w.did_tx(&create).unwrap();
    assert_eq!(w.did_tx(&create), Err(IdentityError::DidExists(create.did)));
    let mut forged = DidTx::create(doc, &key).unwrap();
    forged.did = alice.did;
    assert!(matches!(
        w.did_tx(&forged),
        Err(IdentityError::DidExists(_) | IdentityError::DidNotDerived)
    ));

    // Update: add an assertion-only key and a service.
    let k2 = SecretKey::generate_secp256k1(&mut OsRng);
    let update = DidTx::signed(
        alice.did,
        1,
        DidOp::Update(vec![
            Change::AddMethod(Method {
                fragment: frag("key-2"),
                key: k2.public(),
                relationships: ASSERTION,
            }),
            Change::AddService(
                veil::identity::did::Service::new(
                    frag("web"),
                    "LinkedDomains",
                    "https://alice.example",
                )
                .unwrap(),
            ),
        ]),
        alice.did,
        frag("key-1"),
        alice.key("key-1"),
    )
    .unwrap();
    w.did_tx(&update).unwrap();
    alice.keys.insert("key-2".into(), k2);
    // Replayed (stale version).
    assert_eq!(
        w.did_tx(&update),
        Err(IdentityError::StaleVersion {
            current: 2,
            found: 1
        })
    );
    // Signed by a key without `authentication`.
    let bad = DidTx::signed(
        alice.did,
        2,
        DidOp::Update(vec![Change::RemoveService(frag("web"))]),
        alice.did,
        frag("key-2"),
        alice.key("key-2"),
    )
    .unwrap();
    assert!(matches!(
        w.did_tx(&bad),
        Err(IdentityError::MethodNotAuthorized { .. })
    ));
    // Tampered signature, tampered body.
    let mut tampered = DidTx::signed(
        alice.did,
        2,
        DidOp::Update(vec![Change::RemoveService(frag("web"))]),
        alice.did,
        frag("key-1"),
        alice.key("key-1"),
    )
    .unwrap();
    tampered.signature[5] ^= 1;
    assert_eq!(w.did_tx(&tampered), Err(IdentityError::BadSignature));
    tampered.signature[5] ^= 1;
    tampered.op = DidOp::Update(vec![Change::RemoveMethod(frag("key-2"))]);
    assert_eq!(w.did_tx(&tampered), Err(IdentityError::BadSignature));
    // Removing the only authentication key is refused.
    let lockout = DidTx::signed(
        alice.did,
        2,
        DidOp::Update(vec![Change::RemoveMethod(frag("key-1"))]),
        alice.did,
        frag("key-1"),
        alice.key("key-1"),
    )
    .unwrap();
    assert!(matches!(
        w.did_tx(&lockout),
        Err(IdentityError::Document(_))
    ));

    // Rotate key-1; the old key can no longer sign.
    let new_key = SecretKey::generate_ed25519(&mut OsRng);
    let rotate = DidTx::signed(
        alice.did,
        2,
        DidOp::Rotate {
            method: frag("key-1"),
            key: new_key.public(),
        },
        alice.did,
        frag("key-1"),
        alice.key("key-1"),
    )
    .unwrap();
    w.did_tx(&rotate).unwrap();
    let old = alice.keys.insert("key-1".into(), new_key).unwrap();
    let with_old = DidTx::signed(
        alice.did,
        3,
        DidOp::Deactivate,
        alice.did,
        frag("key-1"),
        &old,
    )
    .unwrap();
    assert_eq!(w.did_tx(&with_old), Err(IdentityError::BadSignature));

    // A DID controlled by another: only the controller's key may update it.
    let bob = w.new_party();
    let set = DidTx::signed(
        bob.did,
        1,
        DidOp::Update(vec![Change::SetControllers(vec![alice.did])]),
        bob.did,
        frag("key-1"),
        bob.key("key-1"),
    )
    .unwrap();
    w.did_tx(&set).unwrap();
    let by_bob = DidTx::signed(
        bob.did,
        2,
        DidOp::Deactivate,
        bob.did,
        frag("key-1"),
        bob.key("key-1"),
    )
    .unwrap();
    assert_eq!(
        w.did_tx(&by_bob),
        Err(IdentityError::NotController(bob.did))
    );
    let by_alice = DidTx::signed(
        bob.did,
        2,
        DidOp::Deactivate,
        alice.did,
        frag("key-1"),
        alice.key("key-1"),
    )
    .unwrap();
    w.did_tx(&by_alice).unwrap();
    let again = DidTx::signed(
        bob.did,
        3,
        DidOp::Deactivate,
        alice.did,
        frag("key-1"),
        alice.key("key-1"),
    )
    .unwrap();
    assert_eq!(
        w.did_tx(&again),
        Err(IdentityError::DidDeactivated(bob.did))
    );
    assert_eq!(w.state.did(&alice.did).unwrap().version, 3);
}

#[test]
fn trust_list_and_credential_operations() {
    let mut w = World::new();
    let issuer = w.new_party();
    let stranger = w.new_party();

    // Not the authority; out of sequence; type defined twice; unknown type.
    let by_stranger = TrustTx::signed(
        stranger.did,
        w.trust_seq + 1,
        TrustOp::Accredit {
            issuer: issuer.did,
            credential_type: "KycCredential".into(),
        },
        frag("key-1"),
        stranger.key("key-1"),
    )
    .unwrap();
    assert_eq!(
        w.trust_tx(&by_stranger),
        Err(IdentityError::NotRootAuthority)
    );
    let replay = TrustTx::signed(
        w.authority.did,
        w.trust_seq,
        TrustOp::DefineType(kyc_type()),
        frag("key-1"),
        w.authority.key("key-1"),
    )
    .unwrap();
    assert!(matches!(
        w.trust_tx(&replay),
        Err(IdentityError::Sequence { .. })
    ));
    assert_eq!(
        w.trust(TrustOp::DefineType(kyc_type())),
        Err(IdentityError::TypeExists("KycCredential".into()))
    );
    assert_eq!(
        w.trust(TrustOp::Accredit {
            issuer: issuer.did,
            credential_type: "Passport".into()
        }),
        Err(IdentityError::UnknownType("Passport".into()))
    );

    // Issuing before accreditation is refused.
    let c = Fr::from(12345u64);
    let issue = |seq, commitments: Vec<Fr>| {
        CredentialTx::signed(
            issuer.did,
            seq,
            CredentialOp::Issue {
                credential_type: "KycCredential".into(),
                commitments,
            },
            frag("key-1"),
            issuer.key("key-1"),
        )
        .unwrap()
    };
    assert!(matches!(
        w.cred_tx(&issue(1, vec![c])),
        Err(IdentityError::NotAccredited { .. })
    ));
    w.accredit(&issuer);
    assert!(matches!(
        w.trust(TrustOp::Accredit {
            issuer: issuer.did,
            credential_type: "KycCredential".into()
        }),
        Err(IdentityError::AlreadyAccredited { .. })
    ));
    w.cred_tx(&issue(1, vec![c, Fr::from(2u64)])).unwrap();
    // Replay, duplicate commitment, tampered signature.
    assert!(matches!(
        w.cred_tx(&issue(1, vec![c])),
        Err(IdentityError::Sequence { .. })
    ));
    assert!(matches!(
        w.cred_tx(&issue(2, vec![c])),
        Err(IdentityError::DuplicateCommitment(_))
    ));
    assert!(matches!(
        w.cred_tx(&issue(2, vec![Fr::from(7u64), Fr::from(7u64)])),
        Err(IdentityError::DuplicateCommitment(_))
    ));
    let mut forged = issue(2, vec![Fr::from(9u64)]);
    forged.signature[0] ^= 1;
    assert_eq!(w.cred_tx(&forged), Err(IdentityError::BadSignature));
    // A stranger cannot revoke the issuer's leaves (it has no tree key).
    let by_stranger = CredentialTx::signed(
        issuer.did,
        2,
        CredentialOp::Revoke { leaves: vec![0] },
        frag("key-1"),
        stranger.key("key-1"),
    )
    .unwrap();
    assert_eq!(w.cred_tx(&by_stranger), Err(IdentityError::BadSignature));
    assert_eq!(w.revoke(&issuer, 5), Err(IdentityError::UnknownLeaf(5)));
    w.revoke(&issuer, 0).unwrap();
    assert_eq!(w.revoke(&issuer, 0), Err(IdentityError::AlreadyRevoked(0)));
    // Withdrawing the accreditation stops issuance.
    w.trust(TrustOp::Revoke {
        issuer: issuer.did,
        credential_type: "KycCredential".into(),
    })
    .unwrap();
    let seq = w.next_seq(&issuer.did);
    assert!(matches!(
        w.cred_tx(&issue(seq, vec![Fr::from(99u64)])),
        Err(IdentityError::NotAccredited { .. })
    ));
}

#[test]
fn present_verify_and_every_refusal() {
    let pk = proving_key();
    let mut w = World::new();
    let issuer = w.new_party();
    w.accredit(&issuer);
    let ty = kyc_type();
    let s = secret();
    let cred = w.issue(&issuer, s, "1990-05-01");

    // Issue → present → verify.
    let req = request("bank-a/onboarding");
    let p = w.holder(&pk, s, &cred, &ty).present(&req, "now").unwrap();
    let json = p.to_json();
    let parsed =
        Presentation::from_json(&json, &|n| (n == "KycCredential").then(kyc_type)).unwrap();
    assert_eq!(parsed, p);
    let v = w.verifier().check(&parsed, &req).unwrap();
    assert_eq!(v.disclosed["country"], AttributeValue::String("DE".into()));
    assert_eq!(v.disclosed.len(), 1);
    // The presentation shows nothing undisclosed.
    let text = json.to_string();
    assert!(!text.contains("1990") && !text.contains("Muster"));

    // Same scope → same nullifier; another scope → another one.
    let again = w.holder(&pk, s, &cred, &ty).present(&req, "now").unwrap();
    assert_eq!(again.nullifier, p.nullifier);
    let other = w
        .holder(&pk, s, &cred, &ty)
        .present(&request("bank-b/kyc"), "now")
        .unwrap();
    assert_ne!(other.nullifier, p.nullifier);

    // Wrong nonce: answered for another request, or nonce field edited.
    let fresh = request("bank-a/onboarding");
    assert_eq!(
        w.verifier().check(&p, &fresh),
        Err(PresentationError::NonceMismatch)
    );
    let mut edited = p.clone();
    edited.nonce = fresh.nonce;
    let fresh_same_scope = PresentationRequest {
        nonce: fresh.nonce,
        ..req.clone()
    };
    assert_eq!(
        w.verifier().check(&edited, &fresh_same_scope),
        Err(PresentationError::InvalidProof)
    );
    // Another scope.
    let mut scoped = req.clone();
    scoped.scope = "bank-c/x".into();
    assert_eq!(
        w.verifier().check(&p, &scoped),
        Err(PresentationError::ScopeMismatch)
    );

    // Tampered disclosed attribute: caught by the disclosure hash, and by
    // the proof when the hash is recomputed to match.
    let mut tampered = p.clone();
    tampered.disclosed.insert("country".into(), json!("FR"));
    assert!(matches!(
        w.verifier().check(&tampered, &req),
        Err(PresentationError::DisclosureMismatch(_))
    ));
    let mut fields = [Fr::from(0u64); 8];
    fields[1] = AttributeValue::String("FR".into()).to_field();
    tampered.disclosure_hash = veil_circuits::presentation::disclosed_hash(0b10, &fields);
    assert_eq!(
        w.verifier().check(&tampered, &req),
        Err(PresentationError::InvalidProof)
    );
    // Tampered nullifier, root, proof bytes.
    let mut t = p.clone();
    t.nullifier += Fr::from(1u64);
    assert_eq!(
        w.verifier().check(&t, &req),
        Err(PresentationError::InvalidProof)
    );
    let mut t = p.clone();
    t.root += Fr::from(1u64);
    assert_eq!(
        w.verifier().check(&t, &req),
        Err(PresentationError::UnknownRoot(issuer.did))
    );
    for at in [1usize, 40, 100] {
        let mut bytes = p.proof.to_bytes();
        bytes[at] ^= 1;
        if let Ok(proof) = veil_circuits::groth::Proof::from_bytes(&bytes) {
            let t = Presentation { proof, ..p.clone() };
            assert_eq!(
                w.verifier().check(&t, &req),
                Err(PresentationError::InvalidProof)
            );
        }
    }
    // Asking for more than was disclosed.
    let mut more = req.clone();
    more.disclose.push("family_name".into());
    assert!(matches!(
        w.verifier().check(&p, &more),
        Err(PresentationError::DisclosureMismatch(_))
    ));
    // Verifying key mismatch.
    let mut t = p.clone();
    t.key_digest[0] ^= 1;
    assert!(matches!(
        w.verifier().check(&t, &req),
        Err(PresentationError::KeyMismatch(_))
    ));

    // Failed predicate: a minor cannot prove age ≥ 18; a weaker predicate
    // is refused by the verifier.
    let minor = w.issue(&issuer, s, "2012-01-01");
    let req2 = request("bank-a/onboarding");
    assert_eq!(
        w.holder(&pk, s, &minor, &ty)
            .present(&req2, "now")
            .unwrap_err(),
        PresentError::PredicateUnsatisfied
    );
    let mut weak = req2.clone();
    weak.predicate = Some(PredicateSpec {
        attribute: "birth_date".into(),
        min: None,
        max: Some(AttributeValue::Date(Date::parse("2020-01-01").unwrap())),
    });
    let pm = w.holder(&pk, s, &minor, &ty).present(&weak, "now").unwrap();
    assert_eq!(
        w.verifier().check(&pm, &req2),
        Err(PresentationError::PredicateMismatch)
    );

    // Stale root beyond the window: an issuance replaced the root.
    let req3 = request("bank-a/onboarding");
    let before = w.holder(&pk, s, &cred, &ty).present(&req3, "now").unwrap();
    let _ = w.issue(&issuer, secret(), "1980-01-01");
    assert!(
        w.verifier().check(&before, &req3).is_ok(),
        "inside the window"
    );
    w.now += 61_000;
    assert_eq!(
        w.verifier().check(&before, &req3),
        Err(PresentationError::StaleRoot { window_ms: 60_000 })
    );

    // Revoked: the holder can no longer prove against the current root, and
    // a proof against an older root is refused.
    let req4 = request("bank-a/onboarding");
    let pre = w.holder(&pk, s, &cred, &ty).present(&req4, "now").unwrap();
    w.revoke(&issuer, cred.leaf_index).unwrap();
    assert_eq!(
        w.verifier().check(&pre, &req4),
        Err(PresentationError::Revoked)
    );
    assert_eq!(
        w.holder(&pk, s, &cred, &ty)
            .present(&req4, "now")
            .unwrap_err(),
        PresentError::Revoked
    );
    // Another holder of the same issuer presents fine against the new root.
    let s2 = secret();
    let other_cred = w.issue(&issuer, s2, "1970-01-01");
    let ok = w
        .holder(&pk, s2, &other_cred, &ty)
        .present(&req4, "now")
        .unwrap();
    w.verifier().check(&ok, &req4).unwrap();

    // Unaccredited issuer: an issuer whose accreditation was withdrawn.
    w.trust(TrustOp::Revoke {
        issuer: issuer.did,
        credential_type: "KycCredential".into(),
    })
    .unwrap();
    assert!(matches!(
        w.verifier().check(&ok, &req4),
        Err(PresentationError::IssuerNotAccredited { .. })
    ));
    // Someone else's secret cannot present the credential.
    assert!(w
        .holder(&pk, secret(), &other_cred, &ty)
        .present(&req4, "now")
        .is_err());
}

#[test]
fn batch_verification_reports_the_bad_one() {
    let pk = proving_key();
    let mut w = World::new();
    let issuer = w.new_party();
    w.accredit(&issuer);
    let ty = kyc_type();
    let mut items = Vec::new();
    for _ in 0..4 {
        let s = secret();
        let c = w.issue(&issuer, s, "1985-03-03");
        items.push((s, c));
    }
    let mut batch: Vec<(Presentation, PresentationRequest)> = items
        .iter()
        .map(|(s, c)| {
            let r = request("verifier/batch");
            (w.holder(&pk, *s, c, &ty).present(&r, "now").unwrap(), r)
        })
        .collect();
    assert!(w.verifier().check_many(&batch).iter().all(Result::is_ok));
    batch[2].0.nullifier += Fr::from(1u64);
    let results = w.verifier().check_many(&batch);
    assert_eq!(results[2], Err(PresentationError::InvalidProof));
    assert!(results.iter().enumerate().all(|(i, r)| i == 2 || r.is_ok()));
}

#[test]
fn envelope_signatures_verify_historically_after_rotation() {
    let mut w = World::new();
    let mut issuer = w.new_party();
    w.accredit(&issuer);
    let cred = w.issue(&issuer, secret(), "1990-01-01");
    let resolve = |h: &HashMap<(DidId, u64), DidRecord>| {
        let h = h.clone();
        move |d: &DidId, v: u64| h.get(&(*d, v)).cloned()
    };
    assert_eq!(
        vc::verify(&cred.envelope, &resolve(&w.history)),
        Ok((issuer.did, 1))
    );
    // Rotate key-1.
    let new_key = SecretKey::generate_ed25519(&mut OsRng);
    let rotate = DidTx::signed(
        issuer.did,
        1,
        DidOp::Rotate {
            method: frag("key-1"),
            key: new_key.public(),
        },
        issuer.did,
        frag("key-1"),
        issuer.key("key-1"),
    )
    .unwrap();
    w.did_tx(&rotate).unwrap();
    // The old signature still verifies as of version 1.
    assert_eq!(
        vc::verify(&cred.envelope, &resolve(&w.history)),
        Ok((issuer.did, 1))
    );
    // The old key claiming version 2 does not.
    let mut doc = cred.envelope.clone();
    let f = frag("key-1");
    vc::sign(
        &mut doc,
        &vc::Signer {
            did: issuer.did,
            version: 2,
            method: &f,
            key: issuer.key("key-1"),
        },
        "2026-11-22T00:00:00Z",
    );
    assert_eq!(
        vc::verify(&doc, &resolve(&w.history)),
        Err(vc::VcError::Signature)
    );
    // The new key does.
    issuer.keys.insert("key-1".into(), new_key);
    issuer.version = 2;
    vc::sign(
        &mut doc,
        &vc::Signer {
            did: issuer.did,
            version: 2,
            method: &f,
            key: issuer.key("key-1"),
        },
        "2026-11-22T00:00:00Z",
    );
    assert_eq!(vc::verify(&doc, &resolve(&w.history)), Ok((issuer.did, 2)));
    // Any edit of the signed document breaks it.
    doc["credentialSubject"]["country"] = json!("FR");
    assert_eq!(
        vc::verify(&doc, &resolve(&w.history)),
        Err(vc::VcError::Signature)
    );
}

#[test]
fn identity_transactions_round_trip_and_hostile_bytes_never_panic() {
    let mut w = World::new();
    let p = w.new_party();
    let txs = vec![
        Transaction::Did(
            DidTx::signed(
                p.did,
                1,
                DidOp::Update(vec![
                    Change::SetRelationships(frag("key-1"), AUTHENTICATION),
                    Change::SetControllers(vec![p.did]),
                ]),
                p.did,
                frag("key-1"),
                p.key("key-1"),
            )
            .unwrap(),
        ),
        Transaction::Trust(
            TrustTx::signed(
                p.did,
                1,
                TrustOp::DefineType(kyc_type()),
                frag("key-1"),
                p.key("key-1"),
            )
            .unwrap(),
        ),
        Transaction::Credential(
            CredentialTx::signed(
                p.did,
                1,
                CredentialOp::Revoke {
                    leaves: vec![1, 5, 9],
                },
                frag("key-1"),
                p.key("key-1"),
            )
            .unwrap(),
        ),
    ];
    for tx in &txs {
        let bytes = tx.encode().unwrap();
        assert_eq!(&Transaction::decode(&bytes).unwrap(), tx);
        for cut in 0..bytes.len() {
            assert!(Transaction::decode(&bytes[..cut]).is_err());
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(Transaction::decode(&extra).is_err());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            let _ = Transaction::decode(&b);
        }
    }
    // Non-canonical and zero commitments, unsorted leaves.
    let bad_commitment = {
        let mut b = Transaction::Credential(
            CredentialTx::signed(
                p.did,
                1,
                CredentialOp::Issue {
                    credential_type: "KycCredential".into(),
                    commitments: vec![Fr::from(1u64)],
                },
                frag("key-1"),
                p.key("key-1"),
            )
            .unwrap(),
        )
        .encode()
        .unwrap();
        let at = b.len() - 64 - 1 - 5 - 32;
        b[at..at + 32].copy_from_slice(&[0xff; 32]);
        b
    };
    assert!(Transaction::decode(&bad_commitment).is_err());
    let unsorted = Transaction::Credential(
        CredentialTx::signed(
            p.did,
            1,
            CredentialOp::Revoke { leaves: vec![3, 2] },
            frag("key-1"),
            p.key("key-1"),
        )
        .unwrap(),
    )
    .encode()
    .unwrap();
    assert!(Transaction::decode(&unsorted).is_err());
}

#[test]
fn malformed_presentations_and_requests_are_refused() {
    let types = |n: &str| (n == "KycCredential").then(kyc_type);
    let req = request("scope");
    let good_req = req.to_json();
    assert_eq!(
        PresentationRequest::from_json(&good_req, &types).unwrap(),
        req
    );
    for (k, v) in [
        ("nonce", json!("zz")),
        ("scope", json!("")),
        ("scope", json!("x".repeat(500))),
        ("credentialType", json!("Unknown")),
        ("disclose", json!(["nope"])),
        ("disclose", json!(["country", "country"])),
        ("issuers", json!(["did:web:x"])),
        ("predicate", json!({"attribute": "country", "max": "x"})),
        (
            "predicate",
            json!({"attribute": "birth_date", "min": "2020-01-01", "max": "2000-01-01"}),
        ),
    ] {
        let mut r = good_req.clone();
        r[k] = v;
        assert!(PresentationRequest::from_json(&r, &types).is_err(), "{k}");
    }
    let junk = [
        json!(null),
        json!({}),
        json!({"type": ["VerifiablePresentation"]}),
        json!({"type": ["VerifiablePresentation"], "verifiableCredential": [{}], "proof": {}}),
    ];
    for j in junk {
        assert!(matches!(
            Presentation::from_json(&j, &types),
            Err(PresentationError::Malformed { .. })
        ));
    }
}

/// The regulator hook: an accreditation naming a regulator key makes every
/// presentation carry the holder commitment encrypted to it; the regulator
/// recovers it, the verifier cannot, and presentations without it, with a
/// tampered ciphertext or from the plain circuit are refused.
#[test]
fn regulator_hook_lets_the_regulator_identify_the_holder() {
    let mut w = World::new();
    let issuer = w.new_party();
    let regulator = HookSecret::from_wide(&[7; 64]);
    let y = regulator.public();
    // An invalid key is refused on the ledger.
    assert_eq!(
        w.trust(TrustOp::AccreditWithHook {
            issuer: issuer.did,
            credential_type: "KycCredential".into(),
            regulator_key: [0xff; 32],
        }),
        Err(IdentityError::InvalidHookKey)
    );
    w.trust(TrustOp::AccreditWithHook {
        issuer: issuer.did,
        credential_type: "KycCredential".into(),
        regulator_key: y.to_bytes(),
    })
    .unwrap();
    let ty = kyc_type();
    let s = secret();
    let cred = w.issue(&issuer, s, "1990-05-01");
    let hooked_pk =
        pinned_keys::proving_key_for(Circuit::Hooked, pinned_keys::default_dir().as_deref())
            .unwrap();

    let req = request("bank-a/onboarding");
    let mut holder = w.holder(&hooked_pk, s, &cred, &ty);
    holder.hook = Some(y);
    let p = holder.present(&req, "now").unwrap();
    let c = p
        .regulator_ciphertext
        .expect("a hooked presentation carries the ciphertext");
    // Round trip through JSON.
    let parsed =
        Presentation::from_json(&p.to_json(), &|n| (n == "KycCredential").then(kyc_type)).unwrap();
    assert_eq!(parsed, p);
    let v = w.verifier().check(&parsed, &req).unwrap();
    assert_eq!(v.regulator_ciphertext, Some(c));
    assert_eq!(
        regulator.decrypt(&c),
        veil_circuits::presentation::holder_commitment(s)
    );
    // Another key decrypts to noise.
    assert_ne!(
        HookSecret::from_wide(&[8; 64]).decrypt(&c),
        veil_circuits::presentation::holder_commitment(s)
    );

    // Tampered ciphertext: c₂, then C₁.
    let mut t = p.clone();
    t.regulator_ciphertext = Some(veil_circuits::hook::Ciphertext {
        c2: c.c2 + Fr::from(1u64),
        ..c
    });
    assert_eq!(
        w.verifier().check(&t, &req),
        Err(PresentationError::InvalidProof)
    );
    let mut t = p.clone();
    t.regulator_ciphertext = Some(veil_circuits::hook::Ciphertext { c1: y.0, ..c });
    assert_eq!(
        w.verifier().check(&t, &req),
        Err(PresentationError::InvalidProof)
    );
    // Stripped ciphertext.
    let mut t = p.clone();
    t.regulator_ciphertext = None;
    assert!(matches!(
        w.verifier().check(&t, &req),
        Err(PresentationError::HookMismatch(_))
    ));
    // A plain-circuit presentation for a hooked accreditation.
    let pk = proving_key();
    let plain = w.holder(&pk, s, &cred, &ty).present(&req, "now").unwrap();
    assert!(plain.regulator_ciphertext.is_none());
    assert!(matches!(
        w.verifier().check(&plain, &req),
        Err(PresentationError::HookMismatch(_))
    ));
    // Batch: the hooked one verifies alongside a refused one.
    let results = w
        .verifier()
        .check_many(&[(p.clone(), req.clone()), (plain, req.clone())]);
    assert!(results[0].is_ok());
    assert!(results[1].is_err());
}
