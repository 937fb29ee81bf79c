//! Peer-to-peer transport between validator nodes: QUIC with mutual TLS 1.3,
//! peers authenticated by their Ed25519 node keys ([`tls`]).

pub mod admission;
pub mod frame;
pub mod network;
pub mod tls;

pub use frame::Channel;
pub use network::{Inbound, Inboxes, NetConfig, NetError, Network, PeerAddr, RequestHandler};
