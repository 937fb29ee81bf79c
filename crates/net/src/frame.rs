//! Channels and frames on an admitted connection.
//!
//! After admission each side opens one unidirectional QUIC stream per
//! channel; the stream's first byte names the channel, then frames follow:
//! `u32-le length ‖ payload`. Each channel has its own length limit and its
//! own bounded queues, so a flood of transactions cannot delay votes: QUIC
//! flow-controls each stream separately and the node drains each channel
//! from its own task. Requests (sync, missing bodies) use one
//! bidirectional stream each: request frame, response frame.
//!
//! A frame over its channel's limit, an unknown channel byte or a payload
//! the node cannot decode closes that connection only.

/// A message channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Signed proposals.
    Proposals = 0,
    /// Signed votes and vote certificates.
    Votes = 1,
    /// Transaction gossip.
    Txs = 2,
    /// Tip announcements.
    Status = 3,
}

impl Channel {
    /// Every channel, by id.
    pub const ALL: [Channel; 4] = [
        Channel::Proposals,
        Channel::Votes,
        Channel::Txs,
        Channel::Status,
    ];

    /// The channel's id byte.
    pub fn id(self) -> u8 {
        match self {
            Channel::Proposals => 0,
            Channel::Votes => 1,
            Channel::Txs => 2,
            Channel::Status => 3,
        }
    }

    /// The channel with id `b`.
    pub fn from_id(b: u8) -> Option<Self> {
        Self::ALL.get(usize::from(b)).copied()
    }

    /// Largest frame accepted on the channel.
    pub fn max_frame(self) -> usize {
        match self {
            // 10,000 hashes plus a header and a signature.
            Channel::Proposals => 512 * 1024,
            // A round certificate of 1,024 validators.
            Channel::Votes => 160 * 1024,
            Channel::Txs => veil_tx::limits::MAX_TX_BYTES + 64,
            Channel::Status => 64,
        }
    }

    /// A short name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Proposals => "proposals",
            Channel::Votes => "votes",
            Channel::Txs => "txs",
            Channel::Status => "status",
        }
    }
}

/// Largest request frame (a list of 10,000 transaction hashes).
pub const MAX_REQUEST: usize = 512 * 1024;
/// Largest response frame.
pub const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// Why a frame was refused.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Longer than the limit.
    #[error("frame of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Declared length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The stream failed or ended mid-frame.
    #[error("stream: {0}")]
    Read(#[from] quinn::ReadExactError),
    /// The stream could not be written.
    #[error("stream: {0}")]
    Write(#[from] quinn::WriteError),
}

/// The payload length a frame's 4-byte little-endian prefix declares,
/// refused above `limit` before anything is allocated.
pub fn frame_length(prefix: [u8; 4], limit: usize) -> Result<usize, FrameError> {
    let len = usize::try_from(u32::from_le_bytes(prefix)).unwrap_or(usize::MAX);
    if len > limit {
        return Err(FrameError::TooLarge { len, limit });
    }
    Ok(len)
}

/// Reads one frame of at most `limit` bytes; `Ok(None)` at a clean end.
pub async fn read_frame(
    stream: &mut quinn::RecvStream,
    limit: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = frame_length(len, limit)?;
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(Some(buf))
}

/// Writes one frame.
pub async fn write_frame(stream: &mut quinn::SendStream, payload: &[u8]) -> Result<(), FrameError> {
    let len = u32::try_from(payload.len()).map_err(|_| FrameError::TooLarge {
        len: payload.len(),
        limit: usize::try_from(u32::MAX).unwrap_or(usize::MAX),
    })?;
    stream.write_all(&len.to_le_bytes()).await?;
    Ok(stream.write_all(payload).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_above_the_channel_limit_are_refused() {
        for ch in Channel::ALL {
            let limit = ch.max_frame();
            let at = u32::try_from(limit).unwrap().to_le_bytes();
            assert_eq!(frame_length(at, limit).unwrap(), limit);
            let over = u32::try_from(limit + 1).unwrap().to_le_bytes();
            assert!(matches!(
                frame_length(over, limit),
                Err(FrameError::TooLarge { len, .. }) if len == limit + 1
            ));
        }
        assert!(frame_length([0xff; 4], MAX_RESPONSE).is_err());
        assert_eq!(frame_length([0; 4], 0).unwrap(), 0);
    }
}
