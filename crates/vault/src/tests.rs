use std::collections::HashMap;

use proptest::prelude::*;
use rand_core::OsRng;
use veil_codec::{DecodeExt, Encode};
use veil_crypto::generators::mul_g;
use veil_crypto::point::Point;
use veil_crypto::rng::random_scalar;
use veil_secret::Secret;

use super::*;

const CTX: DocContext = DocContext {
    id: [7u8; 32],
    version: 1,
};

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// Encrypts `plain`, keeping the chunks by hash as a node would.
fn put(
    key: &DocumentKey,
    ctx: &DocContext,
    plain: &[u8],
) -> (Manifest, HashMap<[u8; 32], Vec<u8>>) {
    let mut store = HashMap::new();
    let m = encrypt(key, ctx, &mut OsRng, plain, u64::MAX, |c, bytes| {
        assert!(verify_chunk(c, bytes));
        store.insert(c.hash, bytes.to_vec());
        Ok(())
    })
    .unwrap();
    (m, store)
}

fn get(
    key: &DocumentKey,
    ctx: &DocContext,
    m: &Manifest,
    store: &HashMap<[u8; 32], Vec<u8>>,
) -> Result<Vec<u8>, VaultError> {
    let mut out = Vec::new();
    decrypt(key, ctx, m, |_, c| Ok(store[&c.hash].clone()), &mut out)?;
    Ok(out)
}

#[test]
fn round_trips_at_every_chunk_boundary() {
    let key = DocumentKey::generate(&mut OsRng);
    for len in [
        0,
        1,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        2 * CHUNK_SIZE + 5,
    ] {
        let plain = data(len);
        let (m, store) = put(&key, &CTX, &plain);
        assert_eq!(m.chunks.len(), len.div_ceil(CHUNK_SIZE).max(1), "{len}");
        assert_eq!(m.plaintext_len, u64::try_from(len).unwrap());
        assert_eq!(
            m.ciphertext_len(),
            m.plaintext_len + 16 * u64::try_from(m.chunks.len()).unwrap()
        );
        m.check().unwrap();
        assert_eq!(get(&key, &CTX, &m, &store).unwrap(), plain, "{len}");
        // The manifest survives its encoding, and so does the address.
        let back = Manifest::decode(&m.encode().unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.address(), m.address());
    }
}

#[test]
fn the_same_plaintext_twice_has_two_addresses() {
    let key = DocumentKey::generate(&mut OsRng);
    let (a, _) = put(&key, &CTX, b"invoice");
    let (b, _) = put(&key, &CTX, b"invoice");
    assert_ne!(
        a.address(),
        b.address(),
        "fresh nonce prefix per encryption"
    );
}

#[test]
fn refuses_wrong_key_other_document_and_tampering() {
    let key = DocumentKey::generate(&mut OsRng);
    let plain = data(2 * CHUNK_SIZE + 100);
    let (m, store) = put(&key, &CTX, &plain);

    let other = DocumentKey::generate(&mut OsRng);
    assert!(matches!(
        get(&other, &CTX, &m, &store),
        Err(VaultError::Decrypt { index: 0 })
    ));
    for ctx in [
        DocContext {
            id: [8; 32],
            version: 1,
        },
        DocContext {
            id: [7; 32],
            version: 2,
        },
    ] {
        assert!(matches!(
            get(&key, &ctx, &m, &store),
            Err(VaultError::Decrypt { index: 0 })
        ));
    }

    // A flipped bit: the chunk no longer matches its address.
    let mut bad = store.clone();
    bad.get_mut(&m.chunks[1].hash).unwrap()[5] ^= 1;
    assert!(matches!(
        get(&key, &CTX, &m, &bad),
        Err(VaultError::ChunkHash { index: 1 })
    ));

    // Reordered chunks, with a manifest rewritten to match them: STREAM's
    // counter refuses them.
    let mut swapped = m.clone();
    swapped.chunks.swap(0, 1);
    assert!(matches!(
        get(&key, &CTX, &swapped, &store),
        Err(VaultError::Decrypt { index: 0 })
    ));

    // Truncated: the first two chunks presented as the whole document.
    let mut cut = m.clone();
    cut.chunks.truncate(2);
    cut.plaintext_len = 2 * u64::try_from(CHUNK_SIZE).unwrap() - 1;
    assert!(
        cut.check().is_err(),
        "a full chunk where a shorter last one belongs"
    );
    let mut cut = m.clone();
    cut.chunks.truncate(2);
    cut.plaintext_len = 2 * u64::try_from(CHUNK_SIZE).unwrap();
    cut.check().unwrap();
    assert!(
        matches!(
            get(&key, &CTX, &cut, &store),
            Err(VaultError::Decrypt { index: 1 })
        ),
        "a middle chunk is not a last chunk"
    );

    // A chunk of another document under the same key.
    let (m2, store2) = put(&key, &CTX, &data(CHUNK_SIZE + 1));
    let mut mixed = m.clone();
    mixed.chunks[0] = m2.chunks[0];
    let mut both = store.clone();
    both.extend(store2);
    assert!(matches!(
        get(&key, &CTX, &mixed, &both),
        Err(VaultError::Decrypt { index: 0 })
    ));

    // A manifest whose length disagrees with its chunks.
    let mut long = m.clone();
    long.plaintext_len += 1;
    assert!(matches!(
        get(&key, &CTX, &long, &store),
        Err(VaultError::Manifest(_))
    ));
}

#[test]
fn refuses_a_document_over_the_limit() {
    let key = DocumentKey::generate(&mut OsRng);
    let mut seen = 0;
    let r = encrypt(
        &key,
        &CTX,
        &mut OsRng,
        &data(CHUNK_SIZE * 3)[..],
        u64::try_from(CHUNK_SIZE * 2).unwrap(),
        |_, _| {
            seen += 1;
            Ok(())
        },
    );
    assert!(matches!(r, Err(VaultError::TooLarge { .. })));
    assert!(seen <= 2);
    let r = encrypt(&key, &CTX, &mut OsRng, &data(10)[..], 9, |_, _| Ok(()));
    assert!(matches!(r, Err(VaultError::TooLarge { max: 9 })));
}

#[test]
fn wraps_open_only_for_their_key_and_document() {
    let key = DocumentKey::generate(&mut OsRng);
    let x = Secret::new(random_scalar(&mut OsRng));
    let p = Point::from_point(mul_g(x.expose()));
    let w = wrap_key(&key, &p, &CTX, &mut OsRng).unwrap();
    assert_eq!(unwrap_key(&w, &x, &CTX).unwrap().expose(), key.expose());
    let back = WrappedKey::decode(&w.encode().unwrap()).unwrap();
    assert_eq!(back, w);

    let y = Secret::new(random_scalar(&mut OsRng));
    assert!(matches!(unwrap_key(&w, &y, &CTX), Err(VaultError::Unwrap)));
    let next = DocContext { version: 2, ..CTX };
    assert!(matches!(unwrap_key(&w, &x, &next), Err(VaultError::Unwrap)));
    let mut bad = w.clone();
    bad.ciphertext[0] ^= 1;
    assert!(matches!(
        unwrap_key(&bad, &x, &CTX),
        Err(VaultError::Unwrap)
    ));
    let mut moved = w.clone();
    moved.ephemeral = Point::from_point(mul_g(&random_scalar(&mut OsRng)));
    assert!(matches!(
        unwrap_key(&moved, &x, &CTX),
        Err(VaultError::Unwrap)
    ));
    assert!(matches!(
        wrap_key(&key, &Point::identity(), &CTX, &mut OsRng),
        Err(VaultError::Key)
    ));
    assert!(format!("{key:?}").contains("redacted"));
}

#[test]
fn x25519_wraps_open_only_for_their_key_and_document() {
    let key = DocumentKey::generate(&mut OsRng);
    let x = Secret::new([0x42u8; 32]);
    let u = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*x.expose()));
    let w = wrap_key_x25519(&key, u.as_bytes(), &CTX, &mut OsRng).unwrap();
    assert_eq!(
        unwrap_key_x25519(&w, &x, &CTX).unwrap().expose(),
        key.expose()
    );

    // Through the party-wrap encoding: kind 2, then 80 bytes.
    let pw = PartyWrap::Agreement(w.clone());
    let bytes = pw.encode().unwrap();
    assert_eq!((bytes.len(), bytes[0]), (81, 2));
    assert_eq!(PartyWrap::decode(&bytes).unwrap(), pw);
    let mut unknown = bytes.clone();
    unknown[0] = 3;
    assert!(PartyWrap::decode(&unknown).is_err());
    assert!(PartyWrap::decode(&bytes[..80]).is_err());

    let y = Secret::new([0x43u8; 32]);
    assert!(matches!(
        unwrap_key_x25519(&w, &y, &CTX),
        Err(VaultError::Unwrap)
    ));
    let next = DocContext { version: 2, ..CTX };
    assert!(matches!(
        unwrap_key_x25519(&w, &x, &next),
        Err(VaultError::Unwrap)
    ));
    let mut bad = w.clone();
    bad.ciphertext[47] ^= 1;
    assert!(matches!(
        unwrap_key_x25519(&bad, &x, &CTX),
        Err(VaultError::Unwrap)
    ));
    // A view-key wrap's construction does not open as an X25519 one.
    let mut moved = w.clone();
    moved.ephemeral[0] ^= 1;
    assert!(matches!(
        unwrap_key_x25519(&moved, &x, &CTX),
        Err(VaultError::Unwrap)
    ));

    // Recipients and ephemeral keys of small order (RFC 7748 §6.1: 0 and
    // 1 are such u-coordinates) give an all-zero secret: refused.
    let mut one = [0u8; 32];
    one[0] = 1;
    for low in [[0u8; 32], one] {
        assert!(matches!(
            wrap_key_x25519(&key, &low, &CTX, &mut OsRng),
            Err(VaultError::Key)
        ));
        let forged = AgreementWrap {
            ephemeral: low,
            ..w.clone()
        };
        assert!(matches!(
            unwrap_key_x25519(&forged, &x, &CTX),
            Err(VaultError::Unwrap)
        ));
    }
}

#[test]
fn metadata_is_sealed_to_its_content() {
    let key = DocumentKey::generate(&mut OsRng);
    let meta = Metadata {
        name: "invoice-2026-117.pdf".into(),
        media_type: "application/pdf".into(),
    };
    let addr = [3u8; 32];
    let sealed = seal_metadata(&key, &CTX, &addr, &meta).unwrap();
    assert!(!sealed.windows(7).any(|w| w == b"invoice"));
    assert_eq!(open_metadata(&key, &CTX, &addr, &sealed).unwrap(), meta);
    assert!(open_metadata(&key, &CTX, &[4u8; 32], &sealed).is_err());
    let long = Metadata {
        name: "x".repeat(wrap::MAX_NAME + 1),
        media_type: String::new(),
    };
    assert!(seal_metadata(&key, &CTX, &addr, &long).is_err());
}

#[test]
fn a_hostile_chunk_count_allocates_nothing() {
    let mut m = Manifest {
        chunk_size: u32::try_from(CHUNK_SIZE).unwrap(),
        plaintext_len: 0,
        nonce_prefix: [0; NONCE_PREFIX_LEN],
        chunks: vec![],
    }
    .encode()
    .unwrap();
    // Claim 2^20 chunks with none present.
    let n = m.len() - 4;
    m[n..].copy_from_slice(&u32::try_from(MAX_CHUNKS).unwrap().to_le_bytes());
    assert!(Manifest::decode(&m).is_err());
    m[n..].copy_from_slice(&(u32::try_from(MAX_CHUNKS).unwrap() + 1).to_le_bytes());
    assert!(Manifest::decode(&m).is_err());
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Manifest::decode(&bytes);
        let _ = WrappedKey::decode(&bytes);
        let _ = PartyWrap::decode(&bytes);
        let _ = Metadata::decode(&bytes);
    }
}

/// The chunks sealed on several threads are exactly what the sequential
/// STREAM encryptor of the `aead` crate makes, and open with its
/// sequential decryptor.
#[test]
fn parallel_chunks_are_the_sequential_stream() {
    use chacha20poly1305::aead::generic_array::GenericArray;
    use chacha20poly1305::aead::stream::DecryptorBE32;
    use chacha20poly1305::aead::{KeyInit, Payload};
    use chacha20poly1305::XChaCha20Poly1305;

    let key = DocumentKey::generate(&mut OsRng);
    let plain = data(5 * CHUNK_SIZE + 3);
    let mut chunks = Vec::new();
    let m = encrypt(&key, &CTX, &mut OsRng, &plain[..], u64::MAX, |_, b| {
        chunks.push(b.to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!(chunks.len(), 6);
    let aad = CTX.bytes(b"veil/vault/chunk/v1");
    let mut dec = DecryptorBE32::from_aead(
        XChaCha20Poly1305::new(GenericArray::from_slice(key.expose())),
        GenericArray::from_slice(&m.nonce_prefix),
    );
    let mut back = Vec::new();
    let (last, rest) = chunks.split_last().unwrap();
    for c in rest {
        back.extend(dec.decrypt_next(Payload { msg: c, aad: &aad }).unwrap());
    }
    back.extend(
        dec.decrypt_last(Payload {
            msg: last,
            aad: &aad,
        })
        .unwrap(),
    );
    assert_eq!(back, plain);
}

/// A failing sink, reader, fetch or writer stops the pipeline and its
/// error is the one reported (no thread is left waiting).
#[test]
fn a_failure_at_any_stage_stops_the_pipeline() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let key = DocumentKey::generate(&mut OsRng);
    let plain = data(6 * CHUNK_SIZE);
    let mut seen = 0;
    let r = encrypt(&key, &CTX, &mut OsRng, &plain[..], u64::MAX, |_, _| {
        seen += 1;
        if seen == 2 {
            Err(std::io::Error::other("upload refused"))
        } else {
            Ok(())
        }
    });
    assert!(matches!(r, Err(VaultError::Io(e)) if e.to_string() == "upload refused"));
    let r = encrypt(&key, &CTX, &mut OsRng, Broken, u64::MAX, |_, _| Ok(()));
    assert!(matches!(r, Err(VaultError::Io(e)) if e.to_string() == "disk gone"));

    let (m, store) = put(&key, &CTX, &plain);
    let mut out = Vec::new();
    let r = decrypt(
        &key,
        &CTX,
        &m,
        |i, c| {
            if i == 3 {
                Err(std::io::Error::other("connection reset"))
            } else {
                Ok(store[&c.hash].clone())
            }
        },
        &mut out,
    );
    assert!(matches!(r, Err(VaultError::Io(e)) if e.to_string() == "connection reset"));
    assert_eq!(out, plain[..3 * CHUNK_SIZE], "what came before is written");
    let r = decrypt(&key, &CTX, &m, |_, c| Ok(store[&c.hash].clone()), Broken);
    assert!(matches!(r, Err(VaultError::Io(e)) if e.to_string() == "disk full"));
}
