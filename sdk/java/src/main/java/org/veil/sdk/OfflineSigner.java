package org.veil.sdk;

/**
 * The offline signer of cold signing: checks and signs
 * {@link SpendRequest}s with a full {@link Wallet}, on a machine that holds
 * the seed and has no network. <strong>It makes no network access</strong>:
 * {@link #review} and {@link #sign} work from the request and the seed
 * alone (the native core opens no socket in these calls), so it runs on an
 * air-gapped machine.
 *
 * <pre>{@code
 * try (Wallet w = Wallet.fromSeed(seed); OfflineSigner signer = new OfflineSigner(w)) {
 *     SpendRequest req = SpendRequest.read(Paths.get("request.json"));
 *     System.out.println(signer.review(req));   // a person approves this
 *     signer.sign(req).write(Paths.get("signed.json"));
 * }
 * }</pre>
 *
 * <p>The signer uses the wallet's seed in place (no copy) and does not own
 * the wallet: {@link #close()} detaches it, and closing the wallet makes the
 * signer unusable too. Thread-safe.
 */
public final class OfflineSigner implements AutoCloseable {
    private Wallet wallet;

    /**
     * A signer for the account of {@code wallet}.
     *
     * @param wallet the full wallet; not copied, stays the caller's to close
     */
    public OfflineSigner(Wallet wallet) {
        NativeLoader.load();
        if (wallet == null) {
            throw new NullPointerException("wallet");
        }
        this.wallet = wallet;
    }

    /**
     * Checks a request and says what signing it pays: the payments, fee and
     * change, checked against the request's digest, its inputs and this
     * account. No network access.
     *
     * @param request the request
     * @return what to show before signing
     * @throws InvalidRequestException altered (digest mismatch), another
     *     account's, inconsistent, or not a spend request
     * @throws VeilException another failure
     * @throws IllegalStateException the signer or the wallet is closed
     */
    public Review review(final SpendRequest request) throws VeilException {
        final byte[] req = request.bytes();
        return wallet().withSeed(new Wallet.SeedFunction<Review>() {
            @Override
            public Review apply(byte[] seed) throws VeilException {
                return NativeCore.review(seed, req);
            }
        });
    }

    /**
     * Checks a request as {@link #review} does and signs it: the signed
     * transfer to carry back to the online machine. No network access.
     * Each call makes a new transaction spending the same inputs: submit one
     * of them only (the node refuses the others as double spends).
     *
     * @param request the request
     * @return the signed transfer
     * @throws InvalidRequestException altered, another account's,
     *     inconsistent, or not a spend request
     * @throws VeilException another failure
     * @throws IllegalStateException the signer or the wallet is closed
     */
    public SignedTransaction sign(final SpendRequest request) throws VeilException {
        final byte[] req = request.bytes();
        byte[] signed = wallet().withSeed(new Wallet.SeedFunction<byte[]>() {
            @Override
            public byte[] apply(byte[] seed) throws VeilException {
                return NativeCore.sign(seed, req);
            }
        });
        return SignedTransaction.own(signed);
    }

    /** Times {@code n} signatures inside the native core (for benchmarks); nanoseconds. */
    long signNanos(final SpendRequest request, final int n) throws VeilException {
        final byte[] req = request.bytes();
        return wallet().withSeed(new Wallet.SeedFunction<Long>() {
            @Override
            public Long apply(byte[] seed) throws VeilException {
                return NativeCore.signNanos(seed, req, n);
            }
        });
    }

    private synchronized Wallet wallet() {
        if (wallet == null) {
            throw new IllegalStateException("the signer is closed");
        }
        return wallet;
    }

    /** Detaches the wallet (which stays open: the caller closes it). Idempotent. */
    @Override
    public synchronized void close() {
        wallet = null;
    }
}
