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
use veil_vault::{encrypt, unwrap_key, DocContext, DocumentKey, Metadata};

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
        let (nonce, ctx) = owner.new_version(doc, &mut self.rng);
        let key = DocumentKey::generate(&mut self.rng);
        let manifest = encrypt(&key, &ctx, &mut self.rng, text, 1 << 30, |_, _| Ok(())).unwrap();
        let grantees: Vec<_> = grantees
            .iter()
            .map(|g| (g.key(), *g.address().view_key()))
            .collect();
        let plan = VersionPlan {
            doc,
            grantees: &grantees,
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
    let wb = records::wrap(&w.ledger, &ctx.id, 1, &b.key())
        .unwrap()
        .unwrap();
    assert_eq!(
        unwrap_key(&wb, b.view_secret(), &ctx).unwrap().expose(),
        key.expose()
    );
    assert!(unwrap_key(&wb, c.view_secret(), &ctx).is_err());
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
        let wrap = veil_vault::wrap_key(&key, to.address().view_key(), &ctx, &mut w.rng).unwrap();
        who.sign(
            VaultOp::Grant {
                doc: ctx.id,
                version: 1,
                party: to.key(),
                wrap,
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
