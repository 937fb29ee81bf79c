//! Shares of threshold regulator openings, relayed by the node: an
//! officer's sealed partial decryption is kept only together with the
//! access record carrying the officer's signed request (journalled and
//! queued first, as for every regulator request), and is served only once
//! that record is committed. A threshold view therefore cannot exist
//! without each officer's contribution on the ledger.
//!
//! Blobs are ciphertexts sealed to the requester's one-time key; the node
//! cannot read them. They live under `<data>/threshold/<request>/`, one file
//! per upload: `requester key (32) ‖ nonce (16) ‖ record hash (32) ‖
//! officer (u16 LE) ‖ blob`. Shares are kept by the node that received them
//! (officers and requester use the same node).

use std::io::Write;
use std::path::PathBuf;

use veil_tx::access::RegulatorRequest;
use veil_tx::{LedgerView, Transaction};

use super::{AccessError, Node, NodeError};

/// A share whose record is committed.
#[derive(Clone, Debug)]
pub struct RelayedShare {
    /// The officer's index (as its signed request states).
    pub officer: u16,
    /// Who signed the record.
    pub officer_key: [u8; 32],
    /// The record's hash.
    pub record: [u8; 32],
    /// The sealed partial.
    pub blob: Vec<u8>,
}

const HEAD: usize = 32 + 16 + 32 + 2;
/// Most uploads kept per request (a request has at most 64 officers; a
/// few retries each).
pub const MAX_UPLOADS_PER_REQUEST: usize = 256;

impl Node {
    fn threshold_dir(&self, request: &[u8; 32]) -> PathBuf {
        self.config
            .data_dir
            .join("threshold")
            .join(hex::encode(request))
    }

    /// Records an officer's share upload (its signed request becomes an
    /// access record) and keeps the blob. Returns the record's hash.
    pub fn threshold_keep(
        &self,
        req: RegulatorRequest,
        heights: (u64, u64),
        request: &[u8; 32],
        officer: u16,
        blob: &[u8],
    ) -> Result<[u8; 32], AccessError> {
        let record = Transaction::Access(req.clone())
            .hash()
            .map_err(veil_tx::TxError::from)?
            .0;
        let dir = self.threshold_dir(request);
        let uploads = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        if uploads >= MAX_UPLOADS_PER_REQUEST {
            return Err(AccessError::TooManyShares(uploads));
        }
        let (requester, nonce) = (*req.requester.as_bytes(), req.nonce);
        self.authorize_and_record(req, heights)?;
        let mut bytes = Vec::with_capacity(HEAD + blob.len());
        bytes.extend_from_slice(&requester);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&record);
        bytes.extend_from_slice(&officer.to_le_bytes());
        bytes.extend_from_slice(blob);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{officer}-{}.share", hex::encode(record)));
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::OpenOptions::new();
            f.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
            let mut file = f.open(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(AccessError::NotKept)?;
        Ok(record)
    }

    /// The shares of `request` whose records are committed, and how many
    /// more wait for their record.
    pub fn threshold_shares(
        &self,
        request: &[u8; 32],
    ) -> Result<(Vec<RelayedShare>, usize), NodeError> {
        let dir = self.threshold_dir(request);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], 0)),
            Err(e) => return Err(e.into()),
        };
        let (mut served, mut pending) = (Vec::new(), 0);
        for entry in entries {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("share") {
                continue;
            }
            let bytes = std::fs::read(&path)?;
            if bytes.len() < HEAD {
                continue;
            }
            let key: [u8; 32] = bytes[..32].try_into().unwrap_or_default();
            let nonce: [u8; 16] = bytes[32..48].try_into().unwrap_or_default();
            let record: [u8; 32] = bytes[48..80].try_into().unwrap_or_default();
            let officer = u16::from_le_bytes([bytes[80], bytes[81]]);
            let Ok(vk) = veil_crypto::signing::VerifyingKey::from_bytes(&key) else {
                continue;
            };
            if self.ledger.access_nonce_used(&vk, &nonce) {
                served.push(RelayedShare {
                    officer,
                    officer_key: key,
                    record,
                    blob: bytes[HEAD..].to_vec(),
                });
            } else {
                pending += 1;
            }
        }
        served.sort_by_key(|s| (s.officer, s.record));
        Ok((served, pending))
    }
}
