package org.veil.sdk;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A Veil node's HTTP API, at a base URL such as
 * {@code http://127.0.0.1:8700}. The HTTP requests are made by the native
 * core (Veil's Rust client, the one the {@code veil} CLI uses), not by Java:
 * Java proxy settings do not apply, and a refusal by the node arrives as a
 * {@link ProblemException} (or the subclass of its code) carrying the
 * node's problem+json fields; an unreachable node as a
 * {@link NetworkException}. Each call is one blocking request. Thread-safe
 * and cheap: the object holds the URL and a cache of asset decimals.
 */
public final class VeilClient {
    private static final long POLL_MILLIS = 50;

    private final String baseUrl;
    private final ConcurrentMap<String, Integer> decimals = new ConcurrentHashMap<String, Integer>();

    /**
     * A client of the node at {@code baseUrl}.
     *
     * @param baseUrl e.g. {@code http://127.0.0.1:8700} (a trailing slash is dropped)
     * @throws IllegalArgumentException an empty URL
     */
    public VeilClient(String baseUrl) {
        NativeLoader.load();
        if (baseUrl == null) {
            throw new NullPointerException("baseUrl");
        }
        String u = baseUrl.trim();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        if (u.isEmpty()) {
            throw new IllegalArgumentException("the node's base URL is empty");
        }
        this.baseUrl = u;
    }

    /**
     * The node's base URL.
     *
     * @return e.g. {@code http://127.0.0.1:8700}
     */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * The node's status.
     *
     * @return chain id, tip height, regulator key in force
     * @throws NetworkException the node is unreachable
     * @throws VeilException the node refused
     */
    public NodeStatus status() throws VeilException {
        String[] s = NativeCore.status(baseUrl);
        long height;
        try {
            height = Long.parseLong(s[1]);
        } catch (NumberFormatException e) {
            throw new VeilException("the node answered a height that is not a number: " + s[1]);
        }
        return new NodeStatus(s[0], height, s[2] == null || s[2].isEmpty() ? null : s[2]);
    }

    /**
     * The decimals of an asset (2 for CNY: amounts are in fen), asked of the
     * node once and then remembered.
     *
     * @param asset the asset, e.g. {@code CNY}
     * @return the number of digits after the point
     * @throws NetworkException the node is unreachable
     * @throws VeilException the node does not list the asset (its status
     *     names the assets; the message names the asset), or refused
     */
    public int decimals(String asset) throws VeilException {
        if (asset == null) {
            throw new NullPointerException("asset");
        }
        Integer d = decimals.get(asset);
        if (d == null) {
            d = NativeCore.decimals(baseUrl, asset);
            decimals.put(asset, d);
        }
        return d;
    }

    /**
     * Submits raw transaction bytes (e.g. {@link SignedTransaction#transactionBytes()}).
     * Prefer {@link #submitSigned(SignedTransaction)} for cold-signed
     * transfers: it checks the rings first.
     *
     * @param tx the encoded transaction
     * @return the transaction hash, once the node holds it as pending
     * @throws DoubleSpendException an input is spent already
     * @throws DuplicateTransactionException the node has it already
     * @throws NodeBusyException the node is busy: retry later
     * @throws VeilException another refusal, or the node is unreachable
     */
    public String submit(byte[] tx) throws VeilException {
        if (tx == null) {
            throw new NullPointerException("tx");
        }
        return NativeCore.submit(baseUrl, tx);
    }

    /**
     * Submits a signed transfer: checks its ring members against the node
     * (they must be the outputs the request was prepared with) and that the
     * regulator key it is encrypted to is still in force, then submits the
     * transaction. It does not update a wallet:
     * {@link ViewOnlyWallet#submit(VeilClient, SignedTransaction)} does both.
     *
     * @param signed the signed transfer
     * @return the transaction hash, once the node holds it as pending
     * @throws StaleRequestException ring members differ from the node's, or
     *     the regulator key changed and the node refused the transfer
     * @throws DoubleSpendException an input is spent already
     * @throws DuplicateTransactionException the node has it already
     * @throws NodeBusyException the node is busy: retry later
     * @throws VeilException another refusal, or the node is unreachable
     */
    public String submitSigned(SignedTransaction signed) throws VeilException {
        return NativeCore.submitSigned(baseUrl, signed.bytes());
    }

    /**
     * Where a transaction is.
     *
     * @param hash the transaction hash, hex
     * @return the height it was committed at, -1 while pending, -2 if the
     *     node does not know it (never submitted, or dropped)
     * @throws VeilException the node is unreachable or refused, or not a hash
     */
    public long txStatus(String hash) throws VeilException {
        if (hash == null) {
            throw new NullPointerException("hash");
        }
        return NativeCore.txStatus(baseUrl, hash);
    }

    /**
     * Waits until a submitted transaction is committed, asking the node
     * every 50 ms.
     *
     * @param hash          the transaction hash, hex
     * @param timeoutMillis how long to wait at most
     * @return the height it was committed at
     * @throws VeilException the node dropped it (does not know it), it is
     *     still pending after {@code timeoutMillis}, the thread was
     *     interrupted (its interrupt flag is set again), or the node is
     *     unreachable
     */
    public long waitForCommit(String hash, long timeoutMillis) throws VeilException {
        long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
        while (true) {
            long s = txStatus(hash);
            if (s >= 0) {
                return s;
            }
            if (s == -2) {
                throw new VeilException("transaction " + hash + " was dropped: the node does not know it");
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new VeilException("transaction " + hash + " is still pending after " + timeoutMillis + " ms");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VeilException("interrupted while waiting for transaction " + hash, e);
            }
        }
    }

    /**
     * The client as text.
     *
     * @return {@code VeilClient[base URL]}
     */
    @Override
    public String toString() {
        return "VeilClient[" + baseUrl + "]";
    }
}
