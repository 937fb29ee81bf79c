//! Decrypted views and day-end clearing reports ("日终清算").
//!
//! Amounts come from the twisted-ElGamal handles (proven by validators), so
//! they are exactly what moved; the regulator note supplies who and why
//! (sender, receivers, memos), and any note that disagrees with the proven
//! amount is flagged (`payload_matches = false`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use veil_client::types::RegulatorTxJson;
use veil_crypto::keys::AddressBytes;
use veil_crypto::regulator_ciphertext::RegulatorOpening;
use veil_tx::bundle::view::open_for_regulator;
use veil_tx::{AssetId, OutputBundle, OutputsView, Transaction};

use super::credentials::Credentials;
use super::RegulatorError;

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

/// A transaction as served to a regulator, borrowed.
pub struct Served<'a> {
    /// Hash, hex.
    pub hash: &'a str,
    /// Height.
    pub height: u64,
    /// Block time.
    pub timestamp_ms: u64,
    /// Published key slot: jurisdiction, epoch, version.
    pub key: Option<(&'a str, u64, u32)>,
    /// The encoded transaction.
    pub bytes: &'a [u8],
}

/// The bytes of served transactions (JSON form), decoded from hex.
pub fn served_bytes(served: &[RegulatorTxJson]) -> Result<Vec<Vec<u8>>, RegulatorError> {
    served
        .iter()
        .map(|s| hex::decode(&s.hex).map_err(|_| RegulatorError::NotHex(s.hash.clone())))
        .collect()
}

/// Served transactions (JSON form) as [`Served`], over their `bytes`
/// ([`served_bytes`]).
pub fn as_served<'a>(served: &'a [RegulatorTxJson], bytes: &'a [Vec<u8>]) -> Vec<Served<'a>> {
    served
        .iter()
        .zip(bytes)
        .map(|(s, b)| Served {
            hash: &s.hash,
            height: s.height,
            timestamp_ms: s.timestamp_ms,
            key: s
                .key
                .as_ref()
                .map(|k| (k.jurisdiction.as_str(), k.epoch, k.version)),
            bytes: b,
        })
        .collect()
}

/// Decrypts served transactions (JSON form) with `creds`.
pub fn decrypt(
    creds: &Credentials,
    served: &[RegulatorTxJson],
    dir: &Directory,
) -> Result<Vec<TransferRow>, RegulatorError> {
    let bytes = served_bytes(served)?;
    decrypt_served(creds, &as_served(served, &bytes), dir)
}

type Decoded = Vec<(usize, OutputsView)>;

fn decode_all(served: &[Served<'_>]) -> Result<Decoded, RegulatorError> {
    use rayon::prelude::*;
    Ok(served
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            Transaction::decode_outputs(s.bytes)
                .map_err(|source| RegulatorError::Decode {
                    tx: s.hash.to_owned(),
                    source,
                })
                .map(|v| v.map(|v| (i, v)))
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Decrypts served transactions with `creds`, in parallel. Fails, naming
/// the epoch, on a transaction these credentials cannot open (e.g. an
/// auditor outside its epoch).
pub fn decrypt_served(
    creds: &Credentials,
    served: &[Served<'_>],
    dir: &Directory,
) -> Result<Vec<TransferRow>, RegulatorError> {
    let decoded = decode_all(served)?;
    // Group by key so each group opens in batches with one derived key.
    let mut groups: BTreeMap<(&str, u64, u32), Vec<usize>> = BTreeMap::new();
    for (d, (i, _)) in decoded.iter().enumerate() {
        let s = &served[*i];
        let slot = s
            .key
            .ok_or_else(|| RegulatorError::UnpublishedKey(s.hash.to_owned()))?;
        groups.entry(slot).or_default().push(d);
    }
    let mut rows: Vec<Option<TransferRow>> = vec![None; decoded.len()];
    for ((j, epoch, version), idx) in groups {
        let Some(key) = creds.epoch_key(j, epoch, version) else {
            return Err(RegulatorError::NoEpochKey {
                tx: served[decoded[idx[0]].0].hash.to_owned(),
                jurisdiction: j.to_owned(),
                epoch,
                version,
                holder: creds.describe(),
            });
        };
        for (d, row) in open_group(key.key(), served, &decoded, &idx, dir)? {
            rows[d] = Some(row);
        }
    }
    Ok(rows.into_iter().flatten().collect())
}

/// Decrypts served transactions with one key: a threshold key's combined
/// decryptions ([`veil_crypto::threshold::CombinedKey`]) or any other
/// [`RegulatorOpening`]. The caller passes only transactions of that key.
pub fn decrypt_served_with<K: RegulatorOpening + ?Sized>(
    key: &K,
    served: &[Served<'_>],
    dir: &Directory,
) -> Result<Vec<TransferRow>, RegulatorError> {
    let decoded = decode_all(served)?;
    let idx: Vec<usize> = (0..decoded.len()).collect();
    let mut rows = open_group(key, served, &decoded, &idx, dir)?;
    rows.sort_by_key(|(d, _)| *d);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Opens `decoded[idx]` with `key`, in parallel chunks.
fn open_group<K: RegulatorOpening + ?Sized>(
    key: &K,
    served: &[Served<'_>],
    decoded: &Decoded,
    idx: &[usize],
    dir: &Directory,
) -> Result<Vec<(usize, TransferRow)>, RegulatorError> {
    use rayon::prelude::*;
    let chunk = idx
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .clamp(1, 512);
    Ok(idx
        .par_chunks(chunk)
        .map(|part| {
            let bundles: Vec<(&AssetId, &OutputBundle)> = part
                .iter()
                .map(|&d| (&decoded[d].1.asset, &decoded[d].1.bundle))
                .collect();
            let views = open_for_regulator(key, &bundles);
            part.iter()
                .zip(views)
                .map(|(&d, view)| {
                    let (i, v) = &decoded[d];
                    let s = &served[*i];
                    let view = view.map_err(|source| RegulatorError::Open {
                        tx: s.hash.to_owned(),
                        source,
                    })?;
                    let from = if v.kind == veil_tx::KIND_MINT {
                        "issuer".to_owned()
                    } else {
                        name(dir, view.sender)
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
                                // An attached document is named, its key never shown.
                                memo: veil_tx::vault::attachment::display(
                                    &String::from_utf8_lossy(&o.memo),
                                ),
                                payload_matches: o.payload_matches,
                            }
                        })
                        .collect();
                    Ok((
                        d,
                        TransferRow {
                            tx: s.hash.to_owned(),
                            height: s.height,
                            timestamp_ms: s.timestamp_ms,
                            kind: if v.kind == veil_tx::KIND_MINT {
                                "mint".into()
                            } else {
                                "transfer".into()
                            },
                            asset: v.asset.to_string(),
                            fee: v.fee,
                            from,
                            outputs,
                        },
                    ))
                })
                .collect::<Result<Vec<_>, RegulatorError>>()
        })
        .collect::<Result<Vec<_>, RegulatorError>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// A CSV field (RFC 4180), with formula-leading characters defused so a
/// spreadsheet shows a memo as text instead of running it.
pub(crate) fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// CSV, one line per output, amounts in minor units (`veil regulator view
/// --format csv`; the console's export is `session::view_csv`, in
/// decimals).
pub fn to_csv(rows: &[TransferRow]) -> String {
    let esc = csv_field;
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
        // One payment per (transaction, receiver), however many outputs.
        let mut per_receiver: BTreeMap<&str, u64> = BTreeMap::new();
        for o in &r.outputs {
            if !o.payload_matches {
                flagged.push(format!("{}#{}", r.tx, o.index));
            }
            if !o.change {
                let e = per_receiver.entry(o.to.as_str()).or_default();
                *e = e.saturating_add(o.amount);
            }
        }
        let sent_any = !per_receiver.is_empty();
        for (to_name, amount) in per_receiver {
            let to = totals
                .entry(to_name.to_owned())
                .or_default()
                .entry(r.asset.clone())
                .or_default();
            to.inflow += u128::from(amount);
            to.received += 1;
            let from = totals
                .entry(r.from.clone())
                .or_default()
                .entry(r.asset.clone())
                .or_default();
            from.outflow += u128::from(amount);
            payments.push(LargeTransfer {
                tx: r.tx.clone(),
                height: r.height,
                asset: r.asset.clone(),
                from: r.from.clone(),
                to: to_name.to_owned(),
                amount,
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

    #[test]
    fn several_outputs_to_one_receiver_are_one_payment() {
        let rows = vec![row("issuer", &[("b", 10), ("b", 20), ("c", 5)], 0)];
        let r = report(&rows, 0, 0, 10);
        assert_eq!(
            (r.totals["b"]["CNY"].inflow, r.totals["b"]["CNY"].received),
            (30, 1)
        );
        assert_eq!(r.totals["issuer"]["CNY"].sent, 1);
        assert_eq!(r.largest.len(), 2);
        assert_eq!(r.largest[0].amount, 30);
    }
}
