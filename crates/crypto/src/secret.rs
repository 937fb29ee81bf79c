//! Secrets: the one wrapper every key type uses ([`veil_secret::Secret`]).

pub use veil_secret::Secret;
