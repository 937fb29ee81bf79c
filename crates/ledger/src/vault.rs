//! Evidence-vault state in the ledger: the records of
//! `veil_tx::vault::records` in the `vault` column family (state tree),
//! and each document's trail in `vault_log` (`doc ‖ height_be ‖
//! position_be → tx hash`, derivable from the transactions).

use veil_crypto::signing::VerifyingKey;
use veil_tx::vault::{records as rec, DocId, VaultState};
use veil_tx::TxHash;

use super::chain::Ledger;
use super::store::{Cf, StoreError};

/// `doc ‖ height ‖ position`.
pub fn log_key(doc: &DocId, height: u64, position: u32) -> Vec<u8> {
    [&doc[..], &height.to_be_bytes(), &position.to_be_bytes()].concat()
}

impl VaultState for Ledger {
    fn vault_record(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.get_or_log(Cf::Vault, key)
    }
}

fn corrupt(cf: &'static str) -> StoreError {
    StoreError::Corrupt {
        cf,
        source: veil_codec::DecodeError::Invalid {
            what: "entry",
            why: "malformed",
        },
    }
}

impl Ledger {
    /// A document's trail: every committed record about it, in order
    /// (height, position, tx hash), at most `limit`.
    pub fn vault_log(
        &self,
        doc: &DocId,
        limit: usize,
    ) -> Result<Vec<(u64, u32, TxHash)>, StoreError> {
        self.store()
            .scan(Cf::VaultLog, doc, doc, limit)?
            .into_iter()
            .map(|(k, v)| {
                let height = k
                    .get(32..40)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| corrupt("vault_log"))?;
                let position = k
                    .get(40..44)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                    .ok_or_else(|| corrupt("vault_log"))?;
                let hash = <[u8; 32]>::try_from(v.as_slice()).map_err(|_| corrupt("vault_log"))?;
                Ok((height, position, TxHash(hash)))
            })
            .collect()
    }

    /// The documents `owner` created (purged ones included), at most
    /// `limit`.
    pub fn vault_docs_of(
        &self,
        owner: &VerifyingKey,
        limit: usize,
    ) -> Result<Vec<DocId>, StoreError> {
        let prefix = [&b"o"[..], owner.as_bytes()].concat();
        self.store()
            .scan(Cf::Vault, &prefix, &prefix, limit)?
            .into_iter()
            .map(|(k, _)| {
                k.get(33..65)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| corrupt("vault"))
            })
            .collect()
    }

    /// Ciphertext bytes `owner` keeps in the vault: every version of every
    /// document not purged (what a node's quota counts).
    pub fn vault_usage(&self, owner: &VerifyingKey) -> Result<u64, StoreError> {
        let mut total = 0u64;
        for doc in self.vault_docs_of(owner, usize::MAX)? {
            let Some(d) = rec::doc(self, &doc).map_err(|_| corrupt("vault"))? else {
                continue;
            };
            if d.purged {
                continue;
            }
            for v in 1..=d.latest {
                if let Some(v) = rec::version(self, &doc, v).map_err(|_| corrupt("vault"))? {
                    total = total.saturating_add(v.size);
                }
            }
        }
        Ok(total)
    }

    /// Every version of every live document (purges delete theirs): what
    /// each node keeps a copy of, in key order, at most `limit`.
    pub fn vault_versions(
        &self,
        limit: usize,
    ) -> Result<Vec<(DocId, u32, rec::VersionRecord)>, StoreError> {
        use veil_codec::DecodeExt;
        self.store()
            .scan(Cf::Vault, b"v", b"v", limit)?
            .into_iter()
            .map(|(k, v)| {
                let doc: DocId = k
                    .get(1..33)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| corrupt("vault"))?;
                let version = k
                    .get(33..37)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                    .ok_or_else(|| corrupt("vault"))?;
                let record = rec::VersionRecord::decode(&v).map_err(|_| corrupt("vault"))?;
                Ok((doc, version, record))
            })
            .collect()
    }

    /// The documents purged (tombstones), by their owner or the committee.
    pub fn vault_purged_docs(&self) -> Result<Vec<DocId>, StoreError> {
        use veil_codec::DecodeExt;
        let mut out = Vec::new();
        for (k, v) in self.store().scan(Cf::Vault, b"d", b"d", usize::MAX)? {
            let doc: DocId = k
                .get(1..33)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| corrupt("vault"))?;
            if rec::DocRecord::decode(&v)
                .map_err(|_| corrupt("vault"))?
                .purged
            {
                out.push(doc);
            }
        }
        Ok(out)
    }
}
