package org.veil.sdk;

/**
 * The native core: Veil's Rust wallet, cold-signing and client code behind
 * JNI ({@code crates/jni}, library {@code libveil_jni.so}). Package-private:
 * the public classes of this package are the API.
 *
 * <p>Conventions: byte arrays holding secrets (seeds, view keys, wallet
 * state, spend requests, signed transfers) are the caller's to wipe; the
 * native side never keeps a reference. Amounts are in the asset's minor
 * unit. {@code api} is a node's base URL ({@code http://127.0.0.1:8700}).
 * Failures throw the {@link VeilException} subclasses named below; a node's
 * problem+json answer throws a {@link ProblemException} (or the subclass of
 * its code) carrying the problem's fields.
 */
final class NativeCore {
    private NativeCore() {}

    static {
        NativeLoader.load();
    }

    /** 32 fresh random bytes from the operating system. */
    static native byte[] generateSeed();

    /** The 24-word BIP-39 English mnemonic of a 32-byte seed, UTF-8, words separated by one space. */
    static native byte[] mnemonicFromSeed(byte[] seed) throws WalletException;

    /** The seed of a BIP-39 mnemonic (UTF-8). @throws WalletException not a valid 24-word mnemonic */
    static native byte[] seedFromMnemonic(byte[] mnemonic) throws WalletException;

    /** The address ({@code veil1…}) of the account of {@code seed}. */
    static native String address(byte[] seed) throws WalletException;

    /** The view key of the account of {@code seed}: 64 bytes, view secret a ‖ spend public key B. */
    static native byte[] viewKey(byte[] seed) throws WalletException;

    /** The address of the account of a 64-byte view key. */
    static native String viewAddress(byte[] viewKey) throws WalletException;

    /** An empty wallet state (UTF-8 JSON): nothing scanned yet. */
    static native byte[] newState();

    /** Scans the node's new blocks with the view key; returns the new state. */
    static native byte[] sync(String api, byte[] viewKey, byte[] state) throws VeilException;

    /** {confirmed, pending} balance of {@code asset}, minor units. */
    static native long[] balance(byte[] viewKey, byte[] state, String asset) throws WalletException;

    /** The history in the state, oldest first, then pending transfers (height -1). */
    static native HistoryEntry[] history(byte[] state) throws WalletException;

    /**
     * Prepares a spend request paying {@code to[i]} {@code amounts[i]} with
     * memo {@code memos[i]} (arrays of one length), fee {@code fee}, ring
     * size {@code ring}; returns {request JSON (byte[]), new state (byte[])}:
     * the state reserves the request's inputs.
     *
     * @throws InsufficientFundsException the spendable balance is short
     */
    static native Object[] prepare(String api, byte[] viewKey, byte[] state, String asset,
            String[] to, long[] amounts, String[] memos, long fee, int ring) throws VeilException;

    /** Releases the inputs {@code request} reserved; returns the new state. */
    static native byte[] release(byte[] viewKey, byte[] state, byte[] request) throws VeilException;

    /** The asset's decimals, asked of the node. */
    static native int decimals(String api, String asset) throws VeilException;

    /**
     * Checks a spend request against the account of {@code seed} and says
     * what signing it pays. No network access.
     *
     * @throws InvalidRequestException altered, another account's, inconsistent, or another format
     */
    static native Review review(byte[] seed, byte[] request) throws VeilException;

    /** Checks and signs a spend request with the account of {@code seed}; the signed transfer JSON. No network access. */
    static native byte[] sign(byte[] seed, byte[] request) throws VeilException;

    /** Times {@code n} signatures of {@code request} inside the native core (no JNI crossing per signature); nanoseconds. */
    static native long signNanos(byte[] seed, byte[] request, int n) throws VeilException;

    /** {transaction hash (hex), transaction bytes (hex)} of a signed transfer, after checking it. */
    static native String[] signedInfo(byte[] signed) throws VeilException;

    /** Records a signed transfer's inputs as spent and the transfer as pending; the new state. */
    static native byte[] importSigned(byte[] viewKey, byte[] state, byte[] signed) throws VeilException;

    /**
     * Submits a signed transfer: checks its ring members against the node
     * and names a changed regulator key; the transaction hash once pending.
     *
     * @throws StaleRequestException ring members differ, or the key changed and the node refused
     */
    static native String submitSigned(String api, byte[] signed) throws VeilException;

    /** Submits raw transaction bytes; the transaction hash once pending. */
    static native String submit(String api, byte[] tx) throws VeilException;

    /** The height a transaction was committed at, -1 while pending, -2 if the node does not know it. */
    static native long txStatus(String api, String hash) throws VeilException;

    /** {chain id, tip height (decimal), regulator key in force (hex, or "" if none)}. */
    static native String[] status(String api) throws VeilException;

    /**
     * Decodes a transfer and verifies it (every proof and signature) against
     * its rings: {@code rings} is, for each input in order, its members'
     * one-time key ‖ commitment (64 bytes each) concatenated, all inputs one
     * after the other; {@code inputs} says how many. Returns the hash.
     *
     * @throws InvalidTransactionException the bytes do not decode, or a proof or signature fails
     */
    static native String verifyTransfer(byte[] tx, byte[] rings, int inputs) throws VeilException;
}
