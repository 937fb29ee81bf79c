//! Randomness helpers.
//!
//! Veil's interfaces take `rand_core` 0.6 generators (the generation merlin 3
//! and arkworks use). `tari_bulletproofs_plus` 0.5 asks for `rand_core` 0.10;
//! [`Rng010`] bridges one to the other without changing the byte stream, so
//! seeded tests stay deterministic across both.

use std::convert::Infallible;

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};

/// A uniformly random scalar (64 random bytes reduced mod ℓ).
pub fn random_scalar<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    zeroize::Zeroize::zeroize(&mut wide);
    s
}

/// Presents a `rand_core` 0.6 CSPRNG as a `rand_core` 0.10 one.
pub struct Rng010<'a, R: RngCore + CryptoRng + ?Sized>(pub &'a mut R);

impl<R: RngCore + CryptoRng + ?Sized> rand_core_010::TryRng for Rng010<'_, R> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: RngCore + CryptoRng + ?Sized> rand_core_010::TryCryptoRng for Rng010<'_, R> {}
