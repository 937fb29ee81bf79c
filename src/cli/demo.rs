//! `veil demo`: Veil's story in one command.
//!
//! Today the story runs on the in-memory ledger (the persistent single-node
//! ledger arrives with its own issue): two banks, one regulator, one asset.
//! Bank A pays bank B confidentially; bank B finds the payment with its view
//! key; the regulator reads the amount, sender, receiver and memo from the
//! verifiable ciphertexts; a second spend of the same output is refused.
//! Any failed step makes the command fail.

use anyhow::{ensure, Context};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::json;

use crate::crypto::clsag::RingMember;
use crate::crypto::keys::AccountKeys;
use crate::crypto::regulator::RegulatorSecretKey;
use crate::tx::bundle::view::open_for_regulator;
use crate::tx::testing::{add_decoys, fund, spend_of};
use crate::tx::transfer::plan::{OwnedOutput, Payment, TransferPlan};
use crate::tx::{AssetId, MemoryLedger, Transaction, TxError};

/// Runs the demo.
pub fn run(json_out: bool) -> anyhow::Result<()> {
    let mut rng = ChaCha20Rng::from_entropy();
    let asset = AssetId::new("CNY")?;
    let regulator = RegulatorSecretKey::from_seed(&[0x52; 32]);
    let mut ledger = MemoryLedger::new(*regulator.public());
    add_decoys(&mut ledger, &asset, 64, &mut rng);
    let bank_a = AccountKeys::generate(&mut rng);
    let bank_b = AccountKeys::generate(&mut rng);
    let funding = fund(&mut ledger, &asset, &bank_a, 1_000_000, &mut rng);
    let say = |s: &str| {
        if !json_out {
            println!("{s}");
        }
    };
    say("Veil demo (in-memory ledger; `veil node --dev` arrives with the single-node ledger)");
    say(&format!("  bank-a  {}", bank_a.address()));
    say(&format!("  bank-b  {}", bank_b.address()));

    // 1. Bank A pays bank B.
    let amount = 250_000u64;
    let memo = b"invoice 2026-117".to_vec();
    let plan = TransferPlan {
        asset: asset.clone(),
        fee: 10,
        regulator_key: *regulator.public(),
        spends: vec![spend_of(&ledger, &asset, funding.clone(), 16, &mut rng)],
        payments: vec![Payment {
            to: *bank_b.address(),
            amount,
            memo: memo.clone(),
        }],
        change_address: *bank_a.address(),
        sender: Some(*bank_a.address()),
        include_return_address: true,
    };
    let transfer = plan.build(&mut rng).context("building the transfer")?;
    let tx = Transaction::Transfer(transfer.clone());
    let bytes = tx.encode();
    let tx = Transaction::decode(&bytes)?;
    let rings = tx.resolve_rings(&ledger)?;
    tx.check_stateless(&rings)?;
    tx.check_stateful(&ledger)?;
    let first = ledger.output_count(&asset);
    ledger.apply(&tx);
    say(&format!(
        "1. bank-a paid bank-b: tx {} ({} bytes, ring 16), verified and applied",
        tx.hash(),
        bytes.len()
    ));

    // 2. Bank B finds it.
    let received = tx.scan(bank_b.view_key());
    ensure!(received.len() == 1, "bank-b did not find its payment");
    ensure!(
        received[0].note.amount == amount && received[0].note.memo == memo,
        "bank-b read a wrong note"
    );
    let change = tx.scan(bank_a.view_key());
    ensure!(
        change.len() == 1 && change[0].note.amount == 1_000_000 - amount - 10,
        "bank-a's change is wrong"
    );
    say(&format!(
        "2. bank-b scanned with its view key: received {amount} CNY, memo {:?}",
        String::from_utf8_lossy(&memo)
    ));

    // 3. The regulator reads it.
    let view = open_for_regulator(&regulator, &[(tx.asset(), tx.bundle())]).remove(0)?;
    let to_b = view
        .outputs
        .iter()
        .find(|o| o.receiver == Some(bank_b.address().into()))
        .context("regulator sees no payment to bank-b")?;
    let amounts_match = to_b.amount == amount
        && view.sender == Some(bank_a.address().into())
        && view.outputs.iter().all(|o| o.payload_matches);
    ensure!(amounts_match, "regulator's view disagrees with what moved");
    say(&format!("3. the regulator decrypted the proven amounts: {amount} CNY bank-a → bank-b, change {} CNY", view.total() - u128::from(amount)));

    // 4. Bank B spends what it received; then a replay is refused.
    let got = &received[0];
    let owned = OwnedOutput {
        global_index: first + u64::from(got.index),
        member: RingMember::new(got.one_time_key, got.commitment),
        amount: got.note.amount,
        blinding: got.note.blinding.clone(),
        one_time_secret: got.one_time_secret(bank_b.spend_secret()),
    };
    let back = TransferPlan {
        asset: asset.clone(),
        fee: 0,
        regulator_key: *regulator.public(),
        spends: vec![spend_of(&ledger, &asset, owned, 16, &mut rng)],
        payments: vec![Payment {
            to: *bank_a.address(),
            amount: 1_000,
            memo: vec![],
        }],
        change_address: *bank_b.address(),
        sender: Some(*bank_b.address()),
        include_return_address: false,
    };
    let back_tx = Transaction::Transfer(back.build(&mut rng)?);
    back_tx.check_stateless(&back_tx.resolve_rings(&ledger)?)?;
    back_tx.check_stateful(&ledger)?;
    ledger.apply(&back_tx);
    let replay = back_tx.check_stateful(&ledger);
    ensure!(
        matches!(replay, Err(TxError::KeyImageSpent { .. })),
        "a double spend was not refused"
    );
    say(&format!(
        "4. bank-b paid 1000 CNY back (tx {}); spending the same output again: refused ({})",
        back_tx.hash(),
        replay.err().map(|e| e.to_string()).unwrap_or_default()
    ));

    if json_out {
        super::print_json(&json!({
            "ok": true,
            "ledger": "memory",
            "transfer": { "tx": tx.hash().to_string(), "bytes": bytes.len(), "amount": amount },
            "received": { "amount": received[0].note.amount, "memo": String::from_utf8_lossy(&memo) },
            "regulator": { "amounts_match": amounts_match, "total": view.total().to_string() },
            "double_spend_refused": true,
        }));
    } else {
        println!("ok");
    }
    Ok(())
}
