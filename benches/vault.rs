//! Criterion benches of the evidence vault: encrypting and decrypting a
//! 16 MiB document (16 chunks of STREAM over XChaCha20-Poly1305, each
//! chunk hashed with SHA-256), and the two chunk stores a node could keep
//! them in (a directory of files, RocksDB with BlobDB): 64 chunks of 1 MiB
//! written with fsync, read back, scrubbed; bytes on disk printed once.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand_core::OsRng;
use veil::ledger::chunks::{ChunkStore, DirChunkStore, RocksChunkStore};
use veil::vault::{self, DocContext, DocumentKey};

const LEN: usize = 16 << 20;

fn benches(c: &mut Criterion) {
    let plain: Vec<u8> = (0..LEN).map(|i| u8::try_from(i % 251).unwrap()).collect();
    let key = DocumentKey::generate(&mut OsRng);
    let ctx = DocContext {
        id: [1; 32],
        version: 1,
    };
    let mut chunks = Vec::new();
    let manifest = vault::encrypt(&key, &ctx, &mut OsRng, &plain[..], u64::MAX, |_, c| {
        chunks.push(c.to_vec());
        Ok(())
    })
    .unwrap();

    let mut g = c.benchmark_group("vault");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(u64::try_from(LEN).unwrap()));
    g.bench_function("encrypt_16MiB", |b| {
        b.iter(|| {
            vault::encrypt(&key, &ctx, &mut OsRng, &plain[..], u64::MAX, |_, _| Ok(())).unwrap()
        })
    });
    g.bench_function("decrypt_16MiB", |b| {
        b.iter(|| {
            vault::decrypt(
                &key,
                &ctx,
                &manifest,
                |i, _| Ok(chunks[i].clone()),
                std::io::sink(),
            )
            .unwrap()
        })
    });
    g.finish();
    stores(c, &chunks);
}

fn disk_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

/// 64 MiB of chunks: the two stores side by side.
fn stores(c: &mut Criterion, chunks: &[Vec<u8>]) {
    use sha2::{Digest, Sha256};
    let chunks: Vec<([u8; 32], Vec<u8>)> = chunks
        .iter()
        .cycle()
        .take(64)
        .enumerate()
        .map(|(i, b)| {
            // Distinct chunks (the document's 16 repeat).
            let mut b = b.clone();
            b[0] = u8::try_from(i).unwrap();
            (Sha256::digest(&b).into(), b)
        })
        .collect();
    let bytes = u64::try_from(chunks.iter().map(|(_, b)| b.len()).sum::<usize>()).unwrap();
    type Open = fn(&std::path::Path) -> Box<dyn ChunkStore>;
    let kinds: [(&str, Open); 2] = [
        ("dir", |p| Box::new(DirChunkStore::open(p).unwrap())),
        ("rocksdb_blob", |p| {
            Box::new(RocksChunkStore::open(p).unwrap())
        }),
    ];
    let mut g = c.benchmark_group("vault_store");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    for (name, open) in kinds {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            for (h, b) in &chunks {
                store.put(h, b).unwrap();
            }
        }
        eprintln!(
            "vault_store/{name}: {bytes} bytes of chunks take {} bytes on disk",
            disk_bytes(dir.path())
        );
        g.bench_function(format!("{name}/put_64MiB_fsync"), |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |d| {
                    let store = open(d.path());
                    for (h, bytes) in &chunks {
                        store.put(h, bytes).unwrap();
                    }
                    d
                },
                criterion::BatchSize::PerIteration,
            )
        });
        let store = open(dir.path());
        g.bench_function(format!("{name}/get_64MiB"), |b| {
            b.iter(|| {
                for (h, _) in &chunks {
                    assert!(store.get(h).unwrap().is_some());
                }
            })
        });
        g.bench_function(format!("{name}/scrub_64MiB"), |b| {
            b.iter(|| assert_eq!(store.scrub().unwrap().intact, 64))
        });
    }
    g.finish();
}

criterion_group!(vault_benches, benches);
criterion_main!(vault_benches);
