//! QUIC mutual TLS between nodes, authenticated by Ed25519 node keys.
//!
//! Scheme:
//!
//! * Each node presents one X.509 certificate, self-signed with its Ed25519
//!   node key `sk` (public key `pk`), built by [`node_certificate`]. The
//!   certificate is only a container for `pk`: its names, serial, validity and
//!   self-signature are not checked by the peer.
//! * Both sides authenticate: the server requires a client certificate, and
//!   each side accepts the other only if the end-entity certificate carries an
//!   Ed25519 key (SPKI `id-Ed25519`, RFC 8410) that is on its [`AllowList`],
//!   and sends no intermediates. The TLS 1.3 `CertificateVerify` signature
//!   (Ed25519 over the handshake transcript, RFC 8446 §4.4.3) proves the peer
//!   holds `sk` for that `pk`.
//! * TLS 1.3 only (QUIC requires it; RFC 9001 §4.2), `ed25519` the only
//!   signature scheme offered or accepted, 0-RTT off, ALPN [`ALPN`], SNI not
//!   sent (the server name `"veil"` callers pass is ignored).
//!
//! Why no CA: the set of nodes is ledger state (the allow-list reads it), so
//! the ledger is the authority. A CA would be a second root of trust that
//! can disagree with the ledger and that must be run, protected and revoked
//! from; pinning keys makes admission and removal one ledger write.
//!
//! The allow-list is consulted during every handshake: session resumption
//! is off on both sides, because a resumed TLS 1.3 session skips
//! certificate verification and the allow-list (ledger state) may have
//! dropped the key since. A key removed later keeps its open connections
//! until the node closes them (`Network::enforce_allow_list`).
//!
//! TLS only proves which key is on the other end of this QUIC connection.
//! The node then binds the connection to its admission handshake by signing
//! a value from the TLS exporter (RFC 8446 §7.5,
//! [`quinn::Connection::export_keying_material`]); that is done elsewhere.
//!
//! Key material: the PKCS#8 encoding of the seed is built in a zeroizing
//! buffer, the key DER this module loads is wiped after use, and nothing
//! secret is logged (only peer public keys, at debug level). rcgen's
//! `KeyPair` and ring's Ed25519 key pair hold copies of the seed that they
//! do not zeroize; that is outside this module's reach.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{NoInitialCipherSuite, QuicClientConfig, QuicServerConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, PeerIncompatible, PeerMisbehaved,
    SignatureScheme,
};

use veil_crypto::secret::Secret;
use veil_crypto::signing::SigningKey;

/// ALPN protocol id.
pub const ALPN: &[u8] = b"veil/1";

/// Decides whether a peer key may connect (reads ledger state in the node).
///
/// Called on the QUIC endpoint's driver during every handshake: it must be
/// quick and must not block.
pub type AllowList = std::sync::Arc<dyn Fn(&[u8; 32]) -> bool + Send + Sync>;

/// Errors building the node's TLS identity or QUIC configurations.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen could not load the node key or self-sign the certificate.
    #[error("cannot build the node certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// The certificate built for the node key does not carry that key.
    #[error("the node certificate does not carry the node key")]
    KeyMismatch,
    /// rustls refused the key or the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The rustls configuration lacks the cipher suite QUIC needs for its
    /// initial packets (`TLS_AES_128_GCM_SHA256`).
    #[error("QUIC configuration: {0}")]
    Quic(#[from] NoInitialCipherSuite),
}

/// PKCS#8 v1 (RFC 5208, RFC 8410 §7) header of an Ed25519 private key; the
/// 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// DER `SubjectPublicKeyInfo` header of an Ed25519 public key (RFC 8410 §4:
/// algorithm `1.3.101.112` without parameters); the 32-byte key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Common name of every node certificate (informational only).
const CERT_COMMON_NAME: &str = "veil node";

/// Keep-alive interval: well under [`IDLE_TIMEOUT_MS`], so a live but quiet
/// peer is never timed out.
const KEEP_ALIVE: Duration = Duration::from_secs(1);
/// Idle timeout in milliseconds: a peer silent this long is gone.
const IDLE_TIMEOUT_MS: u32 = 10_000;
/// Unidirectional streams the peer may have open at once.
const MAX_UNI_STREAMS: u32 = 16;
/// Bidirectional streams the peer may have open at once.
const MAX_BIDI_STREAMS: u32 = 64;

/// Self-signed X.509 certificate for the node key, plus the private key DER.
///
/// The key is handed to rcgen as the PKCS#8 v1 DER of the Ed25519 seed
/// (RFC 8410 §7): `30 2e 02 01 00 30 05 06 03 2b 65 70 04 22 04 20 ‖ seed`.
///
/// The returned key DER holds the seed: the caller should wipe it (it
/// implements `zeroize::Zeroize`, e.g. wrap it in a `Secret`) once loaded.
pub fn node_certificate(
    key: &SigningKey,
) -> Result<
    (
        rustls::pki_types::CertificateDer<'static>,
        rustls::pki_types::PrivateKeyDer<'static>,
    ),
    TlsError,
> {
    let pkcs8 = ed25519_pkcs8(key);
    let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(&pkcs8.expose()[..]),
        &rcgen::PKCS_ED25519,
    )?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CERT_COMMON_NAME);
    let cert = params.self_signed(&key_pair)?.der().clone();
    if certificate_key(&cert).as_ref() != Some(key.public().as_bytes()) {
        return Err(TlsError::KeyMismatch);
    }
    Ok((
        cert,
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.expose().to_vec())),
    ))
}

/// The 32-byte Ed25519 key inside a certificate (None if not an Ed25519 cert).
///
/// Only the encoding is checked (the certificate parses as X.509 v3 and its
/// `SubjectPublicKeyInfo` is exactly an Ed25519 key), not the signature,
/// names or validity period.
pub fn certificate_key(cert: &rustls::pki_types::CertificateDer<'_>) -> Option<[u8; 32]> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    let spki = parsed.subject_public_key_info();
    let key = spki.as_ref().strip_prefix(&ED25519_SPKI_PREFIX[..])?;
    key.try_into().ok()
}

/// Server side: requires a client certificate, checks its key against `allow`.
pub fn server_config(key: &SigningKey, allow: AllowList) -> Result<quinn::ServerConfig, TlsError> {
    let provider = provider();
    let verifier = PeerVerifier::new(allow, &provider);
    let certified = certified_key(key)?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    tls.alpn_protocols = vec![ALPN.to_vec()];
    // No resumption: a resumed session skips certificate verification, and
    // the allow-list (ledger state) may have dropped the key since.
    tls.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    tls.send_tls13_tickets = 0;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(tls)?));
    config.transport_config(transport());
    Ok(config)
}

/// Client side: presents our certificate, checks the server's key against `allow`.
pub fn client_config(key: &SigningKey, allow: AllowList) -> Result<quinn::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = PeerVerifier::new(allow, &provider);
    let certified = certified_key(key)?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.enable_sni = false;
    tls.resumption = rustls::client::Resumption::disabled();
    let mut config = quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls)?));
    config.transport_config(transport());
    Ok(config)
}

/// The peer's node key of an established connection (from its certificate).
pub fn peer_key(conn: &quinn::Connection) -> Option<[u8; 32]> {
    let identity = conn.peer_identity()?;
    let chain = identity.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    certificate_key(chain.first()?)
}

/// The PKCS#8 v1 DER of the node key's seed, in a buffer wiped on drop.
fn ed25519_pkcs8(key: &SigningKey) -> Secret<[u8; 48]> {
    let mut der = Secret::new([0u8; 48]);
    let (prefix, seed) = der.expose_mut().split_at_mut(ED25519_PKCS8_PREFIX.len());
    prefix.copy_from_slice(&ED25519_PKCS8_PREFIX);
    seed.copy_from_slice(key.seed().expose());
    der
}

/// The node certificate and its rustls signing key. The key DER is borrowed
/// from a zeroizing buffer, so no unwiped copy of the seed is left here.
fn certified_key(key: &SigningKey) -> Result<CertifiedKey, TlsError> {
    let (cert, key_der) = node_certificate(key)?;
    let key_der = Secret::new(key_der);
    let PrivateKeyDer::Pkcs8(pkcs8) = key_der.expose() else {
        return Err(TlsError::KeyMismatch);
    };
    let signer = rustls::crypto::ring::sign::any_eddsa_type(pkcs8)?;
    let certified = CertifiedKey::new(vec![cert], signer);
    certified.keys_match()?;
    Ok(certified)
}

/// The ring provider (the crate enables no process-wide default).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Transport parameters shared by both sides.
fn transport() -> Arc<quinn::TransportConfig> {
    let mut transport = quinn::TransportConfig::default();
    transport
        .keep_alive_interval(Some(KEEP_ALIVE))
        .max_idle_timeout(Some(quinn::VarInt::from_u32(IDLE_TIMEOUT_MS).into()))
        .max_concurrent_uni_streams(quinn::VarInt::from_u32(MAX_UNI_STREAMS))
        .max_concurrent_bidi_streams(quinn::VarInt::from_u32(MAX_BIDI_STREAMS));
    Arc::new(transport)
}

/// Verifies the peer's certificate on either side: an Ed25519 key on the
/// allow-list, no chain, TLS 1.3 `ed25519` handshake signatures only.
struct PeerVerifier {
    allow: AllowList,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PeerVerifier {
    fn new(allow: AllowList, provider: &CryptoProvider) -> Self {
        Self {
            allow,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// Accepts `end_entity` only if it is a lone Ed25519 certificate whose key
    /// is allowed.
    fn check_peer(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Result<(), rustls::Error> {
        if webpki::EndEntityCert::try_from(end_entity).is_err() {
            return Err(CertificateError::BadEncoding.into());
        }
        let key =
            certificate_key(end_entity).ok_or(CertificateError::ApplicationVerificationFailure)?;
        if !intermediates.is_empty() {
            tracing::debug!(peer = %hex::encode(key), "peer sent a certificate chain");
            return Err(CertificateError::ApplicationVerificationFailure.into());
        }
        if !(self.allow)(&key) {
            tracing::debug!(peer = %hex::encode(key), "peer key not on the allow-list");
            return Err(CertificateError::ApplicationVerificationFailure.into());
        }
        Ok(())
    }

    /// Checks a TLS 1.3 `CertificateVerify` signature by the certificate's key.
    fn check_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if dss.scheme != SignatureScheme::ED25519 {
            return Err(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into());
        }
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
}

impl fmt::Debug for PeerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerVerifier").finish_non_exhaustive()
    }
}

impl ServerCertVerifier for PeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check_peer(end_entity, intermediates)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(PeerIncompatible::Tls13RequiredForQuic.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

impl ClientCertVerifier for PeerVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check_peer(end_entity, intermediates)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(PeerIncompatible::Tls13RequiredForQuic.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddr};

    /// Upper bound on any handshake in these tests (all on loopback).
    const TEST_TIMEOUT: Duration = Duration::from_secs(10);

    fn allow_only(keys: &[&SigningKey]) -> AllowList {
        let keys: Vec<[u8; 32]> = keys.iter().map(|k| *k.public().as_bytes()).collect();
        Arc::new(move |key: &[u8; 32]| keys.contains(key))
    }

    fn localhost() -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
    }

    /// Result of one handshake attempt, as seen by each side.
    struct Outcome {
        server: Result<quinn::Connection, quinn::ConnectionError>,
        client: Result<quinn::Connection, quinn::ConnectionError>,
    }

    /// Runs one handshake between `server_key` (allowing `server_allows`) and
    /// `client_key` (allowing `client_allows`) over loopback.
    async fn handshake(
        server_key: &SigningKey,
        server_allows: &[&SigningKey],
        client_key: &SigningKey,
        client_allows: &[&SigningKey],
    ) -> Outcome {
        let server_cfg = server_config(server_key, allow_only(server_allows)).unwrap();
        let server = quinn::Endpoint::server(server_cfg, localhost()).unwrap();
        let server_addr = server.local_addr().unwrap();
        let mut client = quinn::Endpoint::client(localhost()).unwrap();
        client.set_default_client_config(
            client_config(client_key, allow_only(client_allows)).unwrap(),
        );

        let accept = async {
            let incoming = server.accept().await.expect("endpoint open");
            incoming.await
        };
        let connect = async { client.connect(server_addr, "veil").unwrap().await };
        let (server, client) =
            tokio::time::timeout(TEST_TIMEOUT, async { tokio::join!(accept, connect) })
                .await
                .expect("handshake timed out");
        Outcome { server, client }
    }

    /// TLS `access_denied` alert (RFC 8446 §6.2), which rustls sends for
    /// `ApplicationVerificationFailure`, as a QUIC crypto error (RFC 9001 §4.8).
    const ACCESS_DENIED: u8 = 49;

    /// Whether `err` is the peer refusing our certificate (allow-list check),
    /// seen from either side.
    fn is_access_denied(err: &quinn::ConnectionError) -> bool {
        let denied = quinn::TransportErrorCode::crypto(ACCESS_DENIED);
        match err {
            quinn::ConnectionError::ConnectionClosed(close) => close.error_code == denied,
            quinn::ConnectionError::TransportError(e) => e.code == denied,
            _ => false,
        }
    }

    /// The client may finish its side of the handshake before the server has
    /// checked the client certificate; the server then closes the connection.
    async fn assert_rejected_by_server(client: Result<quinn::Connection, quinn::ConnectionError>) {
        let reason = match client {
            Err(err) => err,
            Ok(conn) => tokio::time::timeout(TEST_TIMEOUT, conn.closed())
                .await
                .expect("server did not close the connection"),
        };
        assert!(
            matches!(reason, quinn::ConnectionError::ConnectionClosed(_))
                && is_access_denied(&reason),
            "unexpected close reason: {reason:?}"
        );
    }

    #[tokio::test]
    async fn allowed_peers_connect_and_learn_each_others_key() {
        let server_key = SigningKey::from_seed(&[1; 32]);
        let client_key = SigningKey::from_seed(&[2; 32]);
        let outcome = handshake(&server_key, &[&client_key], &client_key, &[&server_key]).await;
        let server_side = outcome.server.expect("server accepts the client");
        let client_side = outcome.client.expect("client accepts the server");
        assert_eq!(
            peer_key(&server_side),
            Some(*client_key.public().as_bytes())
        );
        assert_eq!(
            peer_key(&client_side),
            Some(*server_key.public().as_bytes())
        );
        assert_eq!(
            client_side.handshake_data().and_then(|d| d
                .downcast::<quinn::crypto::rustls::HandshakeData>()
                .ok()
                .and_then(|d| d.protocol)),
            Some(ALPN.to_vec())
        );
    }

    #[tokio::test]
    async fn server_rejects_client_not_on_its_list() {
        let server_key = SigningKey::from_seed(&[1; 32]);
        let client_key = SigningKey::from_seed(&[2; 32]);
        let other = SigningKey::from_seed(&[3; 32]);
        let outcome = handshake(&server_key, &[&other], &client_key, &[&server_key]).await;
        let err = outcome
            .server
            .expect_err("server accepted an unlisted client");
        assert!(is_access_denied(&err), "unexpected server error: {err:?}");
        assert_rejected_by_server(outcome.client).await;
    }

    #[tokio::test]
    async fn client_rejects_server_not_on_its_list() {
        let server_key = SigningKey::from_seed(&[1; 32]);
        let client_key = SigningKey::from_seed(&[2; 32]);
        let other = SigningKey::from_seed(&[3; 32]);
        let outcome = handshake(&server_key, &[&client_key], &client_key, &[&other]).await;
        let client_err = outcome
            .client
            .expect_err("client accepted an unlisted server");
        assert!(
            is_access_denied(&client_err),
            "unexpected client error: {client_err:?}"
        );
        let server_err = outcome
            .server
            .expect_err("server completed a rejected handshake");
        assert!(
            is_access_denied(&server_err),
            "unexpected server error: {server_err:?}"
        );
    }

    #[test]
    fn certificate_carries_the_node_key() {
        for seed in [0u8, 1, 7, 0xff] {
            let key = SigningKey::from_seed(&[seed; 32]);
            let (cert, _) = node_certificate(&key).unwrap();
            assert_eq!(
                certificate_key(&cert).as_ref(),
                Some(key.public().as_bytes())
            );
        }
    }

    #[test]
    fn private_key_der_is_pkcs8_of_the_seed() {
        let key = SigningKey::from_seed(&[9; 32]);
        let (_, der) = node_certificate(&key).unwrap();
        let PrivateKeyDer::Pkcs8(pkcs8) = der else {
            panic!("not PKCS#8");
        };
        let bytes = pkcs8.secret_pkcs8_der();
        assert_eq!(bytes[..16], ED25519_PKCS8_PREFIX);
        assert_eq!(bytes[16..], [9u8; 32]);
    }

    #[test]
    fn certificate_key_rejects_non_ed25519_and_garbage() {
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["veil".to_string()])
            .unwrap()
            .self_signed(&p256)
            .unwrap();
        assert_eq!(certificate_key(cert.der()), None);
        assert_eq!(
            certificate_key(&CertificateDer::from(vec![0x30, 0x00])),
            None
        );
        assert_eq!(certificate_key(&CertificateDer::from(Vec::new())), None);
    }

    #[test]
    fn verifier_refuses_chains_and_unlisted_keys() {
        let key = SigningKey::from_seed(&[4; 32]);
        let (cert, _) = node_certificate(&key).unwrap();
        let provider = provider();
        let allowed = PeerVerifier::new(allow_only(&[&key]), &provider);
        let refused = PeerVerifier::new(allow_only(&[]), &provider);
        let app_failure =
            rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure);
        assert!(allowed.check_peer(&cert, &[]).is_ok());
        assert_eq!(
            allowed.check_peer(&cert, std::slice::from_ref(&cert)),
            Err(app_failure.clone())
        );
        assert_eq!(refused.check_peer(&cert, &[]), Err(app_failure.clone()));
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let p256_cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&p256)
            .unwrap();
        assert_eq!(allowed.check_peer(p256_cert.der(), &[]), Err(app_failure));
        assert_eq!(
            allowed.check_peer(&CertificateDer::from(vec![0x30, 0x00]), &[]),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::BadEncoding
            ))
        );
    }
}
