//! Sample presentations for benches and tests: random credentials at random
//! tree positions, each with a statement that discloses two attributes and
//! proves a range on the first (the shape of "age ≥ 18, show country").

use ark_ff::UniformRand;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::merkle::MerklePath;
use crate::presentation::{Credential, Predicate, Statement, Witness, ATTRIBUTES};
use crate::Fr;

/// `n` satisfied `(statement, witness)` pairs, deterministic in `seed`.
pub fn sample(n: usize, seed: u64) -> Vec<(Statement, Witness)> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut attributes = [Fr::from(0u64); ATTRIBUTES];
            // A date as a day number, then small values.
            attributes[0] = Fr::from(700_000 + u64::from(rng.next_u32() % 20_000));
            for a in attributes.iter_mut().skip(1) {
                *a = Fr::rand(&mut rng);
            }
            let witness = Witness {
                credential: Credential {
                    credential_type: Fr::rand(&mut rng),
                    secret: veil_secret::Secret::new(Fr::rand(&mut rng)),
                    salt: Fr::rand(&mut rng),
                    attributes,
                },
                path: MerklePath {
                    index: rng.next_u32(),
                    siblings: std::array::from_fn(|_| Fr::rand(&mut rng)),
                },
                hook: None,
            };
            let statement = Statement::for_credential(
                &witness.credential,
                &witness.path,
                0b0000_0010,
                Predicate {
                    index: 0,
                    lo: 0,
                    hi: 720_000,
                },
                Fr::rand(&mut rng),
                Fr::rand(&mut rng),
            );
            (statement, witness)
        })
        .collect()
}
