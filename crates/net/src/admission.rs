//! The admission handshake on top of mutual TLS.
//!
//! TLS already proved that each side holds the private key of its
//! certificate and that the key is on the allow-list. The handshake binds
//! that proof to *this* connection and to this chain, so a transcript cannot
//! be replayed on another connection:
//!
//! ```text
//! dialer   → acceptor : "veil" ‖ version u8 (= 1)
//! acceptor → dialer   : nonce (32 random bytes, single use)
//! dialer   → acceptor : Ed25519 signature by the dialer's node key over
//!     SHA-256("veil/admission/v1" ‖ 0x00 ‖ chain len u8 ‖ chain ‖ nonce ‖
//!             exporter ‖ dialer key ‖ acceptor key)
//!     where exporter = TLS-Exporter("EXPORTER-veil-admission", "", 32)
//!     (RFC 5705 / RFC 8446 §7.5) of this connection
//! acceptor → dialer   : 0x01 (admitted)
//! ```
//!
//! The acceptor refuses (closes the connection with a reason) a wrong magic
//! or version, a signature that does not verify under the key of the
//! dialer's TLS certificate, a nonce it already saw, or a key no longer on
//! the allow-list. Every step has a deadline.

use std::time::Duration;
use veil_wire::block::ChainId;

use rand_core::RngCore;

use veil_crypto::hash::hash256;
use veil_crypto::signing::{Signature, SigningKey, VerifyingKey};

/// Handshake magic.
pub const MAGIC: &[u8; 4] = b"veil";
/// Handshake version.
pub const VERSION: u8 = 1;
/// Deadline for the whole handshake.
pub const DEADLINE: Duration = Duration::from_secs(5);
const EXPORTER_LABEL: &[u8] = b"EXPORTER-veil-admission";

/// Why admission failed.
#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    /// The peer's certificate carries no usable key.
    #[error("peer presented no Ed25519 certificate")]
    NoKey,
    /// Wrong magic or version.
    #[error("bad hello")]
    BadHello,
    /// The signature does not verify.
    #[error("bad admission signature")]
    BadSignature,
    /// The nonce was seen before.
    #[error("replayed nonce")]
    Replay,
    /// The acceptor refused us.
    #[error("refused by peer")]
    Refused,
    /// The key is not (or no longer) allowed.
    #[error("key not on the allow-list")]
    NotAllowed,
    /// Stream or deadline failure.
    #[error("handshake I/O: {0}")]
    Io(String),
}

impl AdmissionError {
    /// A short reason for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoKey => "no-key",
            Self::BadHello => "bad-hello",
            Self::BadSignature => "bad-signature",
            Self::Replay => "replayed-nonce",
            Self::Refused => "refused",
            Self::NotAllowed => "not-allowed",
            Self::Io(_) => "io",
        }
    }
}

fn io(e: impl ToString) -> AdmissionError {
    AdmissionError::Io(e.to_string())
}

/// The exporter value of a connection.
pub fn exporter(conn: &quinn::Connection) -> Result<[u8; 32], AdmissionError> {
    let mut out = [0u8; 32];
    conn.export_keying_material(&mut out, EXPORTER_LABEL, b"")
        .map_err(|_| AdmissionError::Io("TLS exporter unavailable".into()))?;
    Ok(out)
}

/// The digest the dialer signs.
pub fn transcript(
    chain: &ChainId,
    nonce: &[u8; 32],
    exporter: &[u8; 32],
    dialer: &[u8; 32],
    acceptor: &[u8; 32],
) -> [u8; 32] {
    hash256(
        b"veil/admission/v1",
        &[&chain.tagged(), nonce, exporter, dialer, acceptor],
    )
}

/// Checks the dialer's first five bytes: the magic and the version.
pub fn check_hello(hello: &[u8; 5]) -> Result<(), AdmissionError> {
    if &hello[..4] != MAGIC || hello[4] != VERSION {
        return Err(AdmissionError::BadHello);
    }
    Ok(())
}

/// Dialer side: proves our key on this connection.
pub async fn dial(
    conn: &quinn::Connection,
    key: &SigningKey,
    chain: &ChainId,
) -> Result<(), AdmissionError> {
    tokio::time::timeout(DEADLINE, async {
        let peer = super::tls::peer_key(conn).ok_or(AdmissionError::NoKey)?;
        let (mut send, mut recv) = conn.open_bi().await.map_err(io)?;
        let mut hello = MAGIC.to_vec();
        hello.push(VERSION);
        send.write_all(&hello).await.map_err(io)?;
        let mut nonce = [0u8; 32];
        recv.read_exact(&mut nonce).await.map_err(io)?;
        let digest = transcript(
            chain,
            &nonce,
            &exporter(conn)?,
            key.public().as_bytes(),
            &peer,
        );
        send.write_all(&key.sign(&digest).0).await.map_err(io)?;
        let mut ok = [0u8; 1];
        recv.read_exact(&mut ok)
            .await
            .map_err(|_| AdmissionError::Refused)?;
        let _ = send.finish();
        if ok[0] == 1 {
            Ok(())
        } else {
            Err(AdmissionError::Refused)
        }
    })
    .await
    .map_err(|_| AdmissionError::Io("deadline".into()))?
}

/// Acceptor side: checks the dialer's proof; returns its key.
pub async fn accept(
    conn: &quinn::Connection,
    key: &SigningKey,
    chain: &ChainId,
    allowed: &(dyn Fn(&[u8; 32]) -> bool + Send + Sync),
    seen: &std::sync::Mutex<std::collections::HashSet<[u8; 32]>>,
) -> Result<[u8; 32], AdmissionError> {
    tokio::time::timeout(DEADLINE, async {
        let peer = super::tls::peer_key(conn).ok_or(AdmissionError::NoKey)?;
        let (mut send, mut recv) = conn.accept_bi().await.map_err(io)?;
        let mut hello = [0u8; 5];
        recv.read_exact(&mut hello).await.map_err(io)?;
        check_hello(&hello)?;
        let mut nonce = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut nonce);
        {
            let mut seen = seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if seen.len() > 100_000 {
                seen.clear();
            }
            if !seen.insert(nonce) {
                return Err(AdmissionError::Replay);
            }
        }
        send.write_all(&nonce).await.map_err(io)?;
        let mut sig = [0u8; 64];
        recv.read_exact(&mut sig).await.map_err(io)?;
        let digest = transcript(
            chain,
            &nonce,
            &exporter(conn)?,
            &peer,
            key.public().as_bytes(),
        );
        VerifyingKey::from_bytes(&peer)
            .and_then(|k| k.verify(&digest, &Signature(sig)))
            .map_err(|_| AdmissionError::BadSignature)?;
        if !allowed(&peer) {
            return Err(AdmissionError::NotAllowed);
        }
        send.write_all(&[1]).await.map_err(io)?;
        let _ = send.finish();
        Ok(peer)
    })
    .await
    .map_err(|_| AdmissionError::Io("deadline".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_hello_is_accepted() {
        let mut hello = [0u8; 5];
        hello[..4].copy_from_slice(MAGIC);
        hello[4] = VERSION;
        assert!(check_hello(&hello).is_ok());
        for i in 0..5 {
            let mut bad = hello;
            bad[i] ^= 1;
            assert!(matches!(check_hello(&bad), Err(AdmissionError::BadHello)));
        }
    }
}
