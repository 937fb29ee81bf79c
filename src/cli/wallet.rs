//! `veil wallet …` and `veil tx submit`.

use std::path::{Path, PathBuf};
use std::time::Duration;
use veil_codec::Encode;

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use rand_core::OsRng;
use serde_json::json;

use crate::crypto::keys::Address;
use crate::crypto::secret::Secret;
use crate::tx::{AssetId, Transaction};
use crate::wallet::backup::{self, Share};
use crate::wallet::client::HttpSource;
use crate::wallet::source::ChainSource;
use crate::wallet::{submit_and_wait, Wallet};
use veil_keystore::{self as keystore, KdfParams};
use veil_tx::vault::attachment;

use super::amount;

/// Options of `veil wallet`.
#[derive(Debug, clap::Args)]
pub struct WalletArgs {
    /// The wallet file (every command but `recover`, which writes a new
    /// one with `--out`).
    #[arg(long)]
    pub wallet: Option<PathBuf>,
    /// The node's API (the global `--api` / `VEIL_API`).
    #[arg(skip)]
    pub api: String,
    /// What to do.
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// Wallet commands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a new wallet (encrypted with a passphrase) and print its address.
    New {
        /// A name for the wallet.
        #[arg(long, default_value = "wallet")]
        label: String,
    },
    /// Print the address.
    Address,
    /// Scan new blocks and print the balance.
    Balance {
        /// Asset.
        #[arg(long, default_value = "CNY")]
        asset: String,
    },
    /// Pay an address. On a terminal it shows the payment (recipient,
    /// amount, fee, change) and asks before sending.
    Transfer {
        /// Receiver address (veil1…).
        #[arg(long)]
        to: String,
        /// Amount in the asset's units: `250`, `250.00`, `0.5` (at most
        /// the asset's decimals).
        #[arg(long)]
        amount: String,
        /// Asset.
        #[arg(long, default_value = "CNY")]
        asset: String,
        /// Memo for the receiver (≤ 512 bytes).
        #[arg(long, default_value = "")]
        memo: String,
        /// Attach a vault document this wallet can open (`DOC` or
        /// `DOC:VERSION`): the payee's note carries its key, so the payee
        /// and the regulator can open it; nobody else learns of it.
        #[arg(long, value_name = "DOC[:VERSION]")]
        attach: Option<String>,
        /// Public fee, in the asset's units like the amount.
        #[arg(long, default_value = "0")]
        fee: String,
        /// `--amount` and `--fee` are integers of minor units (cents).
        #[arg(long)]
        minor_units: bool,
        /// Send without asking.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Ring size.
        #[arg(long, default_value_t = crate::crypto::clsag::DEFAULT_RING)]
        ring: usize,
        /// Write the signed transaction to this file instead of submitting it
        /// (submit later with `veil tx submit`).
        #[arg(long)]
        offline: Option<PathBuf>,
    },
    /// Scan new blocks and list incoming and outgoing transfers.
    History,
    /// Write a view-only copy of this wallet (view key and what it has
    /// seen, no spend key) for the online machine of cold signing.
    ExportView {
        /// The view-only wallet file to write (encrypted, mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// Prepare a spend request (online, a view-only wallet is enough):
    /// inputs, ring decoys from the node, payments, fee, the regulator key
    /// in force. Sign it offline with `veil wallet sign --offline`.
    Prepare {
        /// Receiver address (veil1…); or use --payments.
        #[arg(long, requires = "amount")]
        to: Option<String>,
        /// Amount in the asset's units (with --to).
        #[arg(long, requires = "to")]
        amount: Option<String>,
        /// Memo for the receiver (with --to).
        #[arg(long, default_value = "")]
        memo: String,
        /// A payment batch: CSV lines `address,amount[,memo]` (amounts in
        /// the asset's units; `#` starts a comment line).
        #[arg(long, conflicts_with = "to")]
        payments: Option<PathBuf>,
        /// Asset.
        #[arg(long, default_value = "CNY")]
        asset: String,
        /// Public fee, in the asset's units.
        #[arg(long, default_value = "0")]
        fee: String,
        /// Amounts and fee are integers of minor units.
        #[arg(long)]
        minor_units: bool,
        /// Ring size.
        #[arg(long, default_value_t = crate::crypto::clsag::DEFAULT_RING)]
        ring: usize,
        /// The spend request file to write (mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a spend request with this (full) wallet, without any network
    /// access. Shows what will be signed and asks on a terminal.
    Sign {
        /// The spend request file.
        #[arg(long, value_name = "REQUEST")]
        offline: PathBuf,
        /// The signed transfer file to write (mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Sign without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Release the inputs a spend request reserved (it will not be signed).
    Release {
        /// The spend request file.
        request: PathBuf,
    },
    /// Disclose one output to a third party (as its receiver, or as the
    /// sender of the transaction), without giving away any key.
    Disclose {
        /// Transaction hash.
        #[arg(long, value_name = "HASH")]
        tx: String,
        /// Which output of the transaction (its position, from 0).
        #[arg(long, value_name = "INDEX")]
        output: u32,
        /// Write the disclosure file to FILE (mode 0600; an existing file
        /// only with --force) instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Split the wallet's seed into shares for separate holders (a "safe
    /// box"): any THRESHOLD of them recover the wallet with `veil wallet
    /// recover`, fewer reveal nothing about it.
    Backup {
        /// How many shares to make (at most 16).
        #[arg(long, value_name = "N")]
        shares: u8,
        /// How many shares recover the wallet (at least 2, at most N).
        #[arg(long, value_name = "T")]
        threshold: u8,
        /// Write share i to DIR/share-<i>-of-<N>.veilshare (mode 0600),
        /// encrypted with its holder's passphrase: `VEIL_SHARE_PASSPHRASE_<i>`,
        /// else asked on the terminal.
        #[arg(long, value_name = "DIR", required_unless_present = "words")]
        out: Option<PathBuf>,
        /// Print each share as 35 words of the BIP-39 English list (one
        /// line per share), to be written down.
        #[arg(long)]
        words: bool,
    },
    /// Recover a wallet from shares of a backup (`veil wallet backup`) and
    /// write it as a new wallet file; no `--wallet`.
    Recover {
        /// The wallet file to write (encrypted with the wallet passphrase,
        /// mode 0600); never an existing file.
        #[arg(long, value_name = "WALLET_FILE")]
        out: PathBuf,
        /// Share files (their passphrases from `VEIL_SHARE_PASSPHRASE_<i>`,
        /// else asked); `-` reads standard input: a share file, or shares
        /// as words, one share per line.
        #[arg(value_name = "SHARE_FILE")]
        files: Vec<PathBuf>,
        /// A share as words (a line `veil wallet backup --words` printed);
        /// once per share. Standard input (`-`) keeps them out of the
        /// process list and the shell history.
        #[arg(long = "words", value_name = "WORDS")]
        words: Vec<String>,
        /// A name for the recovered wallet.
        #[arg(long, default_value = "recovered")]
        label: String,
    },
}

/// `veil tx …`.
#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Submit a transaction file (hex or raw bytes) and wait for it to commit.
    Submit {
        /// The file: a signed transfer from `veil wallet sign --offline`,
        /// or a transaction (hex or raw bytes).
        file: PathBuf,
        /// The (view-only) wallet that prepared a signed transfer: it
        /// records the transfer's inputs as spent.
        #[arg(long)]
        wallet: Option<PathBuf>,
        /// Return once accepted into the mempool, without waiting for a block.
        #[arg(long)]
        no_wait: bool,
    },
}

fn passphrase_for(path: &Path) -> anyhow::Result<Secret<String>> {
    Ok(keystore::passphrase(&format!(
        "passphrase for {}: ",
        path.display()
    ))?)
}

/// Scans `w` with a progress bar on a terminal.
pub(crate) fn scan(w: &mut Wallet, source: &dyn ChainSource, json: bool) -> anyhow::Result<u64> {
    let show = !json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = indicatif::ProgressBar::hidden();
    if show {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("scanning {bar:40} {pos}/{len} blocks")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }
    let h = w.scan(source, 50, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    Ok(h)
}

/// The wallet file and node of a command that opens an existing wallet.
struct Opened {
    wallet: PathBuf,
    api: String,
}

/// Runs `veil wallet`.
pub fn run(args: WalletArgs, json: bool) -> anyhow::Result<()> {
    let WalletArgs {
        wallet,
        api,
        command,
    } = args;
    match (command, wallet) {
        (
            WalletCommand::Recover {
                out,
                files,
                words,
                label,
            },
            None,
        ) => recover(&out, &files, &words, &label, json),
        (command, Some(wallet)) => run_on(Opened { wallet, api }, command, json),
        (_, None) => bail!("--wallet FILE is needed: the wallet this command uses"),
    }
}

/// Runs a `veil wallet` command on an existing wallet file.
fn run_on(args: Opened, command: WalletCommand, json: bool) -> anyhow::Result<()> {
    let source = HttpSource::new(&args.api);
    match command {
        WalletCommand::Recover { .. } => {
            bail!(
                "`veil wallet recover` writes a new wallet: give its file with --out, not --wallet"
            )
        }
        WalletCommand::Backup {
            shares,
            threshold,
            out,
            words,
        } => backup_wallet(&args.wallet, shares, threshold, out.as_deref(), words, json)?,
        WalletCommand::New { label } => {
            if args.wallet.exists() {
                bail!(
                    "{} already exists; not overwriting a wallet",
                    args.wallet.display()
                );
            }
            let pass = passphrase_for(&args.wallet)?;
            if std::env::var_os("VEIL_PASSPHRASE").is_none() {
                let again = keystore::passphrase("repeat the passphrase: ")?;
                if again.expose() != pass.expose() {
                    bail!("passphrases differ");
                }
            }
            let w = Wallet::generate(&mut OsRng, &label);
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            if json {
                super::print_json(
                    &json!({"address": w.address().to_string(), "wallet": args.wallet}),
                );
            } else {
                println!("{}", w.address());
                eprintln!(
                    "wallet written to {} (encrypted; keep the passphrase safe)",
                    args.wallet.display()
                );
            }
        }
        WalletCommand::Address => {
            let w = Wallet::load(&args.wallet, passphrase_for(&args.wallet)?.expose())?;
            if json {
                super::print_json(&json!({"address": w.address().to_string()}));
            } else {
                println!("{}", w.address());
            }
        }
        WalletCommand::Balance { asset } => {
            let pass = passphrase_for(&args.wallet)?;
            let mut w = Wallet::load(&args.wallet, pass.expose())?;
            let asset = AssetId::new(&asset)?;
            let info = source.asset(&asset)?;
            let height = scan(&mut w, &source, json)?;
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            let b = w.balance(&asset);
            if json {
                let mut m = serde_json::Map::new();
                m.insert("asset".into(), asset.to_string().into());
                amount::json_members(&mut m, "confirmed", b.confirmed, info.decimals);
                amount::json_members(&mut m, "pending", b.pending, info.decimals);
                m.insert("decimals".into(), info.decimals.into());
                m.insert("height".into(), height.into());
                super::print_json(&m.into());
            } else {
                println!(
                    "{} {asset} confirmed, {} {asset} pending (height {height})",
                    amount::format(b.confirmed, info.decimals),
                    amount::format(b.pending, info.decimals)
                );
            }
        }
        WalletCommand::Transfer {
            to,
            amount: amount_text,
            asset,
            memo,
            attach,
            fee,
            minor_units,
            yes,
            ring,
            offline,
        } => {
            let to: Address = to.parse().context("--to")?;
            let asset = AssetId::new(&asset)?;
            let info = source.asset(&asset)?;
            let value =
                amount::parse_as(&amount_text, info.decimals, minor_units).context("--amount")?;
            let fee = amount::parse_as(&fee, info.decimals, minor_units).context("--fee")?;
            if let Some(out) = &offline {
                super::check_output(out)?;
            }
            if value == 0 {
                bail!("the amount must be positive");
            }
            if memo.len() > crate::tx::limits::MAX_MEMO {
                bail!("the memo is {} bytes; at most 512", memo.len());
            }
            let pass = passphrase_for(&args.wallet)?;
            let mut w = Wallet::load(&args.wallet, pass.expose())?;
            scan(&mut w, &source, json)?;
            let memo = match &attach {
                Some(spec) => super::vault::attachment_memo(&args.api, &w, spec, &memo)?,
                None => Secret::new(memo),
            };
            let tx = w.prepare_transfer(
                &source,
                &asset,
                &to,
                value,
                memo.expose().as_bytes(),
                fee,
                ring,
                &mut OsRng,
            )?;
            let bytes = tx.encode()?;
            let hash = veil_tx::Transaction::hash_of(&bytes);
            let change = w
                .state
                .pending
                .iter()
                .find(|p| p.tx == hash.to_string())
                .map_or(0, |p| p.change);
            let shown = |v: u64| format!("{} {asset}", amount::format(v, info.decimals));
            let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin())
                && std::io::IsTerminal::is_terminal(&std::io::stderr());
            if !yes && !json && interactive {
                eprintln!(
                    "pay {}\n  to     {to}\n  fee    {}\n  change {} (back to this wallet)",
                    shown(value),
                    shown(fee),
                    shown(change)
                );
                eprint!("send? [y/N] ");
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if !matches!(answer.trim(), "y" | "Y" | "yes") {
                    // Nothing was saved: the chosen outputs stay spendable.
                    bail!("not sent");
                }
            }
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            let mut result = serde_json::Map::new();
            result.insert("tx".into(), hash.to_string().into());
            amount::json_members(&mut result, "amount", value, info.decimals);
            amount::json_members(&mut result, "fee", fee, info.decimals);
            amount::json_members(&mut result, "change", change, info.decimals);
            result.insert("asset".into(), asset.to_string().into());
            if let Some(out) = offline {
                super::write_output(&out, format!("{}\n", hex::encode(&bytes)).as_bytes())?;
                if json {
                    result.insert("file".into(), json!(out));
                    result.insert("bytes".into(), bytes.len().into());
                    super::print_json(&result.into());
                } else {
                    println!(
                        "signed transaction {hash} written to {} (submit with `veil tx submit`)",
                        out.display()
                    );
                }
                return Ok(());
            }
            match submit_and_wait(&source, &tx, Duration::from_secs(120)) {
                Ok((hash, height)) => {
                    scan(&mut w, &source, true)?;
                    w.save(&args.wallet, pass.expose(), KdfParams::default())?;
                    if json {
                        result.insert("height".into(), height.into());
                        super::print_json(&result.into());
                    } else {
                        println!(
                            "sent {} to {to} (fee {}, change {})\n  tx {hash}\n  committed at height {height}",
                            shown(value),
                            shown(fee),
                            shown(change)
                        );
                    }
                }
                Err(e) => {
                    // A refused transaction releases its inputs.
                    if !matches!(
                        source.tx_status(&hash),
                        Ok(crate::wallet::source::TxStatus::Pending)
                    ) {
                        w.abandon(&hash);
                        w.save(&args.wallet, pass.expose(), KdfParams::default())?;
                    }
                    return Err(e.into());
                }
            }
        }
        WalletCommand::Disclose { tx, output, out } => {
            let w = Wallet::load(&args.wallet, passphrase_for(&args.wallet)?.expose())?;
            let txn = super::regulator::fetch_committed_tx(&args.api, &tx)?;
            let d = w.disclose(&txn, output, &mut OsRng)?;
            let text = serde_json::to_string_pretty(&d)?;
            match out {
                Some(path) => {
                    super::write_output(&path, (text + "\n").as_bytes())?;
                    if json {
                        super::print_json(
                            &json!({"disclosure": path, "kind": d.kind, "amount": d.amount}),
                        );
                    } else {
                        println!(
                            "{} disclosure of output {output} written to {}",
                            d.kind,
                            path.display()
                        );
                    }
                }
                None => super::print_json(&serde_json::to_value(&d)?),
            }
        }
        WalletCommand::ExportView { out } => {
            super::check_output(&out)?;
            let w = Wallet::load(&args.wallet, passphrase_for(&args.wallet)?.expose())?;
            let view = w.to_view_only();
            let pass = passphrase_for(&out)?;
            view.save(&out, pass.expose(), KdfParams::default())?;
            if json {
                super::print_json(
                    &json!({"address": view.address().to_string(), "wallet": out, "view_only": true}),
                );
            } else {
                println!(
                    "view-only wallet for {} written to {} (it scans and prepares spend requests; it cannot sign)",
                    view.address(),
                    out.display()
                );
            }
        }
        WalletCommand::Prepare {
            to,
            amount: amount_text,
            memo,
            payments,
            asset,
            fee,
            minor_units,
            ring,
            out,
        } => {
            super::check_output(&out)?;
            let asset = AssetId::new(&asset)?;
            let info = source.asset(&asset)?;
            let fee = amount::parse_as(&fee, info.decimals, minor_units).context("--fee")?;
            let list = match (to, amount_text, payments) {
                (Some(to), Some(a), None) => {
                    vec![payment(&to, &a, &memo, info.decimals, minor_units)?]
                }
                (None, None, Some(file)) => read_payments(&file, info.decimals, minor_units)?,
                _ => bail!("give --to and --amount, or --payments FILE"),
            };
            let pass = passphrase_for(&args.wallet)?;
            let mut w = Wallet::load(&args.wallet, pass.expose())?;
            scan(&mut w, &source, json)?;
            let request = w.prepare_request(&source, &asset, list, fee, ring, &mut OsRng)?;
            super::write_output(&out, &request.to_json()?)?;
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            let paid: u64 = request.payments.iter().map(|p| p.amount).sum();
            if json {
                let mut m = serde_json::Map::new();
                m.insert("request".into(), json!(out));
                m.insert("digest".into(), request.digest.clone().into());
                m.insert("asset".into(), asset.to_string().into());
                m.insert("payments".into(), request.payments.len().into());
                amount::json_members(&mut m, "amount", paid, info.decimals);
                amount::json_members(&mut m, "fee", fee, info.decimals);
                amount::json_members(&mut m, "change", request.change, info.decimals);
                m.insert("height".into(), request.prepared_at_height.into());
                super::print_json(&m.into());
            } else {
                println!(
                    "spend request written to {}: {} payment(s), {} {asset}, fee {} {asset}, change {} {asset} (digest {})\n  sign it offline: veil wallet --wallet <full wallet> sign --offline {} --out signed.json",
                    out.display(),
                    request.payments.len(),
                    amount::format(paid, info.decimals),
                    amount::format(fee, info.decimals),
                    amount::format(request.change, info.decimals),
                    &request.digest[..16],
                    out.display()
                );
            }
        }
        WalletCommand::Sign { offline, out, yes } => {
            // No network: everything comes from the request file.
            super::check_output(&out)?;
            let request = crate::wallet::cold::SpendRequest::from_json(&read_bounded(&offline)?)?;
            let pass = passphrase_for(&args.wallet)?;
            let mut w = Wallet::load(&args.wallet, pass.expose())?;
            let review = request.review(w.keys()?)?;
            let d = review.decimals;
            let shown = |v: u64| format!("{} {}", amount::format(v, d), review.asset);
            let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin())
                && std::io::IsTerminal::is_terminal(&std::io::stderr());
            if !json {
                eprintln!(
                    "spend request {} (prepared at height {})",
                    &review.digest[..16],
                    review.prepared_at_height
                );
                for p in &review.payments {
                    eprintln!(
                        "  pay {:>20}  to {}{}",
                        shown(p.amount),
                        p.to,
                        if p.memo.is_empty() {
                            String::new()
                        } else {
                            format!("  memo {:?}", attachment::display(&p.memo))
                        }
                    );
                }
                eprintln!("  fee {:>20}\n  change {:>17} (back to this wallet)\n  from {} input(s), ring {}", shown(review.fee), shown(review.change), review.inputs, review.ring);
            }
            if !yes && !json && interactive {
                eprint!("sign? [y/N] ");
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if !matches!(answer.trim(), "y" | "Y" | "yes") {
                    bail!("not signed");
                }
            }
            let signed = w.sign_request(&request, &mut OsRng)?;
            super::write_output(&out, &signed.to_json()?)?;
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            if json {
                let mut m = serde_json::Map::new();
                m.insert("signed".into(), json!(out));
                m.insert("tx".into(), signed.hash.clone().into());
                m.insert("asset".into(), review.asset.clone().into());
                m.insert("payments".into(), review.payments.len().into());
                let paid: u64 = review.payments.iter().map(|p| p.amount).sum();
                amount::json_members(&mut m, "amount", paid, d);
                amount::json_members(&mut m, "fee", review.fee, d);
                amount::json_members(&mut m, "change", review.change, d);
                super::print_json(&m.into());
            } else {
                println!(
                    "signed transfer {} written to {} (submit it online with `veil tx submit {}`)",
                    signed.hash,
                    out.display(),
                    out.display()
                );
            }
        }
        WalletCommand::Release { request } => {
            let request = crate::wallet::cold::SpendRequest::from_json(&read_bounded(&request)?)?;
            let pass = passphrase_for(&args.wallet)?;
            let mut w = Wallet::load(&args.wallet, pass.expose())?;
            let n = w.release_request(&request.digest);
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            if json {
                super::print_json(&json!({"released": n}));
            } else {
                println!("{n} input(s) released");
            }
        }
        WalletCommand::History => {
            let pass = passphrase_for(&args.wallet)?;
            let mut w = Wallet::load(&args.wallet, pass.expose())?;
            let height = scan(&mut w, &source, json)?;
            w.save(&args.wallet, pass.expose(), KdfParams::default())?;
            // Each asset's decimals, asked of the node once.
            let mut decimals: std::collections::BTreeMap<String, u8> = Default::default();
            for a in w
                .state
                .history
                .iter()
                .map(|h| &h.asset)
                .chain(w.state.pending.iter().map(|p| &p.asset))
            {
                if !decimals.contains_key(a) {
                    let d = source.asset(&AssetId::new(a)?)?.decimals;
                    decimals.insert(a.clone(), d);
                }
            }
            let dec = |a: &str| decimals.get(a).copied().unwrap_or(0);
            if json {
                let entries: Vec<serde_json::Value> = w
                    .state
                    .history
                    .iter()
                    .map(|h| {
                        let mut m = serde_json::Map::new();
                        m.insert("tx".into(), h.tx.clone().into());
                        m.insert("height".into(), json!(h.height));
                        m.insert("direction".into(), h.direction.clone().into());
                        m.insert("asset".into(), h.asset.clone().into());
                        amount::json_members(&mut m, "amount", h.amount, dec(&h.asset));
                        amount::json_members(&mut m, "fee", h.fee, dec(&h.asset));
                        m.insert("memo".into(), attachment::display(&h.memo).into());
                        if let Some((doc, v)) = attachment::reference(&h.memo) {
                            m.insert(
                                "attachment".into(),
                                json!({"doc": hex::encode(doc), "version": v}),
                            );
                        }
                        m.into()
                    })
                    .collect();
                let pending: Vec<serde_json::Value> = w
                    .state
                    .pending
                    .iter()
                    .map(|p| {
                        let mut m = serde_json::Map::new();
                        m.insert("tx".into(), p.tx.clone().into());
                        m.insert("asset".into(), p.asset.clone().into());
                        amount::json_members(&mut m, "amount", p.amount, dec(&p.asset));
                        amount::json_members(&mut m, "change", p.change, dec(&p.asset));
                        amount::json_members(&mut m, "fee", p.fee, dec(&p.asset));
                        m.insert("memo".into(), attachment::display(&p.memo).into());
                        m.insert("to".into(), p.to.clone().into());
                        m.into()
                    })
                    .collect();
                super::print_json(
                    &json!({"height": height, "entries": entries, "pending": pending}),
                );
            } else {
                for h in &w.state.history {
                    println!(
                        "{:>8}  {:<3}  {:>16} {}  {}  {}",
                        h.height.map_or("pending".into(), |x| x.to_string()),
                        h.direction,
                        amount::format(h.amount, dec(&h.asset)),
                        h.asset,
                        &h.tx[..16],
                        attachment::display(&h.memo)
                    );
                }
                for p in &w.state.pending {
                    println!(
                        "{:>8}  out  {:>16} {}  {}  {}",
                        "pending",
                        amount::format(p.amount, dec(&p.asset)),
                        p.asset,
                        &p.tx[..16],
                        attachment::display(&p.memo)
                    );
                }
            }
        }
    }
    Ok(())
}

/// Runs `veil tx`.
pub fn run_tx(cmd: TxCommand, api: &str, json: bool) -> anyhow::Result<()> {
    match cmd {
        TxCommand::Submit {
            file,
            wallet,
            no_wait,
        } => {
            let raw = read_bounded(&file)?;
            let source = HttpSource::new(api);
            let (hash, signed) = if raw.trim_ascii_start().starts_with(b"{") {
                let s = crate::wallet::cold::SignedTransfer::from_json(&raw)?;
                (crate::wallet::submit_signed(&source, &s)?, Some(s))
            } else {
                if wallet.is_some() {
                    bail!("--wallet goes with a signed transfer file (from `veil wallet sign --offline`)");
                }
                let bytes = match std::str::from_utf8(&raw)
                    .ok()
                    .map(str::trim)
                    .and_then(|s| hex::decode(s).ok())
                {
                    Some(b) => b,
                    None => raw,
                };
                let tx = Transaction::decode(&bytes)
                    .context("the file does not hold a valid transaction")?;
                (source.submit(&tx)?, None)
            };
            // Accepted: the wallet that prepared it records its inputs spent.
            if let (Some(path), Some(s)) = (&wallet, &signed) {
                let pass = passphrase_for(path)?;
                let mut w = Wallet::load(path, pass.expose())?;
                w.import_signed(s)?;
                w.save(path, pass.expose(), KdfParams::default())?;
            }
            if no_wait {
                if json {
                    super::print_json(&json!({"tx": hash.to_string(), "status": "pending"}));
                } else {
                    println!("{hash} accepted (pending)");
                }
            } else {
                let height =
                    crate::wallet::wait_committed(&source, &hash, Duration::from_secs(120))?;
                if json {
                    super::print_json(&json!({"tx": hash.to_string(), "height": height}));
                } else {
                    println!("{hash} committed at height {height}");
                }
            }
        }
    }
    Ok(())
}

/// The environment variable holding the passphrase of share `index`.
fn share_env(index: u8) -> String {
    format!("VEIL_SHARE_PASSPHRASE_{index}")
}

/// The file name of share `index` of `total`.
fn share_file_name(index: u8, total: u8) -> String {
    format!("share-{index}-of-{total}.veilshare")
}

/// The share index a file name `share-<i>-of-<n>.veilshare` gives.
fn share_index_in_name(path: &Path) -> Option<u8> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("share-")?.strip_suffix(".veilshare")?;
    let (i, n) = rest.split_once("-of-")?;
    let (i, n) = (i.parse::<u8>().ok()?, n.parse::<u8>().ok()?);
    (1..=n).contains(&i).then_some(i)
}

/// Asks for a share passphrase on the terminal. Never `VEIL_PASSPHRASE` or
/// `--passphrase-file`: those hold the wallet's passphrase, and a share
/// encrypted with it would be open to whoever holds the wallet's.
fn ask_share_passphrase(prompt: &str, hint: &str) -> anyhow::Result<Secret<String>> {
    rpassword::prompt_password(prompt)
        .map(Secret::new)
        .map_err(|e| match e.raw_os_error() {
            // rpassword reads the controlling terminal; ENXIO or ENOTTY
            // (or no /dev/tty at all) means there is nobody to ask.
            Some(6) | Some(25) => {
                anyhow!("a share passphrase is needed and there is no terminal to ask on: {hint}")
            }
            _ if e.kind() == std::io::ErrorKind::NotFound => {
                anyhow!("a share passphrase is needed and there is no terminal to ask on: {hint}")
            }
            _ => anyhow::Error::new(e).context("reading a share passphrase from the terminal"),
        })
}

/// The passphrase a new share file `index` is encrypted with:
/// `VEIL_SHARE_PASSPHRASE_<index>`, else asked twice on the terminal.
fn new_share_passphrase(index: u8) -> anyhow::Result<Secret<String>> {
    let var = share_env(index);
    let pass = match std::env::var(&var) {
        Ok(p) => Secret::new(p),
        Err(_) => {
            let hint = format!("set {var}");
            let p = ask_share_passphrase(&format!("Passphrase for share {index}: "), &hint)?;
            let again =
                ask_share_passphrase(&format!("Repeat the passphrase for share {index}: "), &hint)?;
            if again.expose() != p.expose() {
                bail!("the passphrases for share {index} differ");
            }
            p
        }
    };
    if pass.expose().is_empty() {
        bail!("the passphrase for share {index} is empty: its holder needs a passphrase of their own ({var})");
    }
    Ok(pass)
}

/// Opens an encrypted share file `shown` at `path`: with
/// `VEIL_SHARE_PASSPHRASE_<i>` for the `i` its name gives
/// (`share-<i>-of-<n>.veilshare`), or with each one set when the name gives
/// none; else with a passphrase asked on the terminal.
fn open_share_file(path: &Path, shown: &str) -> anyhow::Result<Share> {
    let named = share_index_in_name(path);
    let candidates: Vec<u8> = match named {
        Some(i) => vec![i],
        None => (1..=backup::MAX_SHARES).collect(),
    };
    let mut tried = Vec::new();
    for i in candidates {
        let var = share_env(i);
        let Ok(pass) = std::env::var(&var) else {
            continue;
        };
        let pass = Secret::new(pass);
        match keystore::load(path, backup::SHARE_KIND, pass.expose()) {
            Ok(plain) => {
                return Share::from_bytes(plain.expose())
                    .with_context(|| format!("share file {shown}"));
            }
            Err(keystore::KeystoreError::Decrypt) => tried.push(var),
            Err(e) => return Err(e).with_context(|| format!("share file {shown}")),
        }
    }
    if named.is_some() && !tried.is_empty() {
        bail!(
            "share file {shown}: wrong passphrase in {}, or the file was modified",
            tried.join(", ")
        );
    }
    let (prompt, hint) = match named {
        Some(i) => (
            format!("Passphrase for share {i}: "),
            format!("set {}", share_env(i)),
        ),
        None if tried.is_empty() => (
            format!("Passphrase for share file {shown}: "),
            "set VEIL_SHARE_PASSPHRASE_<i> for share i".to_owned(),
        ),
        None => (
            format!("Passphrase for share file {shown}: "),
            format!("{} did not open {shown}", tried.join(", ")),
        ),
    };
    let pass = ask_share_passphrase(&prompt, &hint)?;
    let plain = keystore::load(path, backup::SHARE_KIND, pass.expose())
        .with_context(|| format!("share file {shown}"))?;
    Share::from_bytes(plain.expose()).with_context(|| format!("share file {shown}"))
}

/// Whether `line` is a header `share <i> of <n>` of `veil wallet backup
/// --words` (not a line of words: "share" is a BIP-39 word too).
fn is_share_header(line: &str) -> bool {
    let parts: Vec<&str> = line.trim_end_matches(':').split_whitespace().collect();
    matches!(
        parts.as_slice(),
        ["share", i, "of", n] if i.parse::<u8>().is_ok() && n.parse::<u8>().is_ok()
    )
}

/// Shares from standard input: one share file, or shares as words, one
/// per line (empty lines, `#` comments and the `share <i> of <n>` headers
/// are skipped, so the output of `veil wallet backup --words` can be given
/// as it is).
fn read_stdin_shares() -> anyhow::Result<Vec<Share>> {
    use rand_core::RngCore as _;
    use std::io::Read as _;
    const LIMIT: usize = 64 * 1024;
    // Room for all of it up front: no reallocation leaves copies behind.
    let mut raw = Secret::new(Vec::with_capacity(LIMIT + 1));
    std::io::stdin()
        .take(u64::try_from(LIMIT + 1)?)
        .read_to_end(raw.expose_mut())
        .context("reading shares from standard input")?;
    if raw.expose().len() > LIMIT {
        bail!("standard input is over {LIMIT} bytes: not shares");
    }
    if raw.expose().trim_ascii_start().starts_with(b"{") {
        // A share file. It is ciphertext, so a private temporary copy for
        // the keystore reader is safe.
        let mut tag = [0u8; 8];
        OsRng.fill_bytes(&mut tag);
        let tmp = std::env::temp_dir().join(format!("veil-stdin-{}.veilshare", hex::encode(tag)));
        keystore::write_private(&tmp, raw.expose())
            .with_context(|| format!("writing {}", tmp.display()))?;
        let share = open_share_file(&tmp, "from standard input");
        let _ = std::fs::remove_file(&tmp);
        return Ok(vec![share?]);
    }
    let text = std::str::from_utf8(raw.expose())
        .map_err(|_| anyhow!("standard input is neither a share file nor shares as words"))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || is_share_header(line) {
            continue;
        }
        out.push(
            Share::from_words(line).with_context(|| format!("standard input, line {}", n + 1))?,
        );
    }
    if out.is_empty() {
        bail!("standard input holds no share");
    }
    Ok(out)
}

/// `veil wallet backup`.
fn backup_wallet(
    wallet: &Path,
    total: u8,
    threshold: u8,
    out: Option<&Path>,
    words: bool,
    json: bool,
) -> anyhow::Result<()> {
    backup::check_parameters(threshold, total).context("--threshold and --shares")?;
    let files: Vec<PathBuf> = out.map_or_else(Vec::new, |dir| {
        (1..=total)
            .map(|i| dir.join(share_file_name(i, total)))
            .collect()
    });
    for f in &files {
        super::check_output(f)?;
    }
    let w = Wallet::load(wallet, passphrase_for(wallet)?.expose())?;
    let seed = w.seed().ok_or_else(|| {
        anyhow!(
            "{} is a view-only wallet: it holds no seed to back up (back up the full wallet it was exported from)",
            wallet.display()
        )
    })?;
    // Every holder's passphrase before anything is written.
    let passphrases = if files.is_empty() {
        Vec::new()
    } else {
        (1..=total)
            .map(new_share_passphrase)
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let shares = backup::split(&seed, threshold, total, &mut OsRng)?;
    for ((share, file), pass) in shares.iter().zip(&files).zip(&passphrases) {
        keystore::save(
            file,
            backup::SHARE_KIND,
            share.to_bytes().expose(),
            pass.expose(),
            KdfParams::default(),
        )
        .with_context(|| format!("writing {}", file.display()))?;
    }
    let set = shares
        .first()
        .map_or_else(String::new, |s| hex::encode(s.set_id()));
    let warning = format!(
        "any {threshold} of these {total} shares recover the wallet {}; fewer reveal nothing about it. \
         Give each share to a different holder and keep the shares apart: whoever gathers {threshold} of them controls the account.",
        w.address()
    );
    if json {
        let list: Vec<serde_json::Value> = shares
            .iter()
            .enumerate()
            .map(|(k, share)| {
                let mut m = serde_json::Map::new();
                m.insert("index".into(), share.index().into());
                if let Some(file) = files.get(k) {
                    m.insert("file".into(), json!(file));
                }
                if words {
                    m.insert("words".into(), share.to_words().expose().clone().into());
                }
                m.into()
            })
            .collect();
        super::print_json(&json!({
            "address": w.address().to_string(),
            "set": set,
            "threshold": threshold,
            "total": total,
            "shares": list,
            "warning": warning,
        }));
        return Ok(());
    }
    eprintln!("backup set {set}: {warning}");
    for (share, file) in shares.iter().zip(&files) {
        println!(
            "share {} of {total} written to {}",
            share.index(),
            file.display()
        );
    }
    if words {
        if !files.is_empty() {
            println!();
        }
        for share in &shares {
            println!(
                "share {} of {total}\n{}\n",
                share.index(),
                share.to_words().expose()
            );
        }
        eprintln!("the words are the shares themselves: write each down for its holder, then clear the screen");
    }
    Ok(())
}

/// `veil wallet recover`.
fn recover(
    out: &Path,
    files: &[PathBuf],
    words: &[String],
    label: &str,
    json: bool,
) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} already exists; not overwriting a wallet", out.display());
    }
    if files.is_empty() && words.is_empty() {
        bail!("give the share files (`-` reads standard input), or --words once per share");
    }
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        bail!("`-` (standard input) can be given once");
    }
    let mut shares = Vec::new();
    for (k, text) in words.iter().enumerate() {
        shares.push(Share::from_words(text).with_context(|| format!("--words #{}", k + 1))?);
    }
    for f in files {
        if f.as_os_str() == "-" {
            shares.extend(read_stdin_shares()?);
        } else {
            shares.push(open_share_file(f, &f.display().to_string())?);
        }
    }
    let seed = backup::recover(&shares)?;
    let w = Wallet::from_seed(seed.expose(), label);
    let pass = passphrase_for(out)?;
    if std::env::var_os("VEIL_PASSPHRASE").is_none() {
        let again = keystore::passphrase("repeat the passphrase: ")?;
        if again.expose() != pass.expose() {
            bail!("passphrases differ");
        }
    }
    w.save(out, pass.expose(), KdfParams::default())?;
    let set = shares
        .first()
        .map_or_else(String::new, |s| hex::encode(s.set_id()));
    if json {
        super::print_json(&json!({
            "address": w.address().to_string(),
            "wallet": out,
            "shares": shares.len(),
            "set": set,
        }));
    } else {
        println!("{}", w.address());
        eprintln!(
            "wallet recovered from {} shares of backup set {set}, written to {} (encrypted; `veil wallet --wallet {} balance` scans it)",
            shares.len(),
            out.display(),
            out.display()
        );
    }
    Ok(())
}

/// Reads a file of at most the cold-signing limit.
fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let limit = crate::wallet::cold::MAX_FILE_BYTES;
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > u64::try_from(limit)? {
        bail!("{} is over {limit} bytes", path.display());
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// One payment from `--to`/`--amount`/`--memo`.
fn payment(
    to: &str,
    amount_text: &str,
    memo: &str,
    decimals: u8,
    minor_units: bool,
) -> anyhow::Result<crate::wallet::cold::RequestPayment> {
    let address: Address = to.parse().with_context(|| format!("receiver {to}"))?;
    let amount = amount::parse_as(amount_text, decimals, minor_units)
        .with_context(|| format!("amount {amount_text}"))?;
    if amount == 0 {
        bail!("the amount must be positive");
    }
    if memo.len() > crate::tx::limits::MAX_MEMO {
        bail!("the memo is {} bytes; at most 512", memo.len());
    }
    Ok(crate::wallet::cold::RequestPayment {
        to: address.to_string(),
        amount,
        memo: memo.to_owned(),
    })
}

/// A payment batch: CSV lines `address,amount[,memo]`.
fn read_payments(
    path: &Path,
    decimals: u8,
    minor_units: bool,
) -> anyhow::Result<Vec<crate::wallet::cold::RequestPayment>> {
    let text = String::from_utf8(read_bounded(path)?)
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(3, ',');
        let (to, amount_text) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        let memo = fields.next().unwrap_or("");
        out.push(
            payment(to.trim(), amount_text.trim(), memo, decimals, minor_units)
                .with_context(|| format!("{} line {}", path.display(), n + 1))?,
        );
    }
    if out.is_empty() {
        bail!("{} holds no payments", path.display());
    }
    Ok(out)
}
