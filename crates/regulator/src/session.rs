//! What the regulator's command line and its local console both do:
//! audited views and reports over a height range or a day, the
//! participant directory, asset decimals, the regulator's own audit trail,
//! and CSV in decimal amounts.
//!
//! Every view and report goes through [`crate::fetch_transactions`], so
//! each leaves the same on-ledger access record whichever interface asked.

use std::collections::HashMap;

use serde::Serialize;

use rand_core::OsRng;

use veil_client::types::{
    AuditEntryJson, AuditLogJson, BlockJson, ParticipantJson, RegulatorRegistryJson,
};
use veil_client::Client;
use veil_crypto::signing::SigningKey;
use veil_tx::access::Delegation;

use crate::credentials::Credentials;
use crate::view::{csv_field, decrypt, report, Directory, Report, TransferRow};
use crate::{fetch_transactions, RegulatorError};

/// What to look at.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// First height.
    pub from: u64,
    /// Last height (`None`: the tip).
    pub to: Option<u64>,
    /// Only transfers from or to this participant.
    pub bank: Option<String>,
    /// Only this asset.
    pub asset: Option<String>,
}

/// An audited view.
#[derive(Clone, Debug, Serialize)]
pub struct View {
    /// First height.
    pub from_height: u64,
    /// Last height.
    pub to_height: u64,
    /// Who looked.
    pub viewer: String,
    /// The access records the node left on the ledger for this view.
    pub access_records: Vec<String>,
    /// The transfers, decrypted.
    pub transfers: Vec<TransferRow>,
}

/// An auditor key handed out.
#[derive(Clone, Debug, Serialize)]
pub struct Delegated {
    /// The jurisdiction.
    pub jurisdiction: String,
    /// The epoch.
    pub epoch: u64,
    /// The key versions of that epoch the auditor holds.
    pub versions: Vec<u32>,
    /// The auditor's request-signing key.
    pub auditor: String,
    /// When the delegation expires, ms since the Unix epoch.
    pub expires_ms: u64,
}

/// A regulator (or auditor) working against one node.
pub struct Session {
    api: String,
    creds: Credentials,
}

impl Session {
    /// Credentials against the node at `api`.
    pub fn new(api: impl Into<String>, creds: Credentials) -> Self {
        Self {
            api: api.into(),
            creds,
        }
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// The node's API.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The participant directory: address digest → name.
    pub fn directory(&self) -> Result<Directory, RegulatorError> {
        let list: Vec<ParticipantJson> = get(&Client::new(&self.api), "/v1/participants")?;
        let mut dir = HashMap::new();
        for p in list {
            let d: [u8; 32] = hex::decode(&p.address_digest)
                .ok()
                .and_then(|d| d.try_into().ok())
                .ok_or_else(|| RegulatorError::Directory(p.name.clone()))?;
            dir.insert(d, p.name);
        }
        Ok(dir)
    }

    /// Decimal places of every asset (asset id → decimals).
    pub fn decimals(&self) -> HashMap<String, u8> {
        Client::new(&self.api)
            .status()
            .map(|s| s.assets.into_iter().map(|a| (a.id, a.decimals)).collect())
            .unwrap_or_default()
    }

    /// Decrypts every transfer `q` selects, in audited requests; the query
    /// filters are sent so that the audit trail shows what was asked.
    pub fn view(&self, q: &Query, report_query: bool) -> Result<View, RegulatorError> {
        let mut filters = String::new();
        if let Some(b) = &q.bank {
            filters.push_str(&format!("&bank={b}"));
        }
        if let Some(a) = &q.asset {
            filters.push_str(&format!("&asset={a}"));
        }
        if report_query {
            filters.push_str("&report=1");
        }
        let tip = Client::new(&self.api).status()?.height;
        let to = q.to.unwrap_or(tip).min(tip);
        let (served, records) =
            fetch_transactions(&self.api, &self.creds, q.from, Some(to), &filters)?;
        let dir = self.directory()?;
        let mut rows = decrypt(&self.creds, &served, &dir)?;
        if let Some(a) = &q.asset {
            rows.retain(|r| &r.asset == a);
        }
        if let Some(b) = &q.bank {
            rows.retain(|r| r.involves(b));
        }
        Ok(View {
            from_height: q.from,
            to_height: to,
            viewer: self.creds.describe(),
            access_records: records,
            transfers: rows,
        })
    }

    /// The day-end clearing report over `q` (asset filter only), with the
    /// `top` largest transfers; also the view it was made from.
    pub fn report(&self, q: &Query, top: usize) -> Result<(Report, View), RegulatorError> {
        let q = Query {
            bank: None,
            ..q.clone()
        };
        let v = self.view(&q, true)?;
        Ok((report(&v.transfers, v.from_height, v.to_height, top), v))
    }

    /// The heights of the blocks stamped within `[start_ms, end_ms)` (a
    /// day, say): `None` when no block falls in it. Block timestamps never
    /// decrease, so this is two binary searches over headers.
    pub fn heights_between(
        &self,
        start_ms: u64,
        end_ms: u64,
    ) -> Result<Option<(u64, u64)>, RegulatorError> {
        let client = Client::new(&self.api);
        let tip = client.status()?.height;
        let time_at = |h: u64| -> Result<u64, RegulatorError> {
            let b: BlockJson = get(&client, &format!("/v1/blocks/{h}"))?;
            Ok(b.header.timestamp_ms)
        };
        // First height whose time is ≥ t (tip + 1 if none).
        let first_at_or_after = |t: u64| -> Result<u64, RegulatorError> {
            let (mut lo, mut hi) = (0u64, tip + 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if time_at(mid)? < t {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            Ok(lo)
        };
        let first = first_at_or_after(start_ms)?;
        let end = first_at_or_after(end_ms)?;
        Ok((first < end).then(|| (first, end - 1)))
    }

    /// Hands an external auditor the key of one `epoch` (every published
    /// version of it) and nothing else: a fresh auditor signing key, a
    /// delegation certificate valid `expires_days`, written as an
    /// encrypted keystore at `out` (0600). Only a regulator can delegate.
    pub fn delegate(
        &self,
        epoch: u64,
        out: &std::path::Path,
        expires_days: u64,
        passphrase: &str,
        kdf: veil_keystore::KdfParams,
    ) -> Result<Delegated, RegulatorError> {
        let Credentials::Regulator {
            master,
            jurisdiction,
            ..
        } = &self.creds
        else {
            return Err(RegulatorError::NotRegulator(self.creds.describe()));
        };
        let reg: RegulatorRegistryJson = get(&Client::new(&self.api), "/v1/regulator-keys")?;
        let mut versions: Vec<u32> = reg
            .keys
            .iter()
            .filter(|k| k.jurisdiction == jurisdiction.as_str() && k.epoch == epoch)
            .map(|k| k.version)
            .collect();
        if versions.is_empty() {
            versions.push(0);
        }
        let jkey = master.jurisdiction(jurisdiction.as_str());
        let keys: Vec<_> = versions.iter().map(|v| jkey.epoch(epoch, *v)).collect();
        let auditor = SigningKey::generate(&mut OsRng);
        let expires_ms =
            veil_clock::now_ms().saturating_add(expires_days.saturating_mul(24 * 3600 * 1000));
        let cert = Delegation::issue(
            &master.identity(),
            *auditor.public(),
            jurisdiction.clone(),
            epoch,
            expires_ms,
        )
        .map_err(|e| RegulatorError::Malformed(e.to_string()))?;
        Credentials::save_auditor(out, &keys, &auditor, &cert, passphrase, kdf)?;
        Ok(Delegated {
            jurisdiction: jurisdiction.to_string(),
            epoch,
            versions,
            auditor: auditor.public().to_string(),
            expires_ms,
        })
    }

    /// The on-ledger access records these credentials left (newest first),
    /// from height `from`.
    pub fn own_audit_trail(&self, from: u64) -> Result<Vec<AuditEntryJson>, RegulatorError> {
        let me = self.creds.signer().public().to_string();
        let log: AuditLogJson = get(
            &Client::new(&self.api),
            &format!("/v1/audit-log?from={from}"),
        )?;
        let mut mine: Vec<AuditEntryJson> = log
            .entries
            .into_iter()
            .filter(|e| e.requester == me)
            .collect();
        mine.reverse();
        Ok(mine)
    }
}

/// `GET path`, decoded as `T`.
fn get<T: serde::de::DeserializeOwned>(client: &Client, path: &str) -> Result<T, RegulatorError> {
    serde_json::from_value(client.get_json(path)?)
        .map_err(|e| RegulatorError::Malformed(format!("{path}: {e}")))
}

/// CSV of a view, one line per output, amounts in the asset's decimals
/// (and again in minor units, for systems that want integers).
pub fn view_csv(rows: &[TransferRow], decimals: &HashMap<String, u8>) -> String {
    let mut out = String::from(
        "tx,height,timestamp_ms,kind,asset,from,to,amount,amount_minor,fee,change,payload_matches,memo\n",
    );
    for r in rows {
        let d = decimals.get(&r.asset).copied().unwrap_or(0);
        for o in &r.outputs {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                r.tx,
                r.height,
                r.timestamp_ms,
                r.kind,
                csv_field(&r.asset),
                csv_field(&r.from),
                csv_field(&o.to),
                veil_client::amount::format(u128::from(o.amount), d),
                o.amount,
                veil_client::amount::format(u128::from(r.fee), d),
                o.change,
                o.payload_matches,
                csv_field(&o.memo)
            ));
        }
    }
    out
}

/// CSV of a clearing report, one line per participant and asset, amounts
/// in the asset's decimals.
pub fn report_csv(rep: &Report, decimals: &HashMap<String, u8>) -> String {
    let mut out = String::from("participant,asset,inflow,outflow,fees,net,received,sent\n");
    for (party, assets) in &rep.totals {
        for (asset, t) in assets {
            let d = decimals.get(asset).copied().unwrap_or(0);
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                csv_field(party),
                csv_field(asset),
                veil_client::amount::format(t.inflow, d),
                veil_client::amount::format(t.outflow, d),
                veil_client::amount::format(t.fees, d),
                veil_client::amount::format_signed(t.net, d),
                t.received,
                t.sent
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::OutputRow;

    #[test]
    fn csv_in_decimals_and_defused() {
        let rows = vec![TransferRow {
            tx: "ab".into(),
            height: 3,
            timestamp_ms: 9,
            kind: "transfer".into(),
            asset: "USD".into(),
            fee: 10,
            from: "bank-a".into(),
            outputs: vec![OutputRow {
                index: 0,
                to: "bank-b".into(),
                amount: 25_000,
                memo: "=HYPERLINK(\"x\"), first".into(),
                payload_matches: true,
                change: false,
            }],
        }];
        let dec = HashMap::from([("USD".to_owned(), 2u8)]);
        let csv = view_csv(&rows, &dec);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.contains(",250.00,25000,0.10,"), "{line}");
        assert!(
            line.ends_with("\"'=HYPERLINK(\"\"x\"\"), first\""),
            "{line}"
        );
    }
}
