//! The plaintexts inside a transfer's encrypted payloads.
//!
//! # Output note (to the receiver), sealed with [`veil_crypto::payload`]
//!
//! ```text
//!   key material  S = r·A (the output's ECDH secret)
//!   info          "veil/payload/output/v1" ‖ le32(i)
//!   ad            P ‖ C   (one-time key and derived amount commitment)
//!   plaintext     version u8 = 1 ‖ amount u64 ‖ blinding 32 ‖
//!                 asset (u8 len ‖ ASCII) ‖ memo (u16 len ‖ ≤ 512 bytes) ‖
//!                 return flag u8 ‖ [return address 64] ‖
//!                 zero padding to a multiple of 64 bytes
//! ```
//!
//! # Regulator note, sealed to `S_reg = r'·PK`
//!
//! ```text
//!   info          "veil/payload/regulator/v1"
//!   ad            SHA-256("veil/regulator-ad/v1" ‖ 0x00 ‖ asset ‖ E ‖ (P_o ‖ C_o,0..3)_o)
//!   plaintext     version u8 = 1 ‖ sender flag u8 ‖ [sender address 64] ‖
//!                 n u8 ‖ n × ( receiver flag u8 ‖ [address 64] ‖ amount u64 ‖
//!                 memo (u16 len ‖ ≤ 512) ) ‖ zero padding to a multiple of 256
//! ```
//!
//! Padding hides memo lengths from everyone but the readers. Decoders
//! refuse non-zero padding, so each plaintext has one encoding.

use curve25519_dalek::scalar::Scalar;

use veil_crypto::keys::{Address, AddressBytes};
use veil_crypto::payload::{self, OpenError};
use veil_crypto::secret::Secret;

use super::super::limits::{MAX_MEMO, MAX_OUTPUTS, MAX_REGULATOR_PAYLOAD};
use super::super::AssetId;
use veil_codec::{DecodeError, DecodeExt, Encode, EncodeError, Reader, Writer};

const NOTE_VERSION: u8 = 1;
const OUTPUT_INFO: &[u8] = b"veil/payload/output/v1";
const REGULATOR_INFO: &[u8] = b"veil/payload/regulator/v1";
const OUTPUT_PAD: usize = 64;
const REGULATOR_PAD: usize = 256;

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Wrong key or altered ciphertext.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Decrypted, but not a valid note.
    #[error("payload decrypts to an invalid note: {0}")]
    Format(#[from] DecodeError),
}

/// What the receiver of an output learns.
#[derive(Debug, Clone)]
pub struct OutputNote {
    /// The amount.
    pub amount: u64,
    /// The commitment's blinding `γ`.
    pub blinding: Secret<Scalar>,
    /// The asset.
    pub asset: AssetId,
    /// Free text or structured data for the receiver, at most 512 bytes.
    pub memo: Vec<u8>,
    /// Where the sender accepts refunds, if it says.
    pub return_address: Option<Address>,
}

fn write_address(w: &mut Writer, a: Option<AddressBytes>) {
    match a {
        None => w.u8(0),
        Some(a) => {
            w.u8(1);
            w.bytes(&a.0);
        }
    }
}

fn read_label(r: &mut Reader<'_>, what: &'static str) -> Result<Option<AddressBytes>, DecodeError> {
    match r.u8(what)? {
        0 => Ok(None),
        1 => Ok(Some(AddressBytes(r.array(what)?))),
        _ => Err(DecodeError::Invalid {
            what,
            why: "flag must be 0 or 1",
        }),
    }
}

fn read_address(r: &mut Reader<'_>, what: &'static str) -> Result<Option<Address>, DecodeError> {
    read_label(r, what)?
        .map(|a| {
            a.to_address().map_err(|_| DecodeError::Invalid {
                what,
                why: "not a valid address",
            })
        })
        .transpose()
}

fn pad(w: &mut Writer, multiple: usize) {
    let short = (multiple - w.len() % multiple) % multiple;
    w.bytes(&vec![0; short]);
}

fn check_padding(r: Reader<'_>, total: usize, multiple: usize) -> Result<(), DecodeError> {
    let rest = r.remaining();
    let mut r = r;
    let pad = r.bytes(rest, "padding")?;
    if !total.is_multiple_of(multiple) || pad.len() >= multiple || pad.iter().any(|b| *b != 0) {
        return Err(DecodeError::Invalid {
            what: "padding",
            why: "must be the fewest zero bytes reaching the block size",
        });
    }
    Ok(())
}

impl OutputNote {
    fn encode(&self) -> Result<Secret<Vec<u8>>, EncodeError> {
        let mut w = Writer::with_capacity(OUTPUT_PAD + MAX_MEMO + 128);
        w.u8(NOTE_VERSION);
        w.u64(self.amount);
        w.scalar(self.blinding.expose());
        self.asset.write(&mut w);
        w.bytes_u16("memo length", &self.memo, 0, MAX_MEMO);
        write_address(&mut w, self.return_address.map(AddressBytes::from));
        pad(&mut w, OUTPUT_PAD);
        w.finish_secret()
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("note version")?;
        if version != NOTE_VERSION {
            return Err(DecodeError::Version(version));
        }
        let amount = r.u64("amount")?;
        let blinding = Secret::new(r.scalar("blinding")?);
        let asset = AssetId::read(&mut r)?;
        let memo = r.bytes_u16("memo length", 0, MAX_MEMO)?.to_vec();
        let return_address = read_address(&mut r, "return address")?;
        check_padding(r, bytes.len(), OUTPUT_PAD)?;
        Ok(Self {
            amount,
            blinding,
            asset,
            memo,
            return_address,
        })
    }

    fn info(index: u32) -> Vec<u8> {
        [OUTPUT_INFO, &index.to_le_bytes()].concat()
    }

    /// Encrypts the note for output `index` with one-time key bytes `key`
    /// and commitment bytes `commitment`.
    pub fn seal(
        &self,
        shared: &[u8; 32],
        index: u32,
        key: &[u8; 32],
        commitment: &[u8; 32],
    ) -> Result<Vec<u8>, EncodeError> {
        let ad = [key.as_slice(), commitment].concat();
        Ok(payload::seal(
            shared,
            &Self::info(index),
            &ad,
            self.encode()?.expose(),
        ))
    }

    /// The payload key of output `index` (what a receiver discloses: it
    /// opens this one note and nothing else).
    pub fn payload_key(shared: &[u8; 32], index: u32) -> Secret<[u8; 56]> {
        payload::payload_key(shared, &Self::info(index))
    }

    /// Decrypts with a disclosed payload key.
    pub fn open_with_key(
        payload_key: &[u8; 56],
        key: &[u8; 32],
        commitment: &[u8; 32],
        ciphertext: &[u8],
    ) -> Result<Self, NoteError> {
        let ad = [key.as_slice(), commitment].concat();
        let plain = payload::open_with_key(payload_key, &ad, ciphertext)?;
        Ok(Self::decode(plain.expose())?)
    }

    /// Decrypts and parses.
    pub fn open(
        shared: &[u8; 32],
        index: u32,
        key: &[u8; 32],
        commitment: &[u8; 32],
        ciphertext: &[u8],
    ) -> Result<Self, NoteError> {
        let ad = [key.as_slice(), commitment].concat();
        let plain = payload::open(shared, &Self::info(index), &ad, ciphertext)?;
        Ok(Self::decode(plain.expose())?)
    }
}

/// One output as the regulator's note describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatorNoteOutput {
    /// Who is paid (absent for outputs the sender chose not to label).
    pub receiver: Option<AddressBytes>,
    /// The amount the sender claims; the regulator checks it against the
    /// handles.
    pub amount: u64,
    /// The memo.
    pub memo: Vec<u8>,
}

/// What the regulator's note says about a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatorNote {
    /// The paying account.
    pub sender: Option<AddressBytes>,
    /// One entry per output, in output order.
    pub outputs: Vec<RegulatorNoteOutput>,
}

impl RegulatorNote {
    fn encode(&self) -> Result<Secret<Vec<u8>>, EncodeError> {
        let mut w = Writer::with_capacity(MAX_REGULATOR_PAYLOAD);
        w.u8(NOTE_VERSION);
        write_address(&mut w, self.sender);
        w.count_u8("regulator note outputs", self.outputs.len(), 1, MAX_OUTPUTS);
        for o in &self.outputs {
            write_address(&mut w, o.receiver);
            w.u64(o.amount);
            w.bytes_u16("memo length", &o.memo, 0, MAX_MEMO);
        }
        pad(&mut w, REGULATOR_PAD);
        w.finish_secret()
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("note version")?;
        if version != NOTE_VERSION {
            return Err(DecodeError::Version(version));
        }
        let sender = read_label(&mut r, "sender")?;
        let n = r.count_u8("regulator note outputs", 1, MAX_OUTPUTS)?;
        let mut outputs = Vec::with_capacity(n);
        for _ in 0..n {
            outputs.push(RegulatorNoteOutput {
                receiver: read_label(&mut r, "receiver")?,
                amount: r.u64("amount")?,
                memo: r.bytes_u16("memo length", 0, MAX_MEMO)?.to_vec(),
            });
        }
        check_padding(r, bytes.len(), REGULATOR_PAD)?;
        Ok(Self { sender, outputs })
    }

    /// Encrypts the note to `S_reg` with associated data `ad`.
    pub fn seal(&self, shared: &[u8; 32], ad: &[u8; 32]) -> Result<Vec<u8>, EncodeError> {
        Ok(payload::seal(
            shared,
            REGULATOR_INFO,
            ad,
            self.encode()?.expose(),
        ))
    }

    /// Decrypts and parses.
    pub fn open(shared: &[u8; 32], ad: &[u8; 32], ciphertext: &[u8]) -> Result<Self, NoteError> {
        let plain = payload::open(shared, REGULATOR_INFO, ad, ciphertext)?;
        Ok(Self::decode(plain.expose())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_PAYLOAD;
    use veil_crypto::keys::AccountKeys;

    fn note(memo: usize, ret: bool) -> OutputNote {
        OutputNote {
            amount: u64::MAX,
            blinding: Secret::new(Scalar::from(77u64)),
            asset: AssetId::new("CNY").unwrap(),
            memo: vec![b'm'; memo],
            return_address: ret.then(|| *AccountKeys::from_seed(&[1; 32]).address()),
        }
    }

    #[test]
    fn output_note_round_trip_and_largest_fits() {
        let n = note(MAX_MEMO, true);
        let ct = n.seal(&[1; 32], 3, &[2; 32], &[3; 32]).unwrap();
        assert!(ct.len() <= MAX_PAYLOAD, "{}", ct.len());
        let back = OutputNote::open(&[1; 32], 3, &[2; 32], &[3; 32], &ct).unwrap();
        assert_eq!(back.amount, u64::MAX);
        assert_eq!(back.memo, n.memo);
        assert_eq!(back.return_address, n.return_address);
        // Bound to the index, the key and the commitment.
        assert!(OutputNote::open(&[1; 32], 2, &[2; 32], &[3; 32], &ct).is_err());
        assert!(OutputNote::open(&[1; 32], 3, &[9; 32], &[3; 32], &ct).is_err());
        assert!(OutputNote::open(&[1; 32], 3, &[2; 32], &[9; 32], &ct).is_err());
        // Short memos pad to the same size.
        let a = note(0, false)
            .seal(&[1; 32], 0, &[2; 32], &[3; 32])
            .unwrap()
            .len();
        let b = note(10, false)
            .seal(&[1; 32], 0, &[2; 32], &[3; 32])
            .unwrap()
            .len();
        assert_eq!(a, b);
    }

    #[test]
    fn note_decoder_refuses_bad_plaintexts() {
        let good = note(5, false).encode().unwrap();
        assert!(OutputNote::decode(good.expose()).is_ok());
        let mut bad = good.expose().to_vec();
        *bad.last_mut().unwrap() = 1;
        assert!(OutputNote::decode(&bad).is_err());
        let mut longer = good.expose().to_vec();
        longer.extend([0u8; 64]);
        assert!(OutputNote::decode(&longer).is_err());
        let mut v2 = good.expose().to_vec();
        v2[0] = 2;
        assert_eq!(
            OutputNote::decode(&v2).unwrap_err(),
            DecodeError::Version(2)
        );
        for cut in 0..good.expose().len() {
            let _ = OutputNote::decode(&good.expose()[..cut]);
        }
    }

    #[test]
    fn note_encoders_refuse_what_does_not_fit() {
        let mut n = note(0, false);
        n.memo = vec![0; MAX_MEMO + 1];
        assert!(n.seal(&[1; 32], 0, &[2; 32], &[3; 32]).is_err());
        let r = RegulatorNote {
            sender: None,
            outputs: Vec::new(),
        };
        assert!(r.seal(&[5; 32], &[6; 32]).is_err());
    }

    #[test]
    fn regulator_note_round_trip_and_largest_fits() {
        let addr = AddressBytes::from(AccountKeys::from_seed(&[1; 32]).address());
        let n = RegulatorNote {
            sender: Some(addr),
            outputs: (0..MAX_OUTPUTS)
                .map(|i| RegulatorNoteOutput {
                    receiver: Some(addr),
                    amount: u64::try_from(i).unwrap(),
                    memo: vec![7; MAX_MEMO],
                })
                .collect(),
        };
        let ct = n.seal(&[5; 32], &[6; 32]).unwrap();
        assert!(ct.len() <= MAX_REGULATOR_PAYLOAD, "{}", ct.len());
        assert_eq!(RegulatorNote::open(&[5; 32], &[6; 32], &ct).unwrap(), n);
        assert!(RegulatorNote::open(&[5; 32], &[7; 32], &ct).is_err());
    }
}
