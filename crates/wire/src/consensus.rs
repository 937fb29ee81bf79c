//! Canonical encodings of consensus messages, certificates and WAL
//! entries, and the bytes each signature covers. Every decoder is bounded
//! and refuses trailing bytes; layouts are in `docs/wire-format.md`
//! ("Consensus").
//!
//! ```text
//! round      = i64-le (−1 = nil)
//! value-id   = u8 0 (nil) | u8 1 ‖ block hash 32
//! vote       = u8 kind (0 prevote, 1 precommit) ‖ u64 height ‖ round ‖ value-id ‖ validator 32
//! value      = u32 header len ‖ header ‖ u32 n ‖ n × tx hash 32
//! proposal   = u64 height ‖ round ‖ pol round ‖ proposer 32 ‖ value
//! signed X   = X ‖ signature 64
//! vote sig   over SHA-256("veil/vote/v1" ‖ 0 ‖ chain ‖ vote)
//! proposal sig over SHA-256("veil/proposal/v1" ‖ 0 ‖ chain ‖ u64 height ‖ round ‖ pol round ‖ proposer ‖ block hash)
//! commit cert = u64 height ‖ round ‖ block hash ‖ u32 n ‖ n × (validator 32 ‖ signature 64)
//! ```
//!
//! A decoded proposal's value is checked for consistency: the header
//! decodes, its hash is the value id, its height is the proposal's, its
//! transaction root and count match the listed hashes.

use arc_malachitebft_core_types as mct;
use mct::{
    CommitCertificate, CommitSignature, NilOrVal, PolkaCertificate, PolkaSignature, Round,
    RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage, VoteType,
};

use crate::block::{tx_root, BlockHash, ChainId, Header};
use crate::context::{BlockValue, Height, NodeId, NodeSignature, Proposal, Veil, Vote};
use veil_codec::{Decode, DecodeError, Encode, EncodeError, Reader, Sink, Writer};
use veil_crypto::hash::hash256;
use veil_tx::TxHash;

/// Most transaction hashes in one block candidate: the most transactions
/// governance may allow ([`veil_tx::limits::MAX_BLOCK_TXS`]) and the
/// block's commit record beside them.
pub const MAX_BLOCK_TXS: usize = veil_tx::limits::MAX_BLOCK_TXS + 1;
/// Most signatures in one certificate (validators).
pub const MAX_SIGNATURES: usize = 1_024;
/// Longest block header inside a proposal's value.
pub const MAX_HEADER: usize = 256;
/// Highest round accepted on the wire.
pub const MAX_ROUND: i64 = 1 << 20;

type SignedVote = SignedMessage<Veil, Vote>;
type SignedProposal = SignedMessage<Veil, Proposal>;

fn invalid(what: &'static str, why: &'static str) -> DecodeError {
    DecodeError::Invalid { what, why }
}

/// Appends the encoding of a round.
pub fn put_round(w: &mut impl Sink, r: Round) {
    w.put_bytes(&r.as_i64().to_le_bytes());
}

/// Reads a round (`i64`, −1 for nil) within ±`MAX_ROUND`.
pub fn get_round(r: &mut Reader<'_>, what: &'static str) -> Result<Round, DecodeError> {
    let v = i64::from_le_bytes(r.array(what)?);
    if !(-1..=MAX_ROUND).contains(&v) {
        return Err(invalid(what, "out of range"));
    }
    Ok(Round::from(v))
}

/// Reads a round that must not be nil.
pub fn get_defined_round(r: &mut Reader<'_>, what: &'static str) -> Result<Round, DecodeError> {
    let round = get_round(r, what)?;
    if round.is_nil() {
        return Err(invalid(what, "must not be nil"));
    }
    Ok(round)
}

fn put_value_id(w: &mut impl Sink, v: &NilOrVal<BlockHash>) {
    match v {
        NilOrVal::Nil => w.put_bytes(&[0]),
        NilOrVal::Val(h) => {
            w.put_bytes(&[1]);
            w.put_bytes(&h.0);
        }
    }
}

fn get_value_id(r: &mut Reader<'_>) -> Result<NilOrVal<BlockHash>, DecodeError> {
    match r.u8("value id tag")? {
        0 => Ok(NilOrVal::Nil),
        1 => Ok(NilOrVal::Val(BlockHash(r.array("value id")?))),
        _ => Err(invalid("value id tag", "must be 0 or 1")),
    }
}

fn put_kind(w: &mut impl Sink, k: VoteType) {
    w.put_bytes(&[match k {
        VoteType::Prevote => 0,
        VoteType::Precommit => 1,
    }]);
}

fn get_kind(r: &mut Reader<'_>) -> Result<VoteType, DecodeError> {
    match r.u8("vote kind")? {
        0 => Ok(VoteType::Prevote),
        1 => Ok(VoteType::Precommit),
        _ => Err(invalid("vote kind", "must be 0 or 1")),
    }
}

/// Encodes a vote.
pub fn put_vote(w: &mut impl Sink, v: &Vote) {
    put_kind(w, v.kind);
    w.put_bytes(&v.height.0.to_le_bytes());
    put_round(w, v.round);
    put_value_id(w, &v.value);
    w.put_bytes(&v.validator.0);
}

fn get_vote(r: &mut Reader<'_>) -> Result<Vote, DecodeError> {
    Ok(Vote {
        kind: get_kind(r)?,
        height: Height(r.u64("height")?),
        round: get_defined_round(r, "round")?,
        value: get_value_id(r)?,
        validator: NodeId(r.array("validator")?),
    })
}

/// Appends the encoding of a value.
pub fn put_value(w: &mut Writer, v: &BlockValue) {
    w.len_u32("header length", v.header.len(), MAX_HEADER);
    w.bytes(&v.header);
    w.len_u32("transaction count", v.txs.len(), MAX_BLOCK_TXS);
    for h in &v.txs {
        w.bytes(&h.0);
    }
}

/// Reads a block value for `height`, checking header, hash, height and transaction root agree.
pub fn get_value(r: &mut Reader<'_>, height: Height) -> Result<BlockValue, DecodeError> {
    let n = r.len_u32("header length", MAX_HEADER)?;
    let header_bytes = r.bytes(n, "header")?.to_vec();
    let header = Header::decode(&header_bytes)?;
    let n = r.len_u32("transaction count", MAX_BLOCK_TXS)?;
    let mut txs = Vec::with_capacity(n);
    for _ in 0..n {
        txs.push(TxHash(r.array("transaction hash")?));
    }
    if header.height != height.0 {
        return Err(invalid("header", "height differs from the proposal's"));
    }
    if header.tx_root != tx_root(&txs) || usize::try_from(header.tx_count).ok() != Some(txs.len()) {
        return Err(invalid(
            "header",
            "transaction root does not match the hashes",
        ));
    }
    Ok(BlockValue {
        hash: header.hash(),
        header: header_bytes,
        txs,
    })
}

fn put_proposal(w: &mut Writer, p: &Proposal) {
    w.u64(p.height.0);
    put_round(w, p.round);
    put_round(w, p.pol_round);
    w.bytes(&p.proposer.0);
    put_value(w, &p.value);
}

fn get_proposal(r: &mut Reader<'_>) -> Result<Proposal, DecodeError> {
    let height = Height(r.u64("height")?);
    Ok(Proposal {
        height,
        round: get_defined_round(r, "round")?,
        pol_round: get_round(r, "pol round")?,
        proposer: NodeId(r.array("proposer")?),
        value: get_value(r, height)?,
    })
}

/// The digest a vote signature covers (a fixed layout: cannot fail).
pub fn vote_sign_bytes(chain: &ChainId, v: &Vote) -> [u8; 32] {
    let mut b = Vec::with_capacity(96);
    put_vote(&mut b, v);
    hash256(b"veil/vote/v1", &[&chain.tagged(), &b])
}

/// The digest a vote signature covers, from plain fields: what a commit
/// record's precommits and double votes are checked against
/// (`veil_tx::governance::liveness`).
pub fn vote_digest(
    chain: &ChainId,
    precommit: bool,
    height: u64,
    round: u32,
    value: Option<[u8; 32]>,
    validator: [u8; 32],
) -> [u8; 32] {
    vote_sign_bytes(
        chain,
        &Vote {
            kind: if precommit {
                VoteType::Precommit
            } else {
                VoteType::Prevote
            },
            height: Height(height),
            round: Round::new(round),
            value: value.map_or(NilOrVal::Nil, |h| NilOrVal::Val(BlockHash(h))),
            validator: NodeId(validator),
        },
    )
}

/// The digest a proposal signature covers (a fixed layout: cannot fail).
pub fn proposal_sign_bytes(chain: &ChainId, p: &Proposal) -> [u8; 32] {
    let mut b = Vec::with_capacity(96);
    b.put_bytes(&p.height.0.to_le_bytes());
    put_round(&mut b, p.round);
    put_round(&mut b, p.pol_round);
    b.put_bytes(&p.proposer.0);
    b.put_bytes(&p.value.hash.0);
    hash256(b"veil/proposal/v1", &[&chain.tagged(), &b])
}

fn put_sig(w: &mut Writer, s: &NodeSignature) {
    w.bytes(&s.0);
}

fn get_sig(r: &mut Reader<'_>) -> Result<NodeSignature, DecodeError> {
    Ok(NodeSignature(r.array("signature")?))
}

/// Appends the encoding of a signed vote.
pub fn put_signed_vote(w: &mut Writer, v: &SignedVote) {
    put_vote(w, &v.message);
    put_sig(w, &v.signature);
}

/// Reads a vote and its signature.
pub fn get_signed_vote(r: &mut Reader<'_>) -> Result<SignedVote, DecodeError> {
    let v = get_vote(r)?;
    Ok(SignedMessage::new(v, get_sig(r)?))
}

/// Appends the encoding of a signed proposal.
pub fn put_signed_proposal(w: &mut Writer, p: &SignedProposal) {
    put_proposal(w, &p.message);
    put_sig(w, &p.signature);
}

/// Reads a proposal and its signature.
pub fn get_signed_proposal(r: &mut Reader<'_>) -> Result<SignedProposal, DecodeError> {
    let p = get_proposal(r)?;
    Ok(SignedMessage::new(p, get_sig(r)?))
}

/// Encodes a commit certificate.
pub fn encode_commit(c: &CommitCertificate<Veil>) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::new();
    let sigs: Vec<_> = c
        .commit_signatures
        .iter()
        .map(|s| (s.address, &s.signature))
        .collect();
    put_value_cert(&mut w, c.height, c.round, &c.value_id, &sigs);
    w.finish()
}

/// Decodes a commit certificate.
pub fn decode_commit(bytes: &[u8]) -> Result<CommitCertificate<Veil>, DecodeError> {
    let mut r = Reader::new(bytes);
    let c = get_commit(&mut r)?;
    r.finish()?;
    Ok(c)
}

/// The layout commit and polka certificates share:
/// `u64 height ‖ round ‖ block hash ‖ u32 n ‖ n × (validator ‖ signature)`.
fn put_value_cert(
    w: &mut Writer,
    height: Height,
    round: Round,
    value_id: &BlockHash,
    sigs: &[(NodeId, &NodeSignature)],
) {
    w.u64(height.0);
    put_round(w, round);
    w.bytes(&value_id.0);
    w.len_u32("signature count", sigs.len(), MAX_SIGNATURES);
    for (address, sig) in sigs {
        w.bytes(&address.0);
        put_sig(w, sig);
    }
}

type ValueCert = (Height, Round, BlockHash, Vec<(NodeId, NodeSignature)>);

fn get_value_cert(r: &mut Reader<'_>) -> Result<ValueCert, DecodeError> {
    let height = Height(r.u64("height")?);
    let round = get_defined_round(r, "round")?;
    let value_id = BlockHash(r.array("block hash")?);
    let n = r.len_u32("signature count", MAX_SIGNATURES)?;
    let mut sigs = Vec::with_capacity(n);
    for _ in 0..n {
        let address = NodeId(r.array("validator")?);
        sigs.push((address, get_sig(r)?));
    }
    Ok((height, round, value_id, sigs))
}

fn get_commit(r: &mut Reader<'_>) -> Result<CommitCertificate<Veil>, DecodeError> {
    let (height, round, value_id, sigs) = get_value_cert(r)?;
    Ok(CommitCertificate {
        height,
        round,
        value_id,
        commit_signatures: sigs
            .into_iter()
            .map(|(a, s)| CommitSignature::new(a, s))
            .collect(),
    })
}

/// Appends the encoding of a polka.
pub fn put_polka(w: &mut Writer, c: &PolkaCertificate<Veil>) {
    let sigs: Vec<_> = c
        .polka_signatures
        .iter()
        .map(|s| (s.address, &s.signature))
        .collect();
    put_value_cert(w, c.height, c.round, &c.value_id, &sigs);
}

/// Reads a polka certificate (bounded signature count).
pub fn get_polka(r: &mut Reader<'_>) -> Result<PolkaCertificate<Veil>, DecodeError> {
    let (height, round, value_id, sigs) = get_value_cert(r)?;
    Ok(PolkaCertificate {
        height,
        round,
        value_id,
        polka_signatures: sigs
            .into_iter()
            .map(|(a, s)| PolkaSignature::new(a, s))
            .collect(),
    })
}

/// Appends the encoding of a round cert.
pub fn put_round_cert(w: &mut Writer, c: &RoundCertificate<Veil>) {
    w.u64(c.height.0);
    put_round(w, c.round);
    w.u8(match c.cert_type {
        RoundCertificateType::Precommit => 0,
        RoundCertificateType::Skip => 1,
    });
    w.len_u32("signature count", c.round_signatures.len(), MAX_SIGNATURES);
    for s in &c.round_signatures {
        put_kind(w, s.vote_type);
        put_value_id(w, &s.value_id);
        w.bytes(&s.address.0);
        put_sig(w, &s.signature);
    }
}

/// Reads a round certificate (bounded signature count).
pub fn get_round_cert(r: &mut Reader<'_>) -> Result<RoundCertificate<Veil>, DecodeError> {
    let height = Height(r.u64("height")?);
    let round = get_defined_round(r, "round")?;
    let cert_type = match r.u8("certificate type")? {
        0 => RoundCertificateType::Precommit,
        1 => RoundCertificateType::Skip,
        _ => return Err(invalid("certificate type", "must be 0 or 1")),
    };
    let n = r.len_u32("signature count", MAX_SIGNATURES)?;
    let mut round_signatures = Vec::with_capacity(n);
    for _ in 0..n {
        let vote_type = get_kind(r)?;
        let value_id = get_value_id(r)?;
        let address = NodeId(r.array("validator")?);
        round_signatures.push(RoundSignature::new(
            vote_type,
            value_id,
            address,
            get_sig(r)?,
        ));
    }
    Ok(RoundCertificate {
        height,
        round,
        cert_type,
        round_signatures,
    })
}

/// A message on the consensus channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsensusMessage {
    /// A signed proposal.
    Proposal(SignedProposal),
    /// A signed vote.
    Vote(SignedVote),
    /// A polka certificate (liveness).
    Polka(PolkaCertificate<Veil>),
    /// A round certificate (liveness).
    Round(RoundCertificate<Veil>),
}

impl Encode for ConsensusMessage {
    fn write(&self, w: &mut Writer) {
        match self {
            Self::Proposal(p) => {
                w.u8(1);
                put_signed_proposal(w, p);
            }
            Self::Vote(v) => {
                w.u8(2);
                put_signed_vote(w, v);
            }
            Self::Polka(c) => {
                w.u8(3);
                put_polka(w, c);
            }
            Self::Round(c) => {
                w.u8(4);
                put_round_cert(w, c);
            }
        }
    }
}

/// Bounded by the format's limits; trailing bytes refused.
impl Decode for ConsensusMessage {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        Ok(match r.u8("message tag")? {
            1 => Self::Proposal(get_signed_proposal(r)?),
            2 => Self::Vote(get_signed_vote(r)?),
            3 => Self::Polka(get_polka(r)?),
            4 => Self::Round(get_round_cert(r)?),
            _ => return Err(invalid("message tag", "unknown")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veil_codec::DecodeExt;

    use crate::testing::messages;

    #[test]
    fn messages_round_trip_and_truncations_are_refused() {
        for m in messages() {
            let bytes = m.encode().unwrap();
            assert_eq!(ConsensusMessage::decode(&bytes).unwrap(), m);
            for cut in 0..bytes.len() {
                assert!(ConsensusMessage::decode(&bytes[..cut]).is_err());
            }
            let mut long = bytes.clone();
            long.push(0);
            assert!(ConsensusMessage::decode(&long).is_err());
        }
    }

    /// The fullest block governance allows, with its commit record, fits
    /// the encoding (a 10,000-transfer block once did not: 10,001 hashes).
    #[test]
    fn the_fullest_governed_block_and_its_commit_record_encode() {
        let txs: Vec<TxHash> = (0..MAX_BLOCK_TXS)
            .map(|i| TxHash(hash256(b"tx", &[&i.to_le_bytes()])))
            .collect();
        let value = BlockValue::new(&crate::testing::header(4, &txs), txs);
        let mut w = Writer::new();
        put_value(&mut w, &value);
        let bytes = w.finish().unwrap();
        let mut r = Reader::new(&bytes);
        assert_eq!(
            get_value(&mut r, Height(4)).unwrap().txs.len(),
            MAX_BLOCK_TXS
        );
        let mut over = value.clone();
        over.txs.push(TxHash([7; 32]));
        let mut w = Writer::new();
        put_value(&mut w, &over);
        assert!(w.finish().is_err());
    }

    #[test]
    fn proposal_with_inconsistent_value_is_refused() {
        let ConsensusMessage::Proposal(mut p) = messages().remove(1) else {
            unreachable!()
        };
        p.message.value.txs.pop();
        let bytes = ConsensusMessage::Proposal(p).encode().unwrap();
        assert!(ConsensusMessage::decode(&bytes).is_err());
    }

    #[test]
    fn hostile_bytes_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        for m in messages() {
            let bytes = m.encode().unwrap();
            for _ in 0..2_000 {
                let mut b = bytes.clone();
                let i = rng.gen_range(0..b.len());
                b[i] = rng.gen();
                let _ = ConsensusMessage::decode(&b);
            }
        }
        let _ = ConsensusMessage::decode(&[3, 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn commit_certificate_round_trips() {
        let c = CommitCertificate::<Veil> {
            height: Height(9),
            round: Round::new(0),
            value_id: BlockHash([3; 32]),
            commit_signatures: vec![CommitSignature::new(
                NodeId([1; 32]),
                NodeSignature([2; 64]),
            )],
        };
        assert_eq!(decode_commit(&encode_commit(&c).unwrap()).unwrap(), c);
    }

    #[test]
    fn signatures_bind_the_chain() {
        let ConsensusMessage::Vote(v) = messages().remove(0) else {
            unreachable!()
        };
        assert_ne!(
            vote_sign_bytes(&ChainId::new("a").unwrap(), &v.message),
            vote_sign_bytes(&ChainId::new("b").unwrap(), &v.message)
        );
    }
}
