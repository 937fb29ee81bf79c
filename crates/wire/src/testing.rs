//! Fixtures for tests and fuzz seeds (feature `test-support`): sample
//! headers and consensus messages with fixed, recognisable bytes.

use arc_malachitebft_core_types::{
    NilOrVal, PolkaCertificate, PolkaSignature, Round, SignedMessage, VoteType,
};
use veil_tx::TxHash;

use crate::block::{tx_root, BlockHash, Header};
use crate::consensus::ConsensusMessage;
use crate::context::{BlockValue, Height, NodeId, NodeSignature, Proposal, Vote};

/// A header at `height` over `txs` (fixed chain, parent, roots, proposer).
pub fn header(height: u64, txs: &[TxHash]) -> Header {
    Header {
        chain_id: crate::block::ChainId::new("veil-test").expect("valid chain id"),
        height,
        parent: BlockHash([1; 32]),
        timestamp_ms: 5,
        tx_root: tx_root(txs),
        state_root: [2; 32],
        proposer: [3; 32],
        tx_count: u32::try_from(txs.len()).unwrap(),
    }
}

/// One message of each kind: a precommit, a proposal, a polka certificate.
pub fn messages() -> Vec<ConsensusMessage> {
    let txs = vec![TxHash([7; 32]), TxHash([8; 32])];
    let value = BlockValue::new(&header(4, &txs), txs);
    let vote = Vote {
        kind: VoteType::Precommit,
        height: Height(4),
        round: Round::new(2),
        value: NilOrVal::Val(value.hash),
        validator: NodeId([9; 32]),
    };
    let proposal = Proposal {
        height: Height(4),
        round: Round::new(1),
        value,
        pol_round: Round::Nil,
        proposer: NodeId([3; 32]),
    };
    vec![
        ConsensusMessage::Vote(SignedMessage::new(vote, NodeSignature([5; 64]))),
        ConsensusMessage::Proposal(SignedMessage::new(proposal, NodeSignature([6; 64]))),
        ConsensusMessage::Polka(PolkaCertificate {
            height: Height(4),
            round: Round::new(0),
            value_id: BlockHash([4; 32]),
            polka_signatures: vec![PolkaSignature::new(NodeId([1; 32]), NodeSignature([2; 64]))],
        }),
    ]
}
