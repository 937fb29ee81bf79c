//! Every Fiat–Shamir transcript label of Veil, in one place.
//!
//! All challenges are drawn from `merlin` transcripts (STROBE-128). Each
//! protocol starts its own transcript with a protocol label and must append
//! *every* public input before drawing a challenge (the "frozen heart" class
//! of bugs comes from a challenge that does not bind one). Points are
//! appended by their canonical encoding, integers as little-endian `u64`.
//!
//! | protocol | transcript label | appended, in order | challenges |
//! |---|---|---|---|
//! | CLSAG | `veil/clsag/v1` | `n`, `msg`, `P_0‖C_0 … P_{n−1}‖C_{n−1}`, `C'`, `I`, `D` | `mu_P`, `mu_C`; then per round (on a clone): `L`, `R` → `c` |
//! | regulator amount proof | `veil/regulator-proof/v1` | `PK`, `m`, `C_0‖D_0 … C_{m−1}‖D_{m−1}` → `t`; then `Y_C`, `Y_D` | `t`, `c` |
//! | threshold partial decryption | `veil/threshold/partial/v1` | officer `j`, `Yⱼ`, `m`, `P_1‖S_1 … P_m‖S_m` | `rho` (then a DLEQ, `veil/dleq/v1`) |
//! | range proof | `veil/range/v1` (a `tari_merlin` transcript, appended to by `tari_bulletproofs_plus`) | the limb commitments | — |

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

use super::point::Point;

/// CLSAG protocol label.
pub const CLSAG: &[u8] = b"veil/clsag/v1";
/// Regulator amount-proof protocol label.
pub const REGULATOR_PROOF: &[u8] = b"veil/regulator-proof/v1";
/// Threshold partial-decryption fold label ([`super::threshold`]).
pub const THRESHOLD_PARTIAL: &[u8] = b"veil/threshold/partial/v1";
/// Range-proof protocol label.
pub const RANGE_PROOF: &[u8] = b"veil/range/v1";

/// Veil's extension of [`merlin::Transcript`].
pub trait TranscriptProtocol {
    /// Appends a point's canonical encoding.
    fn append_point(&mut self, label: &'static [u8], point: &Point);
    /// Appends a little-endian `u64`.
    fn append_u64_le(&mut self, label: &'static [u8], value: u64);
    /// Draws a uniformly distributed scalar (64 bytes reduced mod ℓ).
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}

impl TranscriptProtocol for Transcript {
    fn append_point(&mut self, label: &'static [u8], point: &Point) {
        self.append_message(label, point.as_bytes());
    }

    fn append_u64_le(&mut self, label: &'static [u8], value: u64) {
        self.append_message(label, &value.to_le_bytes());
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}
