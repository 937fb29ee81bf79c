//! The consensus write-ahead log's entry format: the inputs the Malachite
//! core asks to persist (votes, proposals, proposed values, elapsed
//! timeouts, certificates), encoded with the wire layouts of
//! [`veil_wire::consensus`]. Entries are written by this node and read back
//! after a restart; the decoder is bounded all the same.

use arc_malachitebft_core_consensus::Input;
use arc_malachitebft_core_types::{Timeout, TimeoutKind, Validity, ValueOrigin};

use veil_codec::{DecodeError, EncodeError, Reader, Writer};
use veil_wire::consensus::{
    get_defined_round, get_polka, get_round, get_round_cert, get_signed_proposal, get_signed_vote,
    get_value, put_polka, put_round, put_round_cert, put_signed_proposal, put_signed_vote,
    put_value,
};
use veil_wire::context::{Height, NodeId, Veil};

fn invalid(what: &'static str, why: &'static str) -> DecodeError {
    DecodeError::Invalid { what, why }
}

/// Encodes a WAL entry (the inputs the core asks to persist): `None` for
/// inputs that are not persisted.
pub fn encode_wal(input: &Input<Veil>) -> Option<Result<Vec<u8>, EncodeError>> {
    let mut w = Writer::new();
    match input {
        Input::Vote(v) => {
            w.u8(1);
            put_signed_vote(&mut w, v);
        }
        Input::Proposal(p) => {
            w.u8(2);
            put_signed_proposal(&mut w, p);
        }
        Input::ProposedValue(v, origin) => {
            w.u8(3);
            w.u64(v.height.0);
            put_round(&mut w, v.round);
            put_round(&mut w, v.valid_round);
            w.bytes(&v.proposer.0);
            put_value(&mut w, &v.value);
            w.u8(u8::from(v.validity.is_valid()));
            w.u8(u8::from(origin.is_sync()));
        }
        Input::TimeoutElapsed(t) => {
            w.u8(4);
            put_round(&mut w, t.round);
            match t.kind {
                TimeoutKind::Propose => w.u8(0),
                TimeoutKind::Prevote => w.u8(1),
                TimeoutKind::Precommit => w.u8(2),
                TimeoutKind::Rebroadcast => w.u8(3),
                TimeoutKind::FinalizeHeight(d) => {
                    w.u8(4);
                    match u64::try_from(d.as_millis()) {
                        Ok(ms) => w.u64(ms),
                        Err(_) => w.fail("finalize timeout", "longer than u64 milliseconds"),
                    }
                }
            }
        }
        Input::PolkaCertificate(c) => {
            w.u8(5);
            put_polka(&mut w, c);
        }
        Input::RoundCertificate(c) => {
            w.u8(6);
            put_round_cert(&mut w, c);
        }
        _ => return None,
    }
    Some(w.finish())
}

/// Decodes a WAL entry.
pub fn decode_wal(bytes: &[u8]) -> Result<Input<Veil>, DecodeError> {
    let mut r = Reader::new(bytes);
    let input = match r.u8("wal tag")? {
        1 => Input::Vote(get_signed_vote(&mut r)?),
        2 => Input::Proposal(get_signed_proposal(&mut r)?),
        3 => {
            let height = Height(r.u64("height")?);
            let round = get_defined_round(&mut r, "round")?;
            let valid_round = get_round(&mut r, "valid round")?;
            let proposer = NodeId(r.array("proposer")?);
            let value = get_value(&mut r, height)?;
            let validity = Validity::from_bool(r.u8("validity")? == 1);
            let origin = if r.u8("origin")? == 1 {
                ValueOrigin::Sync
            } else {
                ValueOrigin::Consensus
            };
            Input::ProposedValue(
                arc_malachitebft_core_consensus::ProposedValue {
                    height,
                    round,
                    valid_round,
                    proposer,
                    value,
                    validity,
                },
                origin,
            )
        }
        4 => {
            let round = get_defined_round(&mut r, "round")?;
            let kind = match r.u8("timeout kind")? {
                0 => TimeoutKind::Propose,
                1 => TimeoutKind::Prevote,
                2 => TimeoutKind::Precommit,
                3 => TimeoutKind::Rebroadcast,
                4 => TimeoutKind::FinalizeHeight(std::time::Duration::from_millis(
                    r.u64("duration")?,
                )),
                _ => return Err(invalid("timeout kind", "unknown")),
            };
            Input::TimeoutElapsed(Timeout::new(round, kind))
        }
        5 => Input::PolkaCertificate(get_polka(&mut r)?),
        6 => Input::RoundCertificate(get_round_cert(&mut r)?),
        _ => return Err(invalid("wal tag", "unknown")),
    };
    r.finish()?;
    Ok(input)
}
