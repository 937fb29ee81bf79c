//! Fixtures for tests, benchmarks and `veil bench`: outputs paid to an
//! account without a funding transaction, and decoys. Nothing here is used
//! by a node.

use rand::Rng;
use rand_core::{CryptoRng, RngCore};

use veil_crypto::clsag::RingMember;
use veil_crypto::commitment::Commitment;
use veil_crypto::keys::AccountKeys;
use veil_crypto::point::Point;
use veil_crypto::rng::random_scalar;
use veil_crypto::secret::Secret;
use veil_crypto::stealth::{one_time_secret, OneTimeKey, TxSecret};

use super::ledger_view::MemoryLedger;
use super::transfer::plan::{OwnedOutput, Payment, Spend, TransferPlan};
use super::AssetId;

/// Appends an output of `amount` paying `owner` and returns it as the owner's
/// wallet would know it.
pub fn fund<R: RngCore + CryptoRng>(
    ledger: &mut MemoryLedger,
    asset: &AssetId,
    owner: &AccountKeys,
    amount: u64,
    rng: &mut R,
) -> OwnedOutput {
    let r = TxSecret::random(rng);
    let shared = r.shared_secret(owner.address().view_key());
    let key = shared.one_time_key(0, owner.address().spend_key());
    let blinding = Secret::new(random_scalar(rng));
    let member = RingMember::new(key, Commitment::new(amount, blinding.expose()));
    let global_index = ledger.push_output(asset, member);
    OwnedOutput {
        global_index,
        member,
        amount,
        blinding,
        one_time_secret: one_time_secret(&shared.key_offset(0), owner.spend_secret()),
    }
}

/// Appends `count` outputs nobody in the test owns.
pub fn add_decoys<R: RngCore + CryptoRng>(
    ledger: &mut MemoryLedger,
    asset: &AssetId,
    count: usize,
    rng: &mut R,
) {
    for _ in 0..count {
        let member = RingMember::new(
            OneTimeKey(Point::from_point(veil_crypto::generators::mul_g(
                &random_scalar(rng),
            ))),
            Commitment::new(rng.next_u64(), &random_scalar(rng)),
        );
        ledger.push_output(asset, member);
    }
}

/// Picks `count` distinct decoys uniformly from the ledger, never
/// `exclude`. The ledger must hold more than `count` outputs.
pub fn pick_decoys<R: RngCore>(
    ledger: &MemoryLedger,
    asset: &AssetId,
    exclude: u64,
    count: usize,
    rng: &mut R,
) -> Vec<(u64, RingMember)> {
    use crate::LedgerView;
    let total = ledger.output_count(asset);
    let mut chosen = std::collections::BTreeSet::new();
    while chosen.len() < count {
        let i = rng.gen_range(0..total);
        if i != exclude {
            chosen.insert(i);
        }
    }
    chosen
        .into_iter()
        .filter_map(|i| ledger.output(asset, i).map(|m| (i, m)))
        .collect()
}

/// [`pick_decoys`] around an owned output.
pub fn spend_of<R: RngCore>(
    ledger: &MemoryLedger,
    asset: &AssetId,
    owned: OwnedOutput,
    ring_size: usize,
    rng: &mut R,
) -> Spend {
    let decoys = pick_decoys(ledger, asset, owned.global_index, ring_size - 1, rng);
    Spend { owned, decoys }
}

/// The shape of a transfer built by [`funded_plan`].
#[derive(Clone, Copy, Debug)]
pub struct PlanShape<'a> {
    /// The asset.
    pub asset: &'a AssetId,
    /// The payer (funded with fresh outputs; change comes back here).
    pub from: &'a AccountKeys,
    /// The payee.
    pub to: &'a AccountKeys,
    /// Inputs, each a fresh output of `input_amount`.
    pub inputs: usize,
    /// Amount of each input.
    pub input_amount: u64,
    /// Payments to `to`, each of `amount`.
    pub payments: usize,
    /// Amount of each payment.
    pub amount: u64,
    /// Fee.
    pub fee: u64,
    /// Ring size.
    pub ring: usize,
    /// The regulator key the transfer encrypts to.
    pub regulator_key: veil_crypto::regulator_ciphertext::RegulatorPublicKey,
}

/// Funds `shape.from` with `shape.inputs` fresh outputs, picks their rings,
/// and plans a transfer paying `shape.to` (memo `bench`, no return
/// address): the transfer benches and `veil bench` measure.
pub fn funded_plan<R: RngCore + CryptoRng>(
    ledger: &mut MemoryLedger,
    shape: &PlanShape<'_>,
    rng: &mut R,
) -> TransferPlan {
    let owned: Vec<_> = (0..shape.inputs)
        .map(|_| fund(ledger, shape.asset, shape.from, shape.input_amount, rng))
        .collect();
    let spends = owned
        .into_iter()
        .map(|o| spend_of(ledger, shape.asset, o, shape.ring, rng))
        .collect();
    TransferPlan {
        asset: shape.asset.clone(),
        fee: shape.fee,
        regulator_key: shape.regulator_key,
        spends,
        payments: (0..shape.payments)
            .map(|_| Payment {
                to: *shape.to.address(),
                amount: shape.amount,
                memo: b"bench".to_vec(),
            })
            .collect(),
        change_address: *shape.from.address(),
        sender: Some(*shape.from.address()),
        include_return_address: false,
    }
}
