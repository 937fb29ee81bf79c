//! Encrypted keystores: wallets, regulator keys and issuer keys on disk.
//!
//! ```text
//!   key        = Argon2id(passphrase, salt 16 random bytes, m = 19 MiB, t = 2, p = 1)   (RFC 9106)
//!   ciphertext = XChaCha20-Poly1305(key, nonce 24 random bytes,
//!                                   ad = "veil/keystore/v1" ‖ kind ‖ kdf parameters, plaintext)
//! ```
//!
//! The file is JSON: `{"version":1,"kind":…,"kdf":{…},"nonce":hex,"ciphertext":hex}`.
//! Every save draws a fresh salt and nonce; files are written to a
//! temporary name and renamed (never half-written) with mode 0600. A wrong
//! passphrase, a swapped `kind` or an edited byte all fail authentication.

use std::io::Write;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::fmt;

use veil_secret::Secret;

const VERSION: u8 = 1;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

/// Argon2id memory a keystore may ask for, KiB: up to 256 MiB, so a crafted
/// file cannot make the CLI allocate gigabytes (Veil writes 19 MiB).
pub const KDF_M_COST_KIB: std::ops::RangeInclusive<u32> = 8..=262_144;
/// Argon2id passes a keystore may ask for (Veil writes 2).
pub const KDF_T_COST: std::ops::RangeInclusive<u32> = 1..=16;
/// Argon2id lanes a keystore may ask for (Veil writes 1).
pub const KDF_P_COST: std::ops::RangeInclusive<u32> = 1..=4;

impl Default for KdfParams {
    /// OWASP's recommended Argon2id setting (19 MiB, 2 passes, 1 lane).
    fn default() -> Self {
        Self {
            m_cost_kib: 19_456,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    #[serde(flatten)]
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u8,
    kind: String,
    kdf: Kdf,
    nonce: String,
    ciphertext: String,
}

/// Why a keystore could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// File system error.
    #[error("keystore file: {0}")]
    Io(#[from] std::io::Error),
    /// Not a keystore file: which part is wrong.
    #[error("not a Veil keystore: {0}")]
    Format(&'static str),
    /// The file is not JSON.
    #[error("not a Veil keystore: {0}")]
    File(#[source] serde_json::Error),
    /// The key-derivation function refused its parameters.
    #[error("key derivation: {0}")]
    Kdf(argon2::Error),
    /// The decrypted payload is not what this kind of keystore holds. The
    /// parser's message is dropped on purpose: it can quote the payload,
    /// which holds secrets.
    #[error("the keystore's payload is malformed: {0}")]
    Payload(&'static str),
    /// A keystore of another kind (e.g. a regulator key given as a wallet).
    #[error("this keystore holds a {found}, not a {expected}")]
    Kind {
        /// Expected kind.
        expected: String,
        /// Found kind.
        found: String,
    },
    /// Wrong passphrase or modified file.
    #[error("wrong passphrase, or the keystore was modified")]
    Decrypt,
    /// A passphrase is needed and nothing gives one.
    #[error(
        "a passphrase is needed and there is no terminal to ask on: set VEIL_PASSPHRASE, or put it in a file (mode 0600) and pass --passphrase-file FILE (or set VEIL_PASSPHRASE_FILE)"
    )]
    NoPassphrase,
    /// The passphrase file could not be read.
    #[error("reading the passphrase file {path}: {source}")]
    PassphraseFile {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    p: KdfParams,
) -> Result<Secret<[u8; 32]>, KeystoreError> {
    if !KDF_M_COST_KIB.contains(&p.m_cost_kib)
        || !KDF_T_COST.contains(&p.t_cost)
        || !KDF_P_COST.contains(&p.p_cost)
        || p.m_cost_kib < 8 * p.p_cost
    {
        return Err(KeystoreError::Format(
            "KDF parameters out of range (memory 8 KiB–256 MiB, 1–16 passes, 1–4 lanes)",
        ));
    }
    let params =
        Params::new(p.m_cost_kib, p.t_cost, p.p_cost, Some(32)).map_err(KeystoreError::Kdf)?;
    let mut key = Secret::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.expose_mut())
        .map_err(KeystoreError::Kdf)?;
    Ok(key)
}

fn ad(kind: &str, p: &KdfParams) -> Vec<u8> {
    format!(
        "veil/keystore/v1\0{kind}\0{}/{}/{}",
        p.m_cost_kib, p.t_cost, p.p_cost
    )
    .into_bytes()
}

/// Encrypts `plaintext` as a keystore of `kind` and writes it to `path`.
pub fn save(
    path: &Path,
    kind: &str,
    plaintext: &[u8],
    passphrase: &str,
    params: KdfParams,
) -> Result<(), KeystoreError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let key = derive_key(passphrase, &salt, params)?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(key.expose()).map_err(|_| KeystoreError::Decrypt)?;
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &ad(kind, &params),
            },
        )
        .map_err(|_| KeystoreError::Decrypt)?;
    let file = File {
        version: VERSION,
        kind: kind.to_owned(),
        kdf: Kdf {
            algorithm: "argon2id".into(),
            params,
            salt: hex::encode(salt),
        },
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(KeystoreError::File)?;
    write_private(path, &json)?;
    Ok(())
}

/// Writes `bytes` to `path` atomically with owner-only permissions.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads and decrypts a keystore of `kind`.
pub fn load(path: &Path, kind: &str, passphrase: &str) -> Result<Secret<Vec<u8>>, KeystoreError> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > 64 * 1024 * 1024 {
        return Err(KeystoreError::Format("file too large"));
    }
    let file: File = serde_json::from_slice(&std::fs::read(path)?).map_err(KeystoreError::File)?;
    if file.version != VERSION || file.kdf.algorithm != "argon2id" {
        return Err(KeystoreError::Format("unsupported version or KDF"));
    }
    if file.kind != kind {
        return Err(KeystoreError::Kind {
            expected: kind.into(),
            found: file.kind,
        });
    }
    let bad = |_| KeystoreError::Format("bad hex");
    let salt = hex::decode(&file.kdf.salt).map_err(bad)?;
    let nonce = hex::decode(&file.nonce).map_err(bad)?;
    let ciphertext = hex::decode(&file.ciphertext).map_err(bad)?;
    if nonce.len() != 24 || salt.len() < 8 {
        return Err(KeystoreError::Format("bad nonce or salt"));
    }
    let key = derive_key(passphrase, &salt, file.kdf.params)?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(key.expose()).map_err(|_| KeystoreError::Decrypt)?;
    cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &ad(kind, &file.kdf.params),
            },
        )
        .map(Secret::new)
        .map_err(|_| KeystoreError::Decrypt)
}

static PASSPHRASE_FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Makes [`passphrase`] read the passphrase from `path` (its first line)
/// from now on (the CLI's `--passphrase-file`). The first call wins.
pub fn set_passphrase_file(path: &std::path::Path) {
    let _ = PASSPHRASE_FILE.set(path.to_path_buf());
}

/// The passphrase: from `VEIL_PASSPHRASE`, else the passphrase file
/// ([`set_passphrase_file`] or `VEIL_PASSPHRASE_FILE`), else asked for on
/// the terminal; [`KeystoreError::NoPassphrase`] when there is none.
pub fn passphrase(prompt: &str) -> Result<Secret<String>, KeystoreError> {
    if let Ok(p) = std::env::var("VEIL_PASSPHRASE") {
        return Ok(Secret::new(p));
    }
    let file = PASSPHRASE_FILE
        .get()
        .cloned()
        .or_else(|| std::env::var_os("VEIL_PASSPHRASE_FILE").map(Into::into));
    if let Some(path) = file {
        let text = Secret::new(std::fs::read_to_string(&path).map_err(|source| {
            KeystoreError::PassphraseFile {
                path: path.display().to_string(),
                source,
            }
        })?);
        let first = text.expose().lines().next().unwrap_or_default();
        return Ok(Secret::new(first.to_owned()));
    }
    // rpassword reads the controlling terminal; without one (a pipe, a
    // service, CI) it fails with ENXIO, which means "nobody to ask".
    rpassword::prompt_password(prompt)
        .map(Secret::new)
        .map_err(|e| match e.raw_os_error() {
            Some(6) | Some(25) => KeystoreError::NoPassphrase,
            _ if e.kind() == std::io::ErrorKind::NotFound => KeystoreError::NoPassphrase,
            _ => KeystoreError::Io(e),
        })
}

/// A hex-encoded secret inside a keystore's JSON: a [`Secret`] (wiped on
/// drop, never printed), serialised as its hex string.
#[derive(Clone)]
pub struct SecretHex(Secret<String>);

impl Default for SecretHex {
    fn default() -> Self {
        Self(Secret::new(String::new()))
    }
}

impl Serialize for SecretHex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

impl<'de> Deserialize<'de> for SecretHex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self(Secret::new(s)))
    }
}

impl SecretHex {
    /// Wraps the hex of `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        Self(Secret::new(hex::encode(bytes)))
    }

    /// The bytes it encodes (any length), wiped when dropped.
    pub fn bytes(&self) -> Option<Secret<Vec<u8>>> {
        hex::decode(self.0.expose()).ok().map(Secret::new)
    }

    /// The 32 bytes it encodes.
    pub fn bytes32(&self) -> Option<[u8; 32]> {
        let v = Secret::new(hex::decode(self.0.expose()).ok()?);
        <[u8; 32]>::try_from(v.expose().as_slice()).ok()
    }
}

impl fmt::Debug for SecretHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hex_round_trips_as_a_string_and_never_prints() {
        let s = SecretHex::new(&[0xab; 32]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        let back: SecretHex = serde_json::from_str(&json).unwrap();
        assert_eq!(back.bytes32(), Some([0xab; 32]));
        assert_eq!(format!("{back:?}"), "[REDACTED]");
        assert!(SecretHex::new(&[1; 31]).bytes32().is_none());
    }

    fn fast() -> KdfParams {
        KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        }
    }

    #[test]
    fn kdf_parameters_outside_the_documented_range_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.wallet");
        save(&path, "wallet", b"secret seed", "pw", fast()).unwrap();
        let good = std::fs::read_to_string(&path).unwrap();
        for (field, value) in [
            ("m_cost_kib", 4 * 1024 * 1024),
            ("m_cost_kib", 262_145),
            ("m_cost_kib", 4),
            ("t_cost", 0),
            ("t_cost", 1_000),
            ("p_cost", 0),
            ("p_cost", 64),
        ] {
            let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
            v["kdf"][field] = value.into();
            std::fs::write(&path, v.to_string()).unwrap();
            let started = std::time::Instant::now();
            let r = load(&path, "wallet", "pw");
            assert!(
                matches!(r, Err(KeystoreError::Format(m)) if m.contains("out of range")),
                "{field}={value}: {r:?}"
            );
            // Refused before any key derivation.
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
        }
        for params in [KdfParams::default(), fast()] {
            save(&path, "wallet", b"x", "pw", params).unwrap();
            assert!(load(&path, "wallet", "pw").is_ok());
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.wallet");
        save(&path, "wallet", b"secret seed", "pw", fast()).unwrap();
        assert_eq!(
            &load(&path, "wallet", "pw").unwrap().expose()[..],
            b"secret seed"
        );
        assert!(matches!(
            load(&path, "wallet", "nope"),
            Err(KeystoreError::Decrypt)
        ));
        assert!(matches!(
            load(&path, "regulator", "pw"),
            Err(KeystoreError::Kind { .. })
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret seed") && !text.contains(&hex::encode("secret seed")));
        // Relabelling the kind or editing the ciphertext fails authentication.
        let relabelled = text.replace("\"wallet\"", "\"issuer\"");
        std::fs::write(&path, relabelled).unwrap();
        assert!(matches!(
            load(&path, "issuer", "pw"),
            Err(KeystoreError::Decrypt)
        ));
        save(&path, "wallet", b"secret seed", "pw", fast()).unwrap();
        let mut file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let ct = file["ciphertext"].as_str().unwrap().to_owned();
        let flipped = format!("{}{}", if &ct[..1] == "0" { "1" } else { "0" }, &ct[1..]);
        file["ciphertext"] = serde_json::Value::String(flipped);
        std::fs::write(&path, file.to_string()).unwrap();
        assert!(matches!(
            load(&path, "wallet", "pw"),
            Err(KeystoreError::Decrypt)
        ));
        std::fs::write(&path, b"not json").unwrap();
        assert!(matches!(
            load(&path, "wallet", "pw"),
            Err(KeystoreError::File(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            save(&path, "wallet", b"x", "pw", fast()).unwrap();
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}

/// Keystore kind of regulator keys.
pub const REGULATOR_KIND: &str = "regulator";
/// Keystore kind of issuer keys.
pub const ISSUER_KIND: &str = "issuer";
/// Keystore kind of a governance committee member's key.
pub const COMMITTEE_KIND: &str = "committee";

#[derive(Serialize, Deserialize)]
struct SeedFile {
    seed: crate::SecretHex,
    label: String,
}

/// Saves a 32-byte secret seed (regulator or issuer key) with a label.
pub fn save_seed(
    path: &Path,
    kind: &str,
    seed: &[u8; 32],
    label: &str,
    passphrase: &str,
    kdf: KdfParams,
) -> Result<(), KeystoreError> {
    let file = SeedFile {
        seed: crate::SecretHex::new(seed),
        label: label.to_owned(),
    };
    let plain =
        Secret::new(serde_json::to_vec(&file).map_err(|_| KeystoreError::Payload("seed file"))?);
    save(path, kind, plain.expose(), passphrase, kdf)
}

/// Loads a seed saved by [`save_seed`]: `(seed, label)`.
pub fn load_seed(
    path: &Path,
    kind: &str,
    passphrase: &str,
) -> Result<(Secret<[u8; 32]>, String), KeystoreError> {
    let plain = load(path, kind, passphrase)?;
    let file: SeedFile =
        serde_json::from_slice(plain.expose()).map_err(|_| KeystoreError::Payload("seed file"))?;
    let seed = file.seed.bytes32().ok_or(KeystoreError::Payload("seed"))?;
    Ok((Secret::new(seed), file.label.clone()))
}
