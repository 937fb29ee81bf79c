//! Decoy selection with a recency bias, as Monero's wallet does.
//!
//! Spends are mostly of young outputs, so uniformly chosen decoys would
//! stand out by their age. Following Möser et al., "An Empirical Analysis of
//! Traceability in the Monero Blockchain" (PETS 2018, §6) and Monero's
//! `gamma_picker` (wallet2.cpp), the age of a decoy in seconds is drawn as
//! `exp(X)` with `X ~ Gamma(shape 19.28, scale 1/1.61)` and mapped to an
//! output by the chain's average time per output:
//!
//! ```text
//!   avg   = (tip time − genesis time) / number of outputs
//!   index = (number of outputs − 1) − ⌊age / avg⌋
//! ```
//!
//! A draw that falls before the first output is redrawn; after 100 failed
//! draws (a chain much younger than the distribution, such as a fresh dev
//! network) the decoy is drawn uniformly. Duplicates and the real output
//! are redrawn, so every ring has distinct members.

use std::collections::BTreeSet;

use rand::Rng;
use rand_distr::{Distribution, Gamma};

/// Why decoys could not be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecoyError {
    /// The ledger holds too few outputs of the asset for the ring size.
    #[error("ring size {ring} needs at least {ring} outputs on the ledger, there are {outputs}")]
    TooFewOutputs {
        /// The ring size asked for.
        ring: usize,
        /// Outputs of the asset on the ledger.
        outputs: u64,
    },
    /// The decoy distribution's parameters are invalid (a constant).
    #[error("invalid decoy distribution parameters")]
    Distribution,
}

/// Gamma shape of decoy ages (log-seconds).
pub const GAMMA_SHAPE: f64 = 19.28;
/// Gamma rate of decoy ages (log-seconds).
pub const GAMMA_RATE: f64 = 1.61;

/// Picks decoy indices for one chain state.
pub struct DecoyPicker {
    count: u64,
    avg_seconds_per_output: f64,
}

impl DecoyPicker {
    /// `count` outputs, created between `genesis_ms` and `tip_ms`.
    // Integer ↔ float conversions of counts and times: precision loss above
    // 2⁵³ is irrelevant to a sampling distribution, and `as` from f64
    // saturates.
    #[allow(clippy::as_conversions)]
    pub fn new(count: u64, genesis_ms: u64, tip_ms: u64) -> Self {
        let span = tip_ms.saturating_sub(genesis_ms).max(1) as f64 / 1e3;
        Self {
            count,
            avg_seconds_per_output: (span / count.max(1) as f64).max(1e-3),
        }
    }

    fn draw<R: Rng + ?Sized>(&self, rng: &mut R, gamma: &Gamma<f64>) -> u64 {
        for _ in 0..100 {
            let age = gamma.sample(rng).exp();
            let back = age / self.avg_seconds_per_output;
            if back.is_finite() && back >= 0.0 {
                #[allow(clippy::as_conversions)] // saturating, non-negative, finite
                let back = back.floor() as u64;
                if back < self.count {
                    return self.count - 1 - back;
                }
            }
        }
        rng.gen_range(0..self.count)
    }

    /// `n` distinct decoys, never `real`.
    pub fn pick<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        real: u64,
        n: usize,
    ) -> Result<Vec<u64>, DecoyError> {
        let available = self.count.saturating_sub(1);
        if u64::try_from(n).unwrap_or(u64::MAX) > available {
            return Err(DecoyError::TooFewOutputs {
                ring: n + 1,
                outputs: self.count,
            });
        }
        let gamma =
            Gamma::new(GAMMA_SHAPE, 1.0 / GAMMA_RATE).map_err(|_| DecoyError::Distribution)?;
        let mut chosen = BTreeSet::new();
        let mut attempts = 0usize;
        while chosen.len() < n {
            attempts += 1;
            let i = if attempts > 10_000 {
                rng.gen_range(0..self.count)
            } else {
                self.draw(rng, &gamma)
            };
            if i != real {
                chosen.insert(i);
            }
        }
        Ok(chosen.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn distinct_never_the_real_one_and_biased_to_recent() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        // A year-old chain with a million outputs.
        let year_ms = 365 * 24 * 3600 * 1000;
        let p = DecoyPicker::new(1_000_000, 0, year_ms);
        let mut recent_half = 0;
        for _ in 0..50 {
            let d = p.pick(&mut rng, 999_999, 15).unwrap();
            assert_eq!(d.len(), 15);
            assert!(!d.contains(&999_999));
            assert!(d.windows(2).all(|w| w[0] < w[1]));
            recent_half += d.iter().filter(|&&i| i >= 500_000).count();
        }
        assert!(
            recent_half > 50 * 15 * 7 / 10,
            "decoys are not recency-biased: {recent_half}"
        );
    }

    #[test]
    fn young_chain_falls_back_and_small_chain_refuses() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let p = DecoyPicker::new(32, 0, 2_000);
        let d = p.pick(&mut rng, 3, 15).unwrap();
        assert_eq!(d.len(), 15);
        assert!(DecoyPicker::new(10, 0, 1).pick(&mut rng, 0, 15).is_err());
    }
}
