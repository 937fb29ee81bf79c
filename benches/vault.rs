//! Criterion benches of the evidence vault's document format: encrypting
//! and decrypting a 16 MiB document (16 chunks of STREAM over
//! XChaCha20-Poly1305, each chunk hashed with SHA-256), in bytes per second.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand_core::OsRng;
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
}

criterion_group!(vault_benches, benches);
criterion_main!(vault_benches);
