//! Wallet backup ("safe box"): the account seed split into `n` shares so
//! that any `t` of them recover it and fewer reveal nothing about it.
//!
//! ```text
//!   field      GF(2^8) = GF(2)[x] / (x^8 + x^4 + x^3 + x + 1)
//!   for each byte s_j of the 32-byte seed (j = 0 … 31), independently:
//!     f_j(x)   = s_j + a_{j,1}·x + … + a_{j,t−1}·x^{t−1}        a_{j,k} uniformly random
//!   share i    = (i, f_0(i) ‖ f_1(i) ‖ … ‖ f_31(i))               i = 1 … n,  2 ≤ t ≤ n ≤ 16
//!   recovery   s_j = Σ_{i∈S} f_j(i) · Π_{m∈S, m≠i} m / (m − i)    S: any ≥ t distinct shares
//!                                                                  (Lagrange interpolation at 0)
//! ```
//!
//! Source: A. Shamir, "How to share a secret", Communications of the ACM
//! 22(11), 1979, applied byte by byte over GF(2^8) with the field
//! polynomial SLIP-0039 uses (SatoshiLabs, "Shamir's Secret-Sharing for
//! Mnemonic Codes"; it is also AES's). Any `t − 1` shares are consistent
//! with every seed, so they reveal nothing about it. The field arithmetic,
//! the random polynomials and the interpolation are the `vsss-rs` crate's
//! (`Gf256::split_array` / `Gf256::combine_array`, constant time, no lookup
//! tables); its shares are `identifier ‖ value` with identifiers 1 … n.
//!
//! A share's encoding, [`SHARE_BYTES`] = 48 bytes:
//!
//! ```text
//!   version (1, = 1) ‖ set id (4, random per backup) ‖ threshold t (1) ‖ total n (1) ‖ index i (1)
//!     ‖ value (32) ‖ seed check (4) ‖ checksum (4)
//!   seed check = SHA-256("veil/wallet-backup/v1" ‖ seed)[0..4]
//!   checksum   = SHA-256(the 44 bytes before it)[0..4]
//! ```
//!
//! As words: the 384 bits, big-endian, cut into 11-bit groups, each the
//! index of a word in the BIP-39 English list: [`SHARE_WORDS`] = 35 words,
//! the last one padded with one zero bit.
//!
//! The checksum catches a mistyped word or a damaged file; the set id keeps
//! shares of different backups apart; the seed check tells the real seed
//! from the combination of wrong (or forged) shares. The seed check is 32
//! bits of a hash of the seed, so a holder of fewer than `t` shares is
//! still left 224 bits short of it.

use std::fmt;

use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use vsss_rs::Gf256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use veil_crypto::rng::Rng010;
use veil_crypto::secret::Secret;

/// Keystore kind of an encrypted share file (`veil wallet backup --out`).
pub const SHARE_KIND: &str = "wallet-share";
/// The share encoding's version byte.
pub const VERSION: u8 = 1;
/// The fewest shares a backup can need.
pub const MIN_THRESHOLD: u8 = 2;
/// The most shares one backup has.
pub const MAX_SHARES: u8 = 16;
/// Length of an encoded share, bytes.
pub const SHARE_BYTES: usize = 48;
/// Bits per word of the BIP-39 list.
const WORD_BITS: usize = 11;
/// Words of a share written as words.
pub const SHARE_WORDS: usize = (SHARE_BYTES * 8).div_ceil(WORD_BITS);
/// Domain tag of the seed check.
const SEED_CHECK_TAG: &[u8] = b"veil/wallet-backup/v1";
/// Length of the part the checksum covers.
const BODY: usize = SHARE_BYTES - 4;
/// Room for the words of a share (the longest English word has 8 letters,
/// plus a space), so building the string never reallocates (and never
/// leaves a copy behind).
const WORDS_CAPACITY: usize = SHARE_WORDS * 9;

/// Why a backup could not be made or a share not read or combined.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Threshold and share count outside 2 ≤ threshold ≤ shares ≤ 16.
    #[error(
        "a backup needs 2 ≤ threshold ≤ shares ≤ 16; got threshold {threshold}, shares {shares}"
    )]
    Parameters {
        /// The threshold asked for.
        threshold: u8,
        /// The share count asked for.
        shares: u8,
    },
    /// An encoded share of the wrong length.
    #[error("a share is {expected} bytes; this one is {found}", expected = SHARE_BYTES)]
    Length {
        /// Bytes given.
        found: usize,
    },
    /// A share of another encoding version.
    #[error("share format version {0} is not supported (this Veil reads version 1)")]
    Version(u8),
    /// The share's checksum does not match: a mistyped word or a damaged
    /// file.
    #[error(
        "share {index} of {total} fails its checksum: a word is mistyped or the share is damaged"
    )]
    Checksum {
        /// The index the share says it has.
        index: u8,
        /// The total the share says its backup has.
        total: u8,
    },
    /// The checksum matches but a field is impossible.
    #[error("not a valid share: {0}")]
    Malformed(&'static str),
    /// A share written as words has the wrong number of them.
    #[error("a share is {expected} words; {found} given", expected = SHARE_WORDS)]
    WordCount {
        /// Words given.
        found: usize,
    },
    /// A word not in the BIP-39 English list.
    #[error("word {position} ({word:?}) is not in the BIP-39 English word list")]
    UnknownWord {
        /// Its position, from 1.
        position: usize,
        /// The word.
        word: String,
    },
    /// The last word's padding bit is set: a mistyped last word.
    #[error("the last word does not end a share (its padding bit is set): it is mistyped")]
    Padding,
    /// No shares at all.
    #[error("no shares given")]
    NoShares,
    /// Shares of different backups.
    #[error("the shares come from different backups (set {first} and set {other}); give shares of one backup")]
    MixedSets {
        /// The first share's set id, hex.
        first: String,
        /// The differing set id, hex.
        other: String,
    },
    /// Shares of one set id that disagree on the threshold, total or seed
    /// check.
    #[error("the shares disagree on their backup's threshold, share count or seed check: one of them is not genuine")]
    Inconsistent,
    /// The same share twice.
    #[error("share {0} is given twice")]
    Duplicate(u8),
    /// Fewer shares than the threshold.
    #[error("{given} {noun} given, this backup needs {needed}", noun = shares_noun(.given))]
    TooFew {
        /// Shares given.
        given: usize,
        /// The backup's threshold.
        needed: u8,
    },
    /// The shares combine to a seed whose check does not match.
    #[error("the shares combine to a seed that fails the backup's seed check: a share is wrong (damaged, forged, or from another backup with the same set id)")]
    SeedCheck,
    /// The secret-sharing library failed.
    #[error("secret sharing: {0}")]
    Sharing(String),
}

fn shares_noun(n: &usize) -> &'static str {
    if *n == 1 {
        "share"
    } else {
        "shares"
    }
}

/// One share of a backup. Its value is secret: wiped on drop, never
/// printed by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Share {
    set_id: [u8; 4],
    threshold: u8,
    total: u8,
    index: u8,
    value: [u8; 32],
    seed_check: [u8; 4],
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("set", &hex::encode(self.set_id))
            .field("threshold", &self.threshold)
            .field("total", &self.total)
            .field("index", &self.index)
            .field("value", &format_args!("[REDACTED]"))
            .finish()
    }
}

impl Share {
    /// The backup's set id (random per backup).
    pub fn set_id(&self) -> [u8; 4] {
        self.set_id
    }

    /// How many shares recover the seed.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// How many shares the backup has.
    pub fn total(&self) -> u8 {
        self.total
    }

    /// This share's index, 1 … total.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The 48-byte encoding (see the module documentation).
    pub fn to_bytes(&self) -> Secret<[u8; SHARE_BYTES]> {
        let mut out = Secret::new([0u8; SHARE_BYTES]);
        let b = out.expose_mut();
        b[0] = VERSION;
        b[1..5].copy_from_slice(&self.set_id);
        b[5] = self.threshold;
        b[6] = self.total;
        b[7] = self.index;
        b[8..40].copy_from_slice(&self.value);
        b[40..BODY].copy_from_slice(&self.seed_check);
        let sum = checksum(&b[..BODY]);
        b[BODY..].copy_from_slice(&sum);
        out
    }

    /// Reads a share from its encoding: exactly [`SHARE_BYTES`] bytes of
    /// version 1 whose checksum matches, with 2 ≤ threshold ≤ total ≤ 16
    /// and 1 ≤ index ≤ total.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BackupError> {
        if let Some(&v) = bytes.first() {
            if v != VERSION {
                return Err(BackupError::Version(v));
            }
        }
        let b = <&[u8; SHARE_BYTES]>::try_from(bytes)
            .map_err(|_| BackupError::Length { found: bytes.len() })?;
        let (body, sum) = b.split_at(BODY);
        let (threshold, total, index) = (b[5], b[6], b[7]);
        if checksum(body).as_slice() != sum {
            return Err(BackupError::Checksum { index, total });
        }
        if check_parameters(threshold, total).is_err() {
            return Err(BackupError::Malformed(
                "its threshold and share count are outside 2 ≤ threshold ≤ shares ≤ 16",
            ));
        }
        if !(1..=total).contains(&index) {
            return Err(BackupError::Malformed(
                "its index is outside 1 … share count",
            ));
        }
        let mut share = Self {
            set_id: [0; 4],
            threshold,
            total,
            index,
            value: [0; 32],
            seed_check: [0; 4],
        };
        share.set_id.copy_from_slice(&b[1..5]);
        share.value.copy_from_slice(&b[8..40]);
        share.seed_check.copy_from_slice(&b[40..BODY]);
        Ok(share)
    }

    /// The share as [`SHARE_WORDS`] words of the BIP-39 English list,
    /// separated by single spaces.
    pub fn to_words(&self) -> Secret<String> {
        let bytes = self.to_bytes();
        let list = bip39::Language::English.word_list();
        let mut out = Secret::new(String::with_capacity(WORDS_CAPACITY));
        for k in 0..SHARE_WORDS {
            let mut index = 0usize;
            for bit in 0..WORD_BITS {
                index = (index << 1) | usize::from(bit_at(bytes.expose(), k * WORD_BITS + bit));
            }
            if k > 0 {
                out.expose_mut().push(' ');
            }
            out.expose_mut()
                .push_str(list.get(index).copied().unwrap_or_default());
        }
        out
    }

    /// Reads a share from its words (any whitespace between them, any
    /// case): exactly [`SHARE_WORDS`] words of the BIP-39 English list,
    /// zero padding, and a matching checksum.
    pub fn from_words(text: &str) -> Result<Self, BackupError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() != SHARE_WORDS {
            return Err(BackupError::WordCount { found: words.len() });
        }
        let mut bytes = Secret::new([0u8; SHARE_BYTES]);
        for (k, word) in words.iter().enumerate() {
            let lower = Secret::new(word.to_lowercase());
            let index = bip39::Language::English
                .find_word(lower.expose())
                .ok_or_else(|| BackupError::UnknownWord {
                    position: k + 1,
                    word: (*word).to_owned(),
                })?;
            for bit in 0..WORD_BITS {
                let set = (index >> (WORD_BITS - 1 - bit)) & 1 == 1;
                let p = k * WORD_BITS + bit;
                if p < SHARE_BYTES * 8 {
                    if set {
                        bytes.expose_mut()[p / 8] |= 1u8 << (7 - p % 8);
                    }
                } else if set {
                    return Err(BackupError::Padding);
                }
            }
        }
        Self::from_bytes(bytes.expose())
    }
}

/// Bit `i` of `bytes`, most significant bit of each byte first; zero past
/// the end (the padding of the last word).
fn bit_at(bytes: &[u8], i: usize) -> bool {
    bytes
        .get(i / 8)
        .is_some_and(|b| (*b >> (7 - i % 8)) & 1 == 1)
}

fn first4(digest: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = *d;
    }
    out
}

/// `SHA-256(body)[0..4]`.
fn checksum(body: &[u8]) -> [u8; 4] {
    first4(&Sha256::digest(body))
}

/// `SHA-256("veil/wallet-backup/v1" ‖ seed)[0..4]`.
fn seed_check(seed: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(SEED_CHECK_TAG);
    h.update(seed);
    first4(&h.finalize())
}

/// Checks 2 ≤ `threshold` ≤ `shares` ≤ 16.
pub fn check_parameters(threshold: u8, shares: u8) -> Result<(), BackupError> {
    if !(MIN_THRESHOLD..=shares).contains(&threshold) || shares > MAX_SHARES {
        return Err(BackupError::Parameters { threshold, shares });
    }
    Ok(())
}

/// Splits `seed` into `shares` shares, any `threshold` of which recover it
/// (2 ≤ threshold ≤ shares ≤ 16), under a fresh random set id.
pub fn split<R: RngCore + CryptoRng>(
    seed: &Secret<[u8; 32]>,
    threshold: u8,
    shares: u8,
    rng: &mut R,
) -> Result<Vec<Share>, BackupError> {
    check_parameters(threshold, shares)?;
    let mut set_id = [0u8; 4];
    rng.fill_bytes(&mut set_id);
    let check = seed_check(seed.expose());
    let raw = Secret::new(
        Gf256::split_array(
            usize::from(threshold),
            usize::from(shares),
            seed.expose(),
            Rng010(&mut *rng),
        )
        .map_err(|e| BackupError::Sharing(e.to_string()))?,
    );
    if raw.expose().len() != usize::from(shares) {
        return Err(BackupError::Sharing(format!(
            "{} shares made, {shares} asked for",
            raw.expose().len()
        )));
    }
    let mut out = Vec::with_capacity(usize::from(shares));
    for (index, point) in (1..=shares).zip(raw.expose()) {
        // vsss-rs lays a share out as `identifier ‖ value` and numbers
        // shares 1, 2, … n (its default identifiers).
        let Some((&id, value)) = point.split_first() else {
            return Err(BackupError::Sharing("an empty share".into()));
        };
        if id != index || value.len() != 32 {
            return Err(BackupError::Sharing(format!(
                "share {index} came out with identifier {id} and {} value bytes",
                value.len()
            )));
        }
        let mut share = Share {
            set_id,
            threshold,
            total: shares,
            index,
            value: [0; 32],
            seed_check: check,
        };
        share.value.copy_from_slice(value);
        out.push(share);
    }
    Ok(out)
}

/// Recovers the seed from shares of one backup: at least its threshold of
/// them, all distinct. Every share given takes part, so a wrong one among
/// more than enough is still caught by the seed check.
pub fn recover(shares: &[Share]) -> Result<Secret<[u8; 32]>, BackupError> {
    let first = shares.first().ok_or(BackupError::NoShares)?;
    for s in shares {
        if s.set_id != first.set_id {
            return Err(BackupError::MixedSets {
                first: hex::encode(first.set_id),
                other: hex::encode(s.set_id),
            });
        }
        if s.threshold != first.threshold
            || s.total != first.total
            || s.seed_check != first.seed_check
        {
            return Err(BackupError::Inconsistent);
        }
    }
    for (k, s) in shares.iter().enumerate() {
        if shares.iter().take(k).any(|o| o.index == s.index) {
            return Err(BackupError::Duplicate(s.index));
        }
    }
    if shares.len() < usize::from(first.threshold) {
        return Err(BackupError::TooFew {
            given: shares.len(),
            needed: first.threshold,
        });
    }
    let points = Secret::new(
        shares
            .iter()
            .map(|s| {
                let mut p = Vec::with_capacity(1 + s.value.len());
                p.push(s.index);
                p.extend_from_slice(&s.value);
                p
            })
            .collect::<Vec<Vec<u8>>>(),
    );
    let combined = Secret::new(
        Gf256::combine_array(points.expose()).map_err(|e| BackupError::Sharing(e.to_string()))?,
    );
    if combined.expose().len() != 32 {
        return Err(BackupError::Sharing(format!(
            "the combination has {} bytes, not 32",
            combined.expose().len()
        )));
    }
    let mut seed = Secret::new([0u8; 32]);
    seed.expose_mut().copy_from_slice(combined.expose());
    if seed_check(seed.expose()) != first.seed_check {
        return Err(BackupError::SeedCheck);
    }
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn seed() -> Secret<[u8; 32]> {
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap().wrapping_mul(37).wrapping_add(11);
        }
        Secret::new(s)
    }

    fn backup(t: u8, n: u8, rng_seed: u64) -> Vec<Share> {
        split(&seed(), t, n, &mut ChaCha20Rng::seed_from_u64(rng_seed)).unwrap()
    }

    /// The same share with its bytes edited and the checksum made to
    /// match again (what a forger or an unlucky corruption could do).
    fn rechecksummed(share: &Share, edit: impl FnOnce(&mut [u8; SHARE_BYTES])) -> Vec<u8> {
        let mut b = *share.to_bytes().expose();
        edit(&mut b);
        let sum = checksum(&b[..BODY]);
        b[BODY..].copy_from_slice(&sum);
        b.to_vec()
    }

    #[test]
    fn three_of_five_recovers_from_every_three_four_and_five() {
        let shares = backup(3, 5, 1);
        assert_eq!(shares.len(), 5);
        for (i, s) in shares.iter().enumerate() {
            assert_eq!(usize::from(s.index()), i + 1);
            assert_eq!((s.threshold(), s.total()), (3, 5));
            assert_eq!(s.set_id(), shares[0].set_id());
        }
        let mut recovered = 0;
        for mask in 0u32..32 {
            let subset: Vec<Share> = shares
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| s.clone())
                .collect();
            let got = recover(&subset);
            if subset.len() >= 3 {
                assert_eq!(got.unwrap().expose(), seed().expose(), "mask {mask:05b}");
                recovered += 1;
            } else if subset.is_empty() {
                assert!(matches!(got, Err(BackupError::NoShares)));
            } else {
                let e = got.unwrap_err();
                assert!(matches!(e, BackupError::TooFew { needed: 3, .. }), "{e}");
            }
        }
        // C(5,3) + C(5,4) + C(5,5)
        assert_eq!(recovered, 10 + 5 + 1);
        // Order does not matter.
        let reversed: Vec<Share> = shares.iter().rev().cloned().collect();
        assert_eq!(recover(&reversed).unwrap().expose(), seed().expose());
    }

    #[test]
    fn too_few_shares_say_how_many_are_needed() {
        let shares = backup(3, 5, 2);
        let e = recover(&shares[..2]).unwrap_err();
        assert_eq!(e.to_string(), "2 shares given, this backup needs 3");
        let e = recover(&shares[3..4]).unwrap_err();
        assert_eq!(e.to_string(), "1 share given, this backup needs 3");
    }

    #[test]
    fn fewer_than_threshold_shares_fit_every_seed() {
        // Two shares of a 3-of-5 backup, with any third point, interpolate
        // to some seed: the two alone do not pin it down. Checked on the
        // raw arithmetic (the seed check is what rejects the wrong ones).
        let shares = backup(3, 5, 3);
        let mut seeds = std::collections::BTreeSet::new();
        for y in [0u8, 1, 2, 255] {
            let mut points: Vec<Vec<u8>> = shares[..2]
                .iter()
                .map(|s| {
                    let mut p = vec![s.index];
                    p.extend_from_slice(&s.value);
                    p
                })
                .collect();
            let mut third = vec![5u8];
            third.extend_from_slice(&[y; 32]);
            points.push(third);
            seeds.insert(Gf256::combine_array(&points).unwrap());
        }
        assert_eq!(seeds.len(), 4);
    }

    #[test]
    fn parameters_outside_the_range_are_refused() {
        let s = seed();
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        for (t, n) in [(1, 5), (0, 5), (4, 3), (3, 17), (17, 17), (2, 0)] {
            let e = split(&s, t, n, &mut rng).unwrap_err();
            assert!(matches!(e, BackupError::Parameters { .. }), "{t}/{n}: {e}");
        }
        for (t, n) in [(2, 2), (2, 16), (16, 16)] {
            let shares = split(&s, t, n, &mut rng).unwrap();
            assert_eq!(shares.len(), usize::from(n));
            let need = usize::from(t);
            assert_eq!(recover(&shares[..need]).unwrap().expose(), s.expose());
            assert_eq!(
                recover(&shares[shares.len() - need..]).unwrap().expose(),
                s.expose()
            );
        }
    }

    #[test]
    fn mixed_backups_duplicates_and_forgeries_are_refused() {
        let a = backup(3, 5, 5);
        let b = backup(3, 5, 6);
        assert_ne!(a[0].set_id(), b[0].set_id());
        let mixed = vec![a[0].clone(), a[1].clone(), b[2].clone()];
        let e = recover(&mixed).unwrap_err();
        assert!(matches!(e, BackupError::MixedSets { .. }), "{e}");
        assert!(e.to_string().contains("different backups"), "{e}");

        let dup = vec![a[0].clone(), a[1].clone(), a[1].clone()];
        assert!(matches!(
            recover(&dup).unwrap_err(),
            BackupError::Duplicate(2)
        ));

        // Another threshold under the same set id.
        let other_t = Share::from_bytes(&rechecksummed(&a[2], |b| b[5] = 2)).unwrap();
        let e = recover(&[a[0].clone(), a[1].clone(), other_t]).unwrap_err();
        assert!(matches!(e, BackupError::Inconsistent), "{e}");

        // A value changed with a matching checksum: the seed check says so.
        let forged = Share::from_bytes(&rechecksummed(&a[2], |b| b[20] ^= 0x40)).unwrap();
        let e = recover(&[a[0].clone(), a[1].clone(), forged.clone()]).unwrap_err();
        assert!(matches!(e, BackupError::SeedCheck), "{e}");
        // Also when it is one more than needed.
        let e = recover(&[a[0].clone(), a[1].clone(), a[3].clone(), forged]).unwrap_err();
        assert!(matches!(e, BackupError::SeedCheck), "{e}");
    }

    #[test]
    fn bytes_round_trip_and_every_flipped_bit_is_caught() {
        let shares = backup(3, 5, 7);
        for s in &shares {
            let bytes = s.to_bytes();
            assert_eq!(bytes.expose()[0], VERSION);
            let back = Share::from_bytes(bytes.expose()).unwrap();
            assert_eq!(back.to_bytes().expose(), bytes.expose());
            for bit in 0..SHARE_BYTES * 8 {
                let mut b = *bytes.expose();
                b[bit / 8] ^= 1 << (bit % 8);
                assert!(Share::from_bytes(&b).is_err(), "bit {bit} flipped");
            }
        }
        let mut b = *shares[1].to_bytes().expose();
        b[12] ^= 1;
        assert_eq!(
            Share::from_bytes(&b).unwrap_err().to_string(),
            "share 2 of 5 fails its checksum: a word is mistyped or the share is damaged"
        );
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let genuine = *backup(3, 5, 9)[0].to_bytes().expose();
        for len in 0..100 {
            for round in 0..20 {
                let mut b = vec![0u8; len];
                rng.fill_bytes(&mut b);
                if round % 2 == 0 {
                    if let Some(v) = b.first_mut() {
                        *v = VERSION;
                    }
                }
                let r = Share::from_bytes(&b);
                if len != SHARE_BYTES {
                    assert!(r.is_err(), "{len} bytes accepted");
                }
                // Fields made impossible, checksum made to match.
                if len == SHARE_BYTES {
                    let mut arr = [0u8; SHARE_BYTES];
                    arr.copy_from_slice(&b);
                    arr[0] = VERSION;
                    let sum = checksum(&arr[..BODY]);
                    arr[BODY..].copy_from_slice(&sum);
                    let _ = Share::from_bytes(&arr);
                }
            }
            // Truncations and extensions of a genuine share.
            let mut b = genuine.to_vec();
            b.resize(len, 0);
            if len != SHARE_BYTES {
                assert!(Share::from_bytes(&b).is_err());
            }
        }
        let share = &backup(3, 5, 10)[0];
        let edits: [fn(&mut [u8; SHARE_BYTES]); 5] = [
            |b| b[5] = 0,  // threshold 0
            |b| b[5] = 6,  // threshold > total
            |b| b[6] = 17, // total > 16
            |b| b[7] = 0,  // index 0
            |b| b[7] = 6,  // index > total
        ];
        for edit in edits {
            let e = Share::from_bytes(&rechecksummed(share, edit)).unwrap_err();
            assert!(matches!(e, BackupError::Malformed(_)), "{e}");
        }
        let e = Share::from_bytes(&rechecksummed(share, |b| b[0] = 2)).unwrap_err();
        assert!(matches!(e, BackupError::Version(2)), "{e}");
        let texts: Vec<String> = vec![
            String::new(),
            " ".into(),
            "share 1 of 5".into(),
            "абвгд ☃".into(),
            "abandon ".repeat(SHARE_WORDS + 1),
            "zoo ".repeat(SHARE_WORDS),
            "abandon ".repeat(SHARE_WORDS),
        ];
        for text in &texts {
            assert!(Share::from_words(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn words_round_trip_and_every_changed_word_is_caught() {
        assert_eq!(SHARE_WORDS, 35);
        let shares = backup(3, 5, 11);
        for s in &shares {
            let words = s.to_words();
            let list: Vec<&str> = words.expose().split(' ').collect();
            assert_eq!(list.len(), SHARE_WORDS);
            let back = Share::from_words(words.expose()).unwrap();
            assert_eq!(back.to_bytes().expose(), s.to_bytes().expose());
            // Any case, any whitespace.
            let loose = format!("  {}\n", list.join("\t \n").to_uppercase());
            let back = Share::from_words(&loose).unwrap();
            assert_eq!(back.to_bytes().expose(), s.to_bytes().expose());
            // Each bit of each word's index flipped.
            let english = bip39::Language::English;
            for (k, w) in list.iter().enumerate() {
                let i = english.find_word(w).unwrap();
                for bit in 0..11 {
                    let mut changed: Vec<&str> = list.clone();
                    changed[k] = english.word_list()[usize::from(i ^ (1 << bit))];
                    assert!(
                        Share::from_words(&changed.join(" ")).is_err(),
                        "word {k} bit {bit}"
                    );
                }
            }
        }
        let words = shares[0].to_words();
        let mut list: Vec<&str> = words.expose().split(' ').collect();
        list[6] = "notaword";
        let e = Share::from_words(&list.join(" ")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "word 7 (\"notaword\") is not in the BIP-39 English word list"
        );
        list.truncate(34);
        let e = Share::from_words(&list.join(" ")).unwrap_err();
        assert_eq!(e.to_string(), "a share is 35 words; 34 given");
        // The words of shares from different backups never combine.
        let other = backup(3, 5, 12);
        let mixed: Vec<Share> = [&shares[0], &shares[1], &other[2]]
            .iter()
            .map(|s| Share::from_words(s.to_words().expose()).unwrap())
            .collect();
        assert!(matches!(
            recover(&mixed).unwrap_err(),
            BackupError::MixedSets { .. }
        ));
        let from_words: Vec<Share> = [&shares[4], &shares[0], &shares[2]]
            .iter()
            .map(|s| Share::from_words(s.to_words().expose()).unwrap())
            .collect();
        assert_eq!(recover(&from_words).unwrap().expose(), seed().expose());
    }

    #[test]
    fn debug_never_prints_the_value() {
        let s = &backup(2, 3, 13)[0];
        let shown = format!("{s:?}");
        assert!(
            shown.contains("[REDACTED]") && shown.contains("index: 1"),
            "{shown}"
        );
        assert!(!shown.contains(&hex::encode(s.value)), "{shown}");
        assert!(!shown.contains(&format!("{:?}", s.value)), "{shown}");
    }
}
