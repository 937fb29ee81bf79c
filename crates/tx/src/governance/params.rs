//! The governed parameters: their names, ranges, defaults (Cosmos
//! `x/gov`'s shares) and the canonical encoding of the `params` record.

use super::{invalid, wide, MAX_CANDIDATES, PPM};
use crate::limits::{MAX_BLOCK_TXS, MAX_RING, MIN_RING};
use veil_codec::{Decode, DecodeError, Encode, Reader, Writer};

/// A governed parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Param {
    /// Share of the committee's weight that must vote (ppm).
    Quorum,
    /// Share of yes among yes + no for a proposal to pass (ppm).
    Threshold,
    /// Share of veto among all votes that rejects a proposal (ppm).
    Veto,
    /// Blocks a proposal stays open.
    VotingPeriod,
    /// Blocks between validator elections.
    EpochBlocks,
    /// Largest validator set.
    MaxValidators,
    /// Most transactions a proposer puts in one block.
    MaxBlockTxs,
    /// Smallest ring a transfer may use.
    MinRing,
    /// Blocks per liveness window.
    LivenessWindow,
    /// Share of a window's commits (ppm) a validator must sign.
    MinSigned,
    /// Blocks a downtime jail lasts before `unjail` is allowed.
    JailBlocks,
}

impl Param {
    /// Every parameter, in tag order.
    pub const ALL: [Param; 11] = [
        Param::Quorum,
        Param::Threshold,
        Param::Veto,
        Param::VotingPeriod,
        Param::EpochBlocks,
        Param::MaxValidators,
        Param::MaxBlockTxs,
        Param::MinRing,
        Param::LivenessWindow,
        Param::MinSigned,
        Param::JailBlocks,
    ];

    pub(crate) fn tag(self) -> u8 {
        match self {
            Self::Quorum => 1,
            Self::Threshold => 2,
            Self::Veto => 3,
            Self::VotingPeriod => 4,
            Self::EpochBlocks => 5,
            Self::MaxValidators => 6,
            Self::MaxBlockTxs => 7,
            Self::MinRing => 8,
            Self::LivenessWindow => 9,
            Self::MinSigned => 10,
            Self::JailBlocks => 11,
        }
    }

    pub(crate) fn from_tag(t: u8) -> Result<Self, DecodeError> {
        Self::ALL
            .into_iter()
            .find(|p| p.tag() == t)
            .ok_or_else(|| invalid("parameter", "unknown parameter"))
    }

    /// The parameter's name (as the CLI and the API spell it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Quorum => "quorum",
            Self::Threshold => "threshold",
            Self::Veto => "veto",
            Self::VotingPeriod => "voting_period",
            Self::EpochBlocks => "epoch_blocks",
            Self::MaxValidators => "max_validators",
            Self::MaxBlockTxs => "max_block_txs",
            Self::MinRing => "min_ring",
            Self::LivenessWindow => "liveness_window",
            Self::MinSigned => "min_signed",
            Self::JailBlocks => "jail_blocks",
        }
    }

    /// Refuses a value outside [`Param::range`].
    pub fn check(self, v: u64) -> Result<(), DecodeError> {
        let (min, max) = self.range();
        if v < min || v > max {
            return Err(DecodeError::OutOfRange {
                what: self.name(),
                found: v,
                min,
                max,
            });
        }
        Ok(())
    }

    /// The accepted range of values.
    pub fn range(self) -> (u64, u64) {
        match self {
            Self::Quorum | Self::Threshold | Self::Veto => (1, PPM),
            Self::VotingPeriod => (1, 1_000_000),
            Self::EpochBlocks => (1, 1_000_000),
            Self::MaxValidators => (1, wide(MAX_CANDIDATES)),
            Self::MaxBlockTxs => (1, wide(MAX_BLOCK_TXS)),
            Self::MinRing => (wide(MIN_RING), wide(MAX_RING)),
            Self::LivenessWindow => (2, 1_000_000),
            Self::MinSigned => (1, PPM),
            Self::JailBlocks => (1, 1_000_000),
        }
    }
}

impl std::str::FromStr for Param {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| invalid("parameter", "unknown parameter name"))
    }
}

/// The governed parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GovParams {
    /// Quorum, ppm of the committee's weight.
    pub quorum: u64,
    /// Pass threshold, ppm of yes + no.
    pub threshold: u64,
    /// Veto share, ppm of the weight that voted.
    pub veto: u64,
    /// Blocks a proposal stays open.
    pub voting_period: u64,
    /// Blocks between validator elections.
    pub epoch_blocks: u64,
    /// Largest validator set.
    pub max_validators: u64,
    /// Most transactions per block.
    pub max_block_txs: u64,
    /// Smallest ring.
    pub min_ring: u64,
    /// Blocks per liveness window.
    pub liveness_window: u64,
    /// Share of a window's commits (ppm) a validator must sign.
    pub min_signed: u64,
    /// Blocks a downtime jail lasts.
    pub jail_blocks: u64,
    /// The height at which the chain stops for a software upgrade (0: none).
    pub halt_height: u64,
}

impl Default for GovParams {
    /// Cosmos `x/gov`'s shares (0.334 / 0.5 / 0.334).
    fn default() -> Self {
        Self {
            quorum: 334_000,
            threshold: 500_000,
            veto: 334_000,
            voting_period: 100,
            epoch_blocks: 100,
            max_validators: 21,
            max_block_txs: 10_000,
            min_ring: wide(MIN_RING),
            liveness_window: 100,
            min_signed: 500_000,
            jail_blocks: 100,
            halt_height: 0,
        }
    }
}

impl GovParams {
    /// The value of `p`.
    pub fn get(&self, p: Param) -> u64 {
        match p {
            Param::Quorum => self.quorum,
            Param::Threshold => self.threshold,
            Param::Veto => self.veto,
            Param::VotingPeriod => self.voting_period,
            Param::EpochBlocks => self.epoch_blocks,
            Param::MaxValidators => self.max_validators,
            Param::MaxBlockTxs => self.max_block_txs,
            Param::MinRing => self.min_ring,
            Param::LivenessWindow => self.liveness_window,
            Param::MinSigned => self.min_signed,
            Param::JailBlocks => self.jail_blocks,
        }
    }

    /// Sets `p` (the caller checked the range).
    pub fn set(&mut self, p: Param, v: u64) {
        match p {
            Param::Quorum => self.quorum = v,
            Param::Threshold => self.threshold = v,
            Param::Veto => self.veto = v,
            Param::VotingPeriod => self.voting_period = v,
            Param::EpochBlocks => self.epoch_blocks = v,
            Param::MaxValidators => self.max_validators = v,
            Param::MaxBlockTxs => self.max_block_txs = v,
            Param::MinRing => self.min_ring = v,
            Param::LivenessWindow => self.liveness_window = v,
            Param::MinSigned => self.min_signed = v,
            Param::JailBlocks => self.jail_blocks = v,
        }
    }

    /// Checks every value against its range.
    pub fn check(&self) -> Result<(), DecodeError> {
        for p in Param::ALL {
            p.check(self.get(p))?;
        }
        Ok(())
    }
}

impl Encode for GovParams {
    fn write(&self, w: &mut Writer) {
        for p in Param::ALL {
            w.u64(self.get(p));
        }
        w.u64(self.halt_height);
    }
}

impl Decode for GovParams {
    type Cfg = ();

    fn read_cfg(r: &mut Reader<'_>, _: &()) -> Result<Self, DecodeError> {
        let mut params = Self::default();
        for p in Param::ALL {
            params.set(p, r.u64(p.name())?);
        }
        params.halt_height = r.u64("halt height")?;
        params.check()?;
        Ok(params)
    }
}
