/**
 * Veil's Java SDK: wallets, cold signing and a node client for Veil, the
 * confidential ledger for banks, over Veil's Rust core (JNI library
 * {@code libveil_jni.so}, bundled in the jar for linux-x86_64; see
 * {@link org.veil.sdk.NativeLoader}).
 *
 * <p>Cold signing: the online machine holds a {@link org.veil.sdk.ViewOnlyWallet}
 * (view key and state), syncs it with a {@link org.veil.sdk.VeilClient} and
 * prepares a {@link org.veil.sdk.SpendRequest}; the offline machine holds the
 * {@link org.veil.sdk.Wallet} (seed) and an {@link org.veil.sdk.OfflineSigner}
 * which reviews and signs the request with no network; the online machine
 * submits the {@link org.veil.sdk.SignedTransaction}.
 *
 * <p>Amounts are {@link java.math.BigDecimal}s in the asset's units
 * ({@code 1250.50} CNY), or {@code long}s of minor units in the methods named
 * {@code …Minor}; see {@link org.veil.sdk.Amounts}. Failures are checked
 * {@link org.veil.sdk.VeilException}s. Secrets are handed out as arrays to
 * wipe ({@link org.veil.sdk.Secrets}).
 */
package org.veil.sdk;
