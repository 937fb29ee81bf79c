//! Decrypted views and day-end clearing reports ("日终清算").
//!
//! Amounts come from the twisted-ElGamal handles (proven by validators), so
//! they are exactly what moved; the regulator note supplies who and why
//! (sender, receivers, memos), and any note that disagrees with the proven
//! amount is flagged (`payload_matches = false`).

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context};
use serde::Serialize;

use crate::api::types::RegulatorTxJson;
use crate::crypto::keys::AddressBytes;
use crate::tx::bundle::view::open_for_regulator;
use crate::tx::{AssetId, OutputBundle, Transaction};

use super::keystore::Credentials;

/// One output as the regulator reads it.
#[derive(Clone, Debug, Serialize)]
pub struct OutputRow {
    /// Position in the transaction.
    pub index: u32,
    /// Receiver: participant name, or address.
    pub to: String,
    /// Proven amount (minor units).
    pub amount: u64,
    /// Memo.
    pub memo: String,
    /// Whether the note's claimed amount equals the proven amount.
    pub payload_matches: bool,
    /// Paid back to the sender (change).
    pub change: bool,
}

/// One transaction as the regulator reads it.
#[derive(Clone, Debug, Serialize)]
pub struct TransferRow {
    /// Hash.
    pub tx: String,
    /// Height.
    pub height: u64,
    /// Block time.
    pub timestamp_ms: u64,
    /// `transfer` or `mint`.
    pub kind: String,
    /// Asset.
    pub asset: String,
    /// Public fee.
    pub fee: u64,
    /// Sender: participant name, address, or `issuer` for a mint.
    pub from: String,
    /// Outputs.
    pub outputs: Vec<OutputRow>,
}

impl TransferRow {
    /// Amount paid to others (outputs that are not change).
    pub fn paid(&self) -> u128 {
        self.outputs
            .iter()
            .filter(|o| !o.change)
            .map(|o| u128::from(o.amount))
            .sum()
    }

    /// Whether `party` sent or received.
    pub fn involves(&self, party: &str) -> bool {
        self.from == party || self.outputs.iter().any(|o| o.to == party)
    }
}

/// Names participants by address digest ([`AddressBytes::digest`]).
pub type Directory = HashMap<[u8; 32], String>;

fn name(dir: &Directory, a: Option<AddressBytes>) -> String {
    match a {
        None => "(unnamed)".into(),
        Some(a) => dir
            .get(&a.digest())
            .cloned()
            .unwrap_or_else(|| a.to_string()),
    }
}

/// Decrypts served transactions with `creds`. Fails, naming the epoch, on
/// a transaction these credentials cannot open (e.g. an auditor outside its
/// epoch).
pub fn decrypt(
    creds: &Credentials,
    served: &[RegulatorTxJson],
    dir: &Directory,
) -> anyhow::Result<Vec<TransferRow>> {
    let mut decoded = Vec::with_capacity(served.len());
    for s in served {
        let tx = Transaction::decode(&hex::decode(&s.hex)?)
            .with_context(|| format!("transaction {}", s.hash))?;
        let slot = s
            .key
            .as_ref()
            .with_context(|| format!("transaction {} uses an unpublished regulator key", s.hash))?;
        decoded.push((s, tx, (slot.jurisdiction.clone(), slot.epoch, slot.version)));
    }
    // Group by key so each group opens in one batch.
    let mut groups: BTreeMap<(String, u64, u32), Vec<usize>> = BTreeMap::new();
    for (i, (_, _, slot)) in decoded.iter().enumerate() {
        groups.entry(slot.clone()).or_default().push(i);
    }
    let mut rows: Vec<Option<TransferRow>> = vec![None; decoded.len()];
    for ((j, epoch, version), idx) in groups {
        let Some(key) = creds.epoch_key(&j, epoch, version) else {
            bail!(
                "transaction {} is encrypted to epoch {epoch} (v{version}) of {j}; these credentials ({}) cannot open it",
                decoded[idx[0]].0.hash,
                creds.describe()
            );
        };
        let bundles: Vec<(&AssetId, &OutputBundle)> =
            idx.iter().filter_map(|&i| decoded[i].1.outputs()).collect();
        let views = open_for_regulator(key.key(), &bundles);
        for (&i, view) in idx.iter().zip(views) {
            let (s, tx, _) = &decoded[i];
            let view = view.map_err(|e| anyhow::anyhow!("transaction {}: {e}", s.hash))?;
            let (from, fee) = match tx {
                Transaction::Mint(_) => ("issuer".to_owned(), 0),
                Transaction::Transfer(t) => (name(dir, view.sender), t.fee),
                _ => continue,
            };
            let outputs = view
                .outputs
                .iter()
                .map(|o| {
                    let to = name(dir, o.receiver);
                    OutputRow {
                        index: o.index,
                        change: to == from,
                        to,
                        amount: o.amount,
                        memo: String::from_utf8_lossy(&o.memo).into_owned(),
                        payload_matches: o.payload_matches,
                    }
                })
                .collect();
            rows[i] = Some(TransferRow {
                tx: s.hash.clone(),
                height: s.height,
                timestamp_ms: s.timestamp_ms,
                kind: s.kind.clone(),
                asset: s.asset.clone(),
                fee,
                from,
                outputs,
            });
        }
    }
    Ok(rows.into_iter().flatten().collect())
}

/// CSV, one line per output.
pub fn to_csv(rows: &[TransferRow]) -> String {
    let esc = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::from(
        "tx,height,timestamp_ms,kind,asset,from,to,amount,fee,change,payload_matches,memo\n",
    );
    for r in rows {
        for o in &r.outputs {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{}\n",
                r.tx,
                r.height,
                r.timestamp_ms,
                r.kind,
                r.asset,
                esc(&r.from),
                esc(&o.to),
                o.amount,
                r.fee,
                o.change,
                o.payload_matches,
                esc(&o.memo)
            ));
        }
    }
    out
}

/// Totals of one participant in one asset.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PartyTotals {
    /// Received from others.
    pub inflow: u128,
    /// Paid to others (fees excluded).
    pub outflow: u128,
    /// Fees paid.
    pub fees: u128,
    /// inflow − outflow − fees.
    pub net: i128,
    /// Transfers received.
    pub received: u64,
    /// Transfers sent.
    pub sent: u64,
}

/// A large transfer.
#[derive(Clone, Debug, Serialize)]
pub struct LargeTransfer {
    /// Transaction.
    pub tx: String,
    /// Height.
    pub height: u64,
    /// Asset.
    pub asset: String,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Amount.
    pub amount: u64,
}

/// The day-end clearing report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// First height.
    pub from_height: u64,
    /// Last height.
    pub to_height: u64,
    /// Transactions covered.
    pub transactions: usize,
    /// Per participant, per asset.
    pub totals: BTreeMap<String, BTreeMap<String, PartyTotals>>,
    /// The largest payments, largest first.
    pub largest: Vec<LargeTransfer>,
    /// Outputs whose note disagreed with the proven amount.
    pub flagged: Vec<String>,
}

/// Aggregates rows into a report.
pub fn report(rows: &[TransferRow], from_height: u64, to_height: u64, top: usize) -> Report {
    let mut totals: BTreeMap<String, BTreeMap<String, PartyTotals>> = BTreeMap::new();
    let mut payments = Vec::new();
    let mut flagged = Vec::new();
    for r in rows {
        let mut sent_any = false;
        for o in &r.outputs {
            if !o.payload_matches {
                flagged.push(format!("{}#{}", r.tx, o.index));
            }
            if o.change {
                continue;
            }
            sent_any = true;
            let amount = u128::from(o.amount);
            let to = totals
                .entry(o.to.clone())
                .or_default()
                .entry(r.asset.clone())
                .or_default();
            to.inflow += amount;
            to.received += 1;
            let from = totals
                .entry(r.from.clone())
                .or_default()
                .entry(r.asset.clone())
                .or_default();
            from.outflow += amount;
            payments.push(LargeTransfer {
                tx: r.tx.clone(),
                height: r.height,
                asset: r.asset.clone(),
                from: r.from.clone(),
                to: o.to.clone(),
                amount: o.amount,
            });
        }
        let from = totals
            .entry(r.from.clone())
            .or_default()
            .entry(r.asset.clone())
            .or_default();
        from.fees += u128::from(r.fee);
        if sent_any {
            from.sent += 1;
        }
    }
    for assets in totals.values_mut() {
        for t in assets.values_mut() {
            let signed = |v: u128| i128::try_from(v).unwrap_or(i128::MAX);
            t.net = signed(t.inflow) - signed(t.outflow) - signed(t.fees);
        }
    }
    payments.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.height.cmp(&b.height)));
    payments.truncate(top);
    Report {
        from_height,
        to_height,
        transactions: rows.len(),
        totals,
        largest: payments,
        flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(from: &str, outs: &[(&str, u64)], fee: u64) -> TransferRow {
        TransferRow {
            tx: format!("{from}{}", outs.len()),
            height: 1,
            timestamp_ms: 0,
            kind: "transfer".into(),
            asset: "CNY".into(),
            fee,
            from: from.into(),
            outputs: outs
                .iter()
                .enumerate()
                .map(|(i, (to, a))| OutputRow {
                    index: u32::try_from(i).unwrap(),
                    to: (*to).into(),
                    amount: *a,
                    memo: String::new(),
                    payload_matches: true,
                    change: *to == from,
                })
                .collect(),
        }
    }

    #[test]
    fn report_nets_out_change_and_fees() {
        let rows = vec![
            row("a", &[("b", 100), ("a", 50)], 1),
            row("b", &[("a", 30), ("b", 69)], 1),
        ];
        let r = report(&rows, 0, 9, 10);
        let a = &r.totals["a"]["CNY"];
        let b = &r.totals["b"]["CNY"];
        assert_eq!((a.inflow, a.outflow, a.fees, a.net), (30, 100, 1, -71));
        assert_eq!((b.inflow, b.outflow, b.fees, b.net), (100, 30, 1, 69));
        assert_eq!(r.largest[0].amount, 100);
        assert_eq!(r.largest.len(), 2);
        let csv = to_csv(&rows);
        assert_eq!(csv.lines().count(), 5);
    }
}
