//! Veil's Groth16 circuits (BN254, `ark-r1cs-std`) and their native `check`
//! twins.
//!
//! This crate is a placeholder in the workspace layout fixed by DESIGN.md §1:
//! the credential-presentation circuit (Merkle membership under an issuer
//! root, holder binding, selective disclosure, predicates, non-revocation and
//! a scoped nullifier) arrives with the credentials issue. Until then it holds
//! no code, on purpose, so that nothing here pretends to verify anything.
