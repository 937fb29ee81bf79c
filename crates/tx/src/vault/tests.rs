//! The vault's rules against an in-memory ledger: who may put, grant,
//! revoke, open and purge; replays; bad proofs and signatures; hostile
//! bytes.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use veil_codec::Encode;
use veil_crypto::keys::AccountKeys;
use veil_crypto::point::Point;
use veil_crypto::regulator_ciphertext::RegulatorSecretKey;
use veil_crypto::signing::{Signature, SigningKey};
use veil_identity::did::{DidDocument, Fragment, Method, ASSERTION, AUTHENTICATION, KEY_AGREEMENT};
use veil_identity::keys::PublicKey;
use veil_identity::state::DidRecord;
use veil_identity::DidId;
use veil_vault::{encrypt, unwrap_key, DocContext, DocumentKey, Metadata, PartyWrap, Recipient};

use super::party::{Party, VersionPlan};
use super::*;
use crate::ledger_view::MemoryLedger;
use crate::registry::{IdentityRecord, Jurisdiction, Slot};
use crate::{Transaction, TxError};

struct World {
    ledger: MemoryLedger,
    rng: ChaCha20Rng,
    regulator: RegulatorSecretKey,
    regulator_id: SigningKey,
}

fn world() -> World {
    let regulator = RegulatorSecretKey::from_seed(&[7; 32]);
    let regulator_id = SigningKey::from_seed(&[8; 32]);
    let mut ledger = MemoryLedger::new(*regulator.public());
    let j = Jurisdiction::new("cn").unwrap();
    ledger.add_regulator_slot(
        j.clone(),
        Slot {
            epoch: 0,
            version: 0,
        },
        *regulator.public(),
    );
    ledger.add_regulator_identity(
        *regulator_id.public(),
        IdentityRecord {
            label: "PBoC".into(),
            jurisdictions: vec![j],
            sequence: 0,
        },
    );
    World {
        ledger,
        rng: ChaCha20Rng::seed_from_u64(1),
        regulator,
        regulator_id,
    }
}

fn party(seed: u8) -> Party {
    Party::from_account(&AccountKeys::from_seed(&[seed; 32]))
}

impl World {
    /// Checks and applies; returns the refusal if any.
    fn run(&mut self, tx: &VaultTx) -> Result<(), TxError> {
        // Through the transaction codec, as a node receives it.
        let bytes = Transaction::Vault(tx.clone()).encode().unwrap();
        let Transaction::Vault(tx) = Transaction::decode(&bytes).unwrap() else {
            panic!("not a vault record");
        };
        tx.check_stateless()?;
        let writes = tx.check_stateful(&self.ledger)?;
        self.ledger.apply_vault(writes);
        Ok(())
    }

    /// Builds a record with the world's generator, then runs it.
    fn run_with(&mut self, f: impl FnOnce(&mut ChaCha20Rng) -> VaultTx) -> Result<(), TxError> {
        let tx = f(&mut self.rng);
        self.run(&tx)
    }

    fn enrol(&mut self, p: &Party) {
        let tx = p.enrol(&mut self.rng).unwrap();
        self.run(&tx).unwrap();
    }

    /// Puts `text` as a new version; returns the context and key.
    fn put(
        &mut self,
        owner: &Party,
        doc: Option<(DocId, u32)>,
        grantees: &[&Party],
        text: &[u8],
    ) -> Result<(DocContext, DocumentKey), TxError> {
        let grantees: Vec<_> = grantees.iter().map(|g| (g.key(), g.recipient())).collect();
        self.put_to(owner, doc, &grantees, text)
    }

    /// Puts `text` wrapped to `grantees` as they are given.
    fn put_to(
        &mut self,
        owner: &Party,
        doc: Option<(DocId, u32)>,
        grantees: &[(VerifyingKey, Recipient)],
        text: &[u8],
    ) -> Result<(DocContext, DocumentKey), TxError> {
        let (nonce, ctx) = owner.new_version(doc, &mut self.rng);
        let key = DocumentKey::generate(&mut self.rng);
        let manifest = encrypt(&key, &ctx, &mut self.rng, text, 1 << 30, |_, _| Ok(())).unwrap();
        let plan = VersionPlan {
            doc,
            grantees,
            regulator: *self.regulator.public(),
            metadata: Metadata {
                name: "invoice-2026-118.pdf".into(),
                media_type: "application/pdf".into(),
            },
        };
        let tx = owner
            .put(nonce, &ctx, &key, &manifest, &plan, &mut self.rng)
            .unwrap();
        self.run(&tx)?;
        Ok((ctx, key))
    }

    fn open(&mut self, who: &Party, ctx: &DocContext) -> Result<(), TxError> {
        let tx = who
            .open(ctx.id, ctx.version, u64::MAX, None, &mut self.rng)
            .unwrap();
        self.run(&tx)
    }
}

fn vault_err(r: Result<(), TxError>) -> VaultTxError {
    match r {
        Err(TxError::Vault(e)) => e,
        other => panic!("expected a vault refusal, got {other:?}"),
    }
}

#[test]
fn owner_grantee_regulator_open_and_others_do_not() {
    let mut w = world();
    let (a, b, c) = (party(1), party(2), party(3));
    for p in [&a, &b, &c] {
        w.enrol(p);
    }
    let (ctx, key) = w.put(&a, None, &[&b], b"invoice").unwrap();
    w.open(&a, &ctx).unwrap();
    w.open(&b, &ctx).unwrap();
    assert_eq!(vault_err(w.open(&c, &ctx)), VaultTxError::Forbidden);
    // The regulator opens with its identity key.
    let reg = VaultTx::sign(
        &w.regulator_id,
        [9; 16],
        VaultOp::Open {
            doc: ctx.id,
            version: 1,
            expires_ms: u64::MAX,
            capability: None,
        },
    )
    .unwrap();
    w.run(&reg).unwrap();
    // Each wrap opens for its party only; the regulator's with its key.
    let v = records::version(&w.ledger, &ctx.id, 1).unwrap().unwrap();
    let Some(PartyWrap::View(wb)) = records::wrap(&w.ledger, &ctx.id, 1, &b.key()).unwrap() else {
        panic!("B's wrap is to its view key");
    };
    assert_eq!(
        unwrap_key(&wb, b.view_secret().unwrap(), &ctx)
            .unwrap()
            .expose(),
        key.expose()
    );
    assert!(unwrap_key(&wb, c.view_secret().unwrap(), &ctx).is_err());
    let s = w.regulator.diffie_hellman(&v.regulator_wrap.ephemeral);
    let k =
        veil_vault::unwrap_key_shared(&v.regulator_wrap, &s, w.regulator.public().as_point(), &ctx)
            .unwrap();
    assert_eq!(k.expose(), key.expose());
    // C, holding the key (a payee), opens with a capability signature.
    let cap = c.open(ctx.id, 1, u64::MAX, Some(&key), &mut w.rng).unwrap();
    // The actor's signature covers the capability signature: stripping
    // or changing it (a new hash, the same nonce) breaks the record.
    for tamper in [None, Some(veil_crypto::signing::Signature([7; 64]))] {
        let mut t = cap.clone();
        if let VaultOp::Open { capability, .. } = &mut t.op {
            *capability = tamper;
        }
        assert!(t.check_stateless().is_err());
    }
    w.run(&cap).unwrap();
    // A wrong capability key is refused.
    let wrong = DocumentKey::from_bytes(&[1; 32]);
    let bad = c
        .open(ctx.id, 1, u64::MAX, Some(&wrong), &mut w.rng)
        .unwrap();
    assert_eq!(vault_err(w.run(&bad)), VaultTxError::Signature);
}

#[test]
fn revoke_leaves_the_party_out_of_the_next_version() {
    let mut w = world();
    let (a, b, c) = (party(1), party(2), party(3));
    for p in [&a, &b, &c] {
        w.enrol(p);
    }
    let (ctx, _) = w.put(&a, None, &[&b, &c], b"v1").unwrap();
    let revoke = a
        .sign(
            VaultOp::Revoke {
                doc: ctx.id,
                party: b.key(),
            },
            &mut w.rng,
        )
        .unwrap();
    w.run(&revoke).unwrap();
    assert_eq!(vault_err(w.open(&b, &ctx)), VaultTxError::Forbidden);
    w.open(&c, &ctx).unwrap();
    // Revoking again: not a grantee.
    let again = a
        .sign(
            VaultOp::Revoke {
                doc: ctx.id,
                party: b.key(),
            },
            &mut w.rng,
        )
        .unwrap();
    assert_eq!(vault_err(w.run(&again)), VaultTxError::NotGrantee);
    // The rotated version is wrapped for C only.
    let (ctx2, _) = w.put(&a, Some((ctx.id, 1)), &[&c], b"v2").unwrap();
    assert_eq!(ctx2.version, 2);
    assert!(records::wrap(&w.ledger, &ctx.id, 2, &b.key())
        .unwrap()
        .is_none());
    assert_eq!(vault_err(w.open(&b, &ctx2)), VaultTxError::Forbidden);
    w.open(&c, &ctx2).unwrap();
    // Only the owner puts versions, in order.
    assert_eq!(
        vault_err(w.put(&c, Some((ctx.id, 2)), &[], b"x").map(|_| ())),
        VaultTxError::NotOwner
    );
    assert_eq!(
        vault_err(w.put(&a, Some((ctx.id, 5)), &[], b"x").map(|_| ())),
        VaultTxError::Version { expected: 3 }
    );
}

#[test]
fn grants_need_the_owner_an_enrolled_party_and_a_fresh_nonce() {
    let mut w = world();
    let (a, b, c) = (party(1), party(2), party(3));
    w.enrol(&a);
    w.enrol(&b);
    let (ctx, key) = w.put(&a, None, &[], b"doc").unwrap();
    let grant = |w: &mut World, who: &Party, to: &Party| {
        let wrap = PartyWrap::View(
            veil_vault::wrap_key(&key, to.address().unwrap().view_key(), &ctx, &mut w.rng).unwrap(),
        );
        who.sign(
            VaultOp::Grant {
                doc: ctx.id,
                version: 1,
                party: to.key(),
                wrap: Box::new(wrap),
            },
            &mut w.rng,
        )
        .unwrap()
    };
    // C is not enrolled.
    let g = grant(&mut w, &a, &c);
    assert!(matches!(
        vault_err(w.run(&g)),
        VaultTxError::UnknownParty(_)
    ));
    // B may not grant A's document.
    w.enrol(&c);
    let g = grant(&mut w, &b, &c);
    assert_eq!(vault_err(w.run(&g)), VaultTxError::NotOwner);
    let g = grant(&mut w, &a, &b);
    w.run(&g).unwrap();
    // The same record again: a replay.
    assert_eq!(vault_err(w.run(&g)), VaultTxError::Replay);
    // A new grant to the same party of the same version.
    let g = grant(&mut w, &a, &b);
    assert_eq!(vault_err(w.run(&g)), VaultTxError::AlreadyGranted);
    w.open(&b, &ctx).unwrap();
}

#[test]
fn puts_refuse_unknown_grantees_foreign_ids_and_stale_regulator_keys() {
    let mut w = world();
    let (a, b) = (party(1), party(2));
    // Not enrolled.
    assert!(matches!(
        vault_err(w.put(&a, None, &[], b"x").map(|_| ())),
        VaultTxError::UnknownParty(_)
    ));
    w.enrol(&a);
    assert!(matches!(
        vault_err(w.put(&a, None, &[&b], b"x").map(|_| ())),
        VaultTxError::UnknownParty(_)
    ));
    // A document id not derived from the owner and nonce.
    let (nonce, mut ctx) = a.new_version(None, &mut w.rng);
    ctx.id = [5; 32];
    let key = DocumentKey::generate(&mut w.rng);
    let m = encrypt(&key, &ctx, &mut w.rng, &b"x"[..], 1 << 20, |_, _| Ok(())).unwrap();
    let plan = VersionPlan {
        doc: None,
        grantees: &[],
        regulator: *w.regulator.public(),
        metadata: Metadata {
            name: String::new(),
            media_type: String::new(),
        },
    };
    let tx = a.put(nonce, &ctx, &key, &m, &plan, &mut w.rng).unwrap();
    assert!(matches!(
        w.run(&tx),
        Err(TxError::Vault(VaultTxError::DocId))
    ));
    // A regulator key not in force.
    let (nonce, ctx) = a.new_version(None, &mut w.rng);
    let other = RegulatorSecretKey::from_seed(&[99; 32]);
    let plan = VersionPlan {
        regulator: *other.public(),
        ..plan
    };
    let m = encrypt(&key, &ctx, &mut w.rng, &b"x"[..], 1 << 20, |_, _| Ok(())).unwrap();
    let tx = a.put(nonce, &ctx, &key, &m, &plan, &mut w.rng).unwrap();
    assert_eq!(vault_err(w.run(&tx)), VaultTxError::RegulatorKey);
}

#[test]
fn enrolment_proves_the_view_key_and_is_unique() {
    let mut w = world();
    let (a, b) = (party(1), party(2));
    w.enrol(&a);
    // Twice: refused.
    let again = a.enrol(&mut w.rng).unwrap();
    assert_eq!(vault_err(w.run(&again)), VaultTxError::AlreadyEnrolled);
    // B claims A's address with B's key: its proof cannot verify (B does
    // not know A's view key; reusing A's proof fails, bound to A's key).
    let a_tx = a.enrol(&mut w.rng).unwrap();
    let VaultOp::Enrol(e) = a_tx.op else {
        unreachable!()
    };
    let stolen = b.sign(VaultOp::Enrol(e), &mut w.rng).unwrap();
    assert_eq!(vault_err(w.run(&stolen)), VaultTxError::EnrolProof);
}

#[test]
fn purge_deletes_every_version_and_wrap_and_leaves_a_tombstone() {
    let mut w = world();
    let (a, b) = (party(1), party(2));
    w.enrol(&a);
    w.enrol(&b);
    let (ctx, _) = w.put(&a, None, &[&b], b"v1").unwrap();
    w.put(&a, Some((ctx.id, 1)), &[&b], b"v2").unwrap();
    let purge = |w: &mut World, who: &Party| {
        who.sign(VaultOp::Purge { doc: ctx.id }, &mut w.rng)
            .unwrap()
    };
    let p = purge(&mut w, &b);
    assert_eq!(vault_err(w.run(&p)), VaultTxError::NotOwner);
    let p = purge(&mut w, &a);
    w.run(&p).unwrap();
    for v in 1..=2 {
        assert!(records::version(&w.ledger, &ctx.id, v).unwrap().is_none());
        for p in [&a, &b] {
            assert!(records::wrap(&w.ledger, &ctx.id, v, &p.key())
                .unwrap()
                .is_none());
        }
    }
    let d = records::doc(&w.ledger, &ctx.id).unwrap().unwrap();
    assert!(d.purged && d.grantees.is_empty());
    assert_eq!(vault_err(w.open(&a, &ctx)), VaultTxError::Purged);
    let p = purge(&mut w, &a);
    assert_eq!(vault_err(w.run(&p)), VaultTxError::Purged);
}

#[test]
fn every_signature_and_proof_field_is_checked() {
    let mut w = world();
    let a = party(1);
    w.enrol(&a);
    let (ctx, _) = w.put(&a, None, &[], b"doc").unwrap();
    let good = a.open(ctx.id, 1, u64::MAX, None, &mut w.rng).unwrap();
    // Flip each byte of the signature, and the nonce: refused.
    for i in [0usize, 31, 32, 63] {
        let mut t = good.clone();
        t.signature.0[i] ^= 1;
        assert!(matches!(
            w.run(&t),
            Err(TxError::Vault(VaultTxError::Signature)) | Err(TxError::Malformed(_))
        ));
    }
    let mut t = good.clone();
    t.nonce[0] ^= 1;
    assert_eq!(vault_err(w.run(&t)), VaultTxError::Signature);
    let mut t = good.clone();
    t.signature = Signature([0; 64]);
    assert!(w.run(&t).is_err());
    // An enrolment whose S is changed.
    let b = party(2);
    let mut e = b.enrol(&mut w.rng).unwrap();
    if let VaultOp::Enrol(en) = &mut e.op {
        en.s = Point::from_point(veil_crypto::generators::mul_g(
            &curve25519_dalek::Scalar::ONE,
        ));
    }
    let e = b.sign(e.op, &mut w.rng).unwrap();
    assert_eq!(vault_err(w.run(&e)), VaultTxError::EnrolProof);
}

#[test]
fn hostile_bytes_never_panic() {
    let mut w = world();
    let a = party(1);
    w.enrol(&a);
    let (nonce, ctx) = a.new_version(None, &mut w.rng);
    let key = DocumentKey::generate(&mut w.rng);
    let m = encrypt(&key, &ctx, &mut w.rng, &b"x"[..], 1 << 20, |_, _| Ok(())).unwrap();
    let plan = VersionPlan {
        doc: None,
        grantees: &[],
        regulator: *w.regulator.public(),
        metadata: Metadata {
            name: "a".into(),
            media_type: "b".into(),
        },
    };
    let put = a.put(nonce, &ctx, &key, &m, &plan, &mut w.rng).unwrap();
    let bytes = Transaction::Vault(put).encode().unwrap();
    // Every truncation and every single-byte change decodes or fails
    // cleanly.
    for n in 0..bytes.len() {
        let _ = Transaction::decode(&bytes[..n]);
    }
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        if let Ok(Transaction::Vault(v)) = Transaction::decode(&b) {
            let _ = v.check_stateless();
        }
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(Transaction::decode(&long).is_err());
    let unknown_op = {
        let mut b = bytes.clone();
        b[2 + 32 + 16] = 77;
        b
    };
    assert!(Transaction::decode(&unknown_op).is_err());
}

#[test]
fn records_round_trip() {
    let d = DocRecord {
        owner: *SigningKey::from_seed(&[1; 32]).public(),
        latest: 3,
        purged: false,
        grantees: vec![*SigningKey::from_seed(&[2; 32]).public()],
    };
    assert_eq!(DocRecord::decode(&d.encode().unwrap()).unwrap(), d);
}

/// A DID holder: its Ed25519 authentication key (the vault actor) and its
/// X25519 key-agreement secret, with the document the ledger holds.
struct DidHolder {
    signer: SigningKey,
    agreement: veil_crypto::secret::Secret<[u8; 32]>,
    did: DidId,
}

impl DidHolder {
    fn new(seed: u8) -> Self {
        let signer = SigningKey::from_seed(&[seed; 32]);
        let did = DidId::derive(&PublicKey::Ed25519(*signer.public()));
        Self {
            signer,
            agreement: veil_crypto::secret::Secret::new([seed ^ 0x5a; 32]),
            did,
        }
    }

    fn x25519(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*self.agreement.expose()))
            .to_bytes()
    }

    /// The DID document: `#key-1` (authentication, assertion) with
    /// `auth`'s key, `#agree-1` (keyAgreement) with this holder's X25519
    /// key.
    fn record(&self, auth: &SigningKey, deactivated: bool) -> DidRecord {
        let frag = |s: &str| Fragment::new(s).unwrap();
        DidRecord {
            document: DidDocument {
                controllers: vec![],
                methods: vec![
                    Method {
                        fragment: frag("key-1"),
                        key: PublicKey::Ed25519(*auth.public()),
                        relationships: AUTHENTICATION | ASSERTION,
                    },
                    Method {
                        fragment: frag("agree-1"),
                        key: PublicKey::X25519(self.x25519()),
                        relationships: KEY_AGREEMENT,
                    },
                ],
                services: vec![],
            },
            version: 1,
            created_ms: 0,
            updated_ms: 0,
            deactivated,
        }
    }

    fn enrol_tx(&self, auth: &str, agreement: &str, rng: &mut ChaCha20Rng) -> VaultTx {
        let mut nonce = [0u8; 16];
        rand::RngCore::fill_bytes(rng, &mut nonce);
        VaultTx::sign(
            &self.signer,
            nonce,
            VaultOp::EnrolDid {
                did: self.did,
                authentication: Fragment::new(auth).unwrap(),
                agreement: Fragment::new(agreement).unwrap(),
            },
        )
        .unwrap()
    }

    fn open_tx(&self, ctx: &DocContext, rng: &mut ChaCha20Rng) -> VaultTx {
        let mut nonce = [0u8; 16];
        rand::RngCore::fill_bytes(rng, &mut nonce);
        VaultTx::sign(
            &self.signer,
            nonce,
            VaultOp::Open {
                doc: ctx.id,
                version: ctx.version,
                expires_ms: u64::MAX,
                capability: None,
            },
        )
        .unwrap()
    }
}

#[test]
fn did_parties_enrol_against_their_did_and_open_with_their_agreement_key() {
    let mut w = world();
    let (a, b) = (party(1), party(2));
    w.enrol(&a);
    w.enrol(&b);
    let d = DidHolder::new(40);

    // No DID on the ledger yet.
    let tx = d.enrol_tx("key-1", "agree-1", &mut w.rng);
    assert!(
        matches!(vault_err(w.run(&tx)), VaultTxError::DidParty(m) if m.contains("no such DID"))
    );
    w.ledger.set_did(d.did, d.record(&d.signer, false));
    // The fragments swapped: the agreement key cannot authenticate, the
    // Ed25519 key is no agreement key; a fragment the DID lacks.
    for (auth, agree) in [
        ("agree-1", "key-1"),
        ("key-1", "key-1"),
        ("key-2", "agree-1"),
    ] {
        let tx = d.enrol_tx(auth, agree, &mut w.rng);
        assert!(
            matches!(vault_err(w.run(&tx)), VaultTxError::DidParty(_)),
            "{auth} / {agree}"
        );
    }
    // Someone else's key naming this DID: not its authentication key.
    let other = DidHolder {
        did: d.did,
        ..DidHolder::new(41)
    };
    let tx = other.enrol_tx("key-1", "agree-1", &mut w.rng);
    assert!(matches!(vault_err(w.run(&tx)), VaultTxError::DidParty(_)));
    w.run_with(|rng| d.enrol_tx("key-1", "agree-1", rng))
        .unwrap();
    // Once per DID and per key; a wallet party cannot also enrol the key.
    let again = d.enrol_tx("key-1", "agree-1", &mut w.rng);
    assert_eq!(vault_err(w.run(&again)), VaultTxError::AlreadyEnrolled);
    assert!(matches!(
        records::enrolled(&w.ledger, d.signer.public()).unwrap(),
        Some(Enrolled::Did(r)) if r.did == d.did
    ));
    assert_eq!(
        records::party_of_did(&w.ledger, &d.did),
        Some(*d.signer.public())
    );

    // A wrap of the wrong kind for either party is refused.
    let wrong = [(*d.signer.public(), b.recipient())];
    assert!(matches!(
        vault_err(w.put_to(&a, None, &wrong, b"x").map(|_| ())),
        VaultTxError::Wraps(_)
    ));
    let wrong = [(b.key(), Recipient::Agreement(d.x25519()))];
    assert!(matches!(
        vault_err(w.put_to(&a, None, &wrong, b"x").map(|_| ())),
        VaultTxError::Wraps(_)
    ));

    // A's invoice wrapped to the DID's X25519 key: the holder opens it.
    let to = [(*d.signer.public(), Recipient::Agreement(d.x25519()))];
    let (ctx, key) = w.put_to(&a, None, &to, b"invoice").unwrap();
    w.run_with(|rng| d.open_tx(&ctx, rng)).unwrap();
    let Some(PartyWrap::Agreement(wrap)) =
        records::wrap(&w.ledger, &ctx.id, 1, d.signer.public()).unwrap()
    else {
        panic!("the DID party's wrap is an X25519 one");
    };
    assert_eq!(
        veil_vault::unwrap_key_x25519(&wrap, &d.agreement, &ctx)
            .unwrap()
            .expose(),
        key.expose()
    );
    assert!(veil_vault::unwrap_key_x25519(&wrap, &DidHolder::new(42).agreement, &ctx).is_err());

    // The DID rotates its authentication key away: the old key opens
    // nothing and is granted nothing.
    let rotated = SigningKey::from_seed(&[43; 32]);
    w.ledger.set_did(d.did, d.record(&rotated, false));
    assert_eq!(
        vault_err(w.run_with(|rng| d.open_tx(&ctx, rng))),
        VaultTxError::Forbidden
    );
    let (ctx2, key2) = w.put(&a, None, &[], b"second").unwrap();
    let grant = |w: &mut World| {
        let wrap =
            veil_vault::wrap_for(&key2, &Recipient::Agreement(d.x25519()), &ctx2, &mut w.rng)
                .unwrap();
        a.sign(
            VaultOp::Grant {
                doc: ctx2.id,
                version: 1,
                party: *d.signer.public(),
                wrap: Box::new(wrap),
            },
            &mut w.rng,
        )
        .unwrap()
    };
    let g = grant(&mut w);
    assert!(matches!(vault_err(w.run(&g)), VaultTxError::DidParty(_)));
    // The rotated-to key may enrol the DID again; the old one stays out.
    let fresh = DidHolder {
        signer: SigningKey::from_seed(&[43; 32]),
        ..DidHolder::new(40)
    };
    w.run_with(|rng| fresh.enrol_tx("key-1", "agree-1", rng))
        .unwrap();
    assert_eq!(
        records::party_of_did(&w.ledger, &d.did),
        Some(*rotated.public())
    );
    assert_eq!(
        vault_err(w.run_with(|rng| d.open_tx(&ctx, rng))),
        VaultTxError::Forbidden
    );
    // While the new key stands, nobody else enrols the DID.
    let tx = d.enrol_tx("key-1", "agree-1", &mut w.rng);
    assert!(matches!(
        vault_err(w.run(&tx)),
        VaultTxError::AlreadyEnrolled | VaultTxError::DidParty(_)
    ));
    // Restored, it opens and is granted again; deactivated, never more.
    w.ledger.set_did(d.did, d.record(&d.signer, false));
    w.run_with(|rng| d.open_tx(&ctx, rng)).unwrap();
    let g = grant(&mut w);
    w.run(&g).unwrap();
    w.ledger.set_did(d.did, d.record(&d.signer, true));
    assert_eq!(
        vault_err(w.run_with(|rng| d.open_tx(&ctx, rng))),
        VaultTxError::Forbidden
    );
    assert_eq!(
        vault_err(w.run_with(|rng| d.open_tx(&DocContext { version: 1, ..ctx2 }, rng))),
        VaultTxError::Forbidden
    );
}

#[test]
fn did_enrolment_round_trips_and_bad_wrap_kinds_do_not_decode() {
    let d = DidHolder::new(50);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let tx = d.enrol_tx("key-1", "agree-1", &mut rng);
    let bytes = Transaction::Vault(tx.clone()).encode().unwrap();
    // wire-format.md: 137 bytes and the fragments' lengths.
    assert_eq!(bytes.len(), 137 + "key-1".len() + "agree-1".len());
    assert_eq!(
        Transaction::decode(&bytes).unwrap(),
        Transaction::Vault(tx.clone())
    );
    // A grant's party wrap: kind byte after version, kind, actor, nonce,
    // op, doc, version and party (119 bytes); 264 bytes in all.
    let ctx = DocContext {
        id: [9; 32],
        version: 1,
    };
    let key = DocumentKey::generate(&mut rng);
    let wrap = veil_vault::wrap_for(&key, &Recipient::Agreement(d.x25519()), &ctx, &mut rng);
    let grant = VaultTx::sign(
        &SigningKey::from_seed(&[51; 32]),
        [0; 16],
        VaultOp::Grant {
            doc: ctx.id,
            version: 1,
            party: *d.signer.public(),
            wrap: Box::new(wrap.unwrap()),
        },
    )
    .unwrap();
    let g = Transaction::Vault(grant).encode().unwrap();
    assert_eq!((g.len(), g[119]), (264, 2));
    for kind in [0u8, 3, 0xff] {
        let mut bad = g.clone();
        bad[119] = kind;
        assert!(Transaction::decode(&bad).is_err(), "wrap kind {kind}");
    }
    assert!(Transaction::decode(&g).is_ok());
    tx.check_stateless().unwrap();
    // A fragment outside [a-z0-9-] does not decode.
    let at = bytes.len() - 64 - 7;
    let mut bad = bytes.clone();
    bad[at] = b'A';
    assert!(Transaction::decode(&bad).is_err());
    let r = DidPartyRecord {
        did: d.did,
        authentication: Fragment::new("key-1").unwrap(),
        agreement: Fragment::new("agree-1").unwrap(),
    };
    assert_eq!(DidPartyRecord::decode(&r.encode().unwrap()).unwrap(), r);
}
