//! Criterion benches of credential presentations (Groth16 over BN254, the
//! 9,238-constraint presentation circuit): prove, verify one, verify a
//! batch of 64 with one multi-pairing. `veil bench credential --json`
//! reports the same figures as JSON.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use veil::identity::pinned_keys;
use veil_circuits::{groth, testing};

fn benches(c: &mut Criterion) {
    let key = pinned_keys::proving_key(pinned_keys::default_dir().as_deref()).unwrap();
    let vk = pinned_keys::verifying_key().unwrap();
    let samples = testing::sample(64, 11);
    let items: Vec<_> = samples
        .iter()
        .map(|(s, w)| (*s, groth::prove(&key, s, w).unwrap()))
        .collect();

    let mut g = c.benchmark_group("credential");
    g.sample_size(10);
    g.bench_function("prove", |b| {
        b.iter(|| groth::prove(&key, &samples[0].0, &samples[0].1).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| assert!(groth::verify(vk, &items[0].0, &items[0].1)))
    });
    g.throughput(Throughput::Elements(64));
    g.bench_function("verify_batch_64", |b| {
        b.iter(|| assert!(groth::verify_batch(vk, &items)))
    });
    g.finish();
}

criterion_group!(credentials, benches);
criterion_main!(credentials);
