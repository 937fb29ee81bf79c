//! The one wrapper for secret values in Veil: zeroized on drop, redacted in
//! `Debug`, never `Copy`, read only through an explicit [`Secret::expose`].
//!
//! Every key type of every crate (spend and view keys, regulator seeds and
//! epoch keys, DID keys, the credential holder's secret, the regulator-hook
//! secret, node keys) holds its secret material in a `Secret`, and so does
//! every transient buffer (derived AEAD keys, decrypted plaintexts,
//! passphrases, note encodings), so there is one place to audit what
//! "wiped" means. It sits below every other crate, circuits included, and
//! depends on `zeroize` alone.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret value. Its memory is wiped when it is dropped; formatting it
/// prints `Secret([REDACTED])`.
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Reads the secret. Every call site is a place a reviewer should look at.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Writes into the secret in place (to fill a buffer without a copy
    /// that would escape the wipe).
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new(42u64);
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret([REDACTED])");
        assert!(!shown.contains("42"));
    }

    /// A value whose `zeroize` records that it ran and what it held.
    struct Probe {
        bytes: [u8; 32],
        wiped: Arc<Mutex<Option<[u8; 32]>>>,
    }

    impl Zeroize for Probe {
        fn zeroize(&mut self) {
            self.bytes.zeroize();
            *self.wiped.lock().unwrap() = Some(self.bytes);
        }
    }

    #[test]
    fn dropped_secret_is_wiped() {
        let wiped = Arc::new(Mutex::new(None));
        let secret = Secret::new(Probe {
            bytes: [7u8; 32],
            wiped: Arc::clone(&wiped),
        });
        assert_eq!(secret.expose().bytes, [7u8; 32]);
        assert!(wiped.lock().unwrap().is_none(), "not wiped while alive");
        drop(secret);
        assert_eq!(*wiped.lock().unwrap(), Some([0u8; 32]), "drop wipes");
    }

    #[test]
    fn clone_is_wiped_independently() {
        let wiped = Arc::new(Mutex::new(None));
        let a = Secret::new(vec![9u8; 64]);
        let b = a.clone();
        drop(a);
        assert_eq!(b.expose(), &vec![9u8; 64]);
        let p = Secret::new(Probe {
            bytes: [1; 32],
            wiped: Arc::clone(&wiped),
        });
        drop(p);
        assert!(wiped.lock().unwrap().is_some());
    }
}
