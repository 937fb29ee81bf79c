//! A wrapper for secret values: zeroized on drop, redacted in `Debug`, never
//! `Copy`, read only through an explicit [`Secret::expose`].

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
    use super::*;
    use curve25519_dalek::scalar::Scalar;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new(Scalar::from(42u64));
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret([REDACTED])");
        assert!(!shown.contains("42"));
    }

    #[test]
    fn zeroize_wipes() {
        let mut bytes = [7u8; 32];
        bytes.zeroize();
        assert_eq!(bytes, [0u8; 32]);
    }
}
