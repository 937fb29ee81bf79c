//! Shared set-up for the integration tests.
#![allow(dead_code)]

pub mod cluster;
pub mod http;
pub mod node;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use veil::crypto::keys::AccountKeys;
use veil::crypto::regulator_ciphertext::RegulatorSecretKey;
use veil::tx::testing::{add_decoys, fund, spend_of};
use veil::tx::transfer::plan::{OwnedOutput, Payment, TransferPlan};
use veil::tx::{AssetId, MemoryLedger, Transaction, Transfer};

pub struct Scenario {
    pub ledger: MemoryLedger,
    pub asset: AssetId,
    pub regulator: RegulatorSecretKey,
    pub alice: AccountKeys,
    pub bob: AccountKeys,
    pub rng: ChaCha20Rng,
}

impl Scenario {
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let regulator = RegulatorSecretKey::from_seed(&[0x52; 32]);
        let asset = AssetId::new("CNY").unwrap();
        let mut ledger = MemoryLedger::new(*regulator.public());
        add_decoys(&mut ledger, &asset, 80, &mut rng);
        Self {
            ledger,
            asset,
            regulator,
            alice: AccountKeys::from_seed(&[0xa1; 32]),
            bob: AccountKeys::from_seed(&[0xb0; 32]),
            rng,
        }
    }

    pub fn fund_alice(&mut self, amounts: &[u64]) -> Vec<OwnedOutput> {
        amounts
            .iter()
            .map(|a| {
                fund(
                    &mut self.ledger,
                    &self.asset,
                    &self.alice,
                    *a,
                    &mut self.rng,
                )
            })
            .collect()
    }

    pub fn plan(
        &mut self,
        owned: Vec<OwnedOutput>,
        payments: Vec<Payment>,
        fee: u64,
        ring: usize,
    ) -> TransferPlan {
        let spends = owned
            .into_iter()
            .map(|o| spend_of(&self.ledger, &self.asset, o, ring, &mut self.rng))
            .collect();
        TransferPlan {
            asset: self.asset.clone(),
            fee,
            regulator_key: *self.regulator.public(),
            spends,
            payments,
            change_address: *self.alice.address(),
            sender: Some(*self.alice.address()),
            include_return_address: true,
        }
    }

    pub fn pay_bob(&mut self, amount: u64, memo: &str) -> Payment {
        Payment {
            to: *self.bob.address(),
            amount,
            memo: memo.as_bytes().to_vec(),
        }
    }

    /// Alice pays Bob `amount` from fresh outputs of `inputs`, fee 10.
    pub fn transfer(&mut self, inputs: &[u64], amount: u64, ring: usize) -> Transfer {
        let owned = self.fund_alice(inputs);
        let pay = self.pay_bob(amount, "invoice 42");
        let plan = self.plan(owned, vec![pay], 10, ring);
        plan.build(&mut self.rng).expect("build")
    }

    /// Full validation as a node would run it.
    pub fn validate(&self, tx: &Transaction) -> Result<(), veil::tx::TxError> {
        let rings = tx.resolve_rings(&self.ledger)?;
        tx.check_stateless(&rings)?;
        tx.check_stateful(&self.ledger, 0).map(|_| ())
    }
}
