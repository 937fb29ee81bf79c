package org.veil.sdk;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A view-only wallet, for the online machine of cold signing: the
 * account's 64-byte view key (view secret ‖ spend public key), which finds
 * and reads the account's transfers but cannot spend, and the wallet state
 * (what it has scanned: outputs, history, reserved inputs).
 *
 * <p>It {@link #sync(VeilClient) scans} the chain, reports the
 * {@link #balance(VeilClient, String) balance} and {@link #history()
 * history}, {@link #prepare(VeilClient, String, List, BigDecimal) prepares}
 * spend requests for the offline signer, and {@link #submit(VeilClient,
 * SignedTransaction) submits} what it signed:
 *
 * <pre>{@code
 * VeilClient node = new VeilClient("http://127.0.0.1:8700");
 * try (ViewOnlyWallet online = ViewOnlyWallet.restore(viewKey, state)) {
 *     online.sync(node);
 *     SpendRequest req = online.prepare(node, "CNY",
 *             Collections.singletonList(new Payment(to, new BigDecimal("1250.50"), "invoice 42")),
 *             new BigDecimal("0.01"));
 *     req.write(Paths.get("request.json"));          // carry it to the offline signer
 *     // ... later, with signed.json carried back:
 *     String tx = online.submit(node, SignedTransaction.read(Paths.get("signed.json")));
 *     node.waitForCommit(tx, 60_000);
 *     saveEncrypted(online.state());                  // your storage
 * }
 * }</pre>
 *
 * <p>The view key and the state are confidential: whoever has them sees
 * every amount and counterparty of the account. The wallet holds them in
 * arrays it wipes when it replaces the state and on {@link #close()}; the
 * copies it hands out ({@link #viewKey()}, {@link #state()}) are the
 * caller's to store encrypted and to wipe. Using the wallet after closing it
 * throws {@link IllegalStateException}. Thread-safe: calls are serialized.
 */
public final class ViewOnlyWallet implements AutoCloseable {
    /** The length of a view key, in bytes. */
    public static final int VIEW_KEY_BYTES = 64;

    /** The ring size {@link #prepare(VeilClient, String, List, BigDecimal)} uses. */
    public static final int DEFAULT_RING = 16;

    private final byte[] viewKey;
    private byte[] state;
    private final String address;
    private boolean closed;

    /** Takes ownership of both arrays. */
    private ViewOnlyWallet(byte[] viewKey, byte[] state, String address) {
        this.viewKey = viewKey;
        this.state = state;
        this.address = address;
    }

    /**
     * A view-only wallet of a view key, with an empty state (it will scan
     * the chain from its start on the first {@link #sync(VeilClient)}).
     *
     * @param viewKey the 64-byte view key ({@link Wallet#viewOnly()} then
     *     {@link #viewKey()}); copied, the caller wipes its array
     * @return the wallet
     * @throws WalletException not a valid view key
     */
    public static ViewOnlyWallet fromViewKey(byte[] viewKey) throws WalletException {
        NativeLoader.load();
        byte[] key = checkedKey(viewKey);
        try {
            String address = NativeCore.viewAddress(key);
            return new ViewOnlyWallet(key, NativeCore.newState(), address);
        } catch (WalletException | RuntimeException e) {
            Secrets.wipe(key);
            throw e;
        }
    }

    /**
     * A view-only wallet of a view key and a state saved earlier with
     * {@link #state()}.
     *
     * @param viewKey the 64-byte view key; copied, the caller wipes its array
     * @param state   the saved state; copied, the caller wipes its array
     * @return the wallet
     * @throws WalletException not a valid view key, or the state does not parse
     */
    public static ViewOnlyWallet restore(byte[] viewKey, byte[] state) throws WalletException {
        NativeLoader.load();
        if (state == null) {
            throw new NullPointerException("state");
        }
        byte[] key = checkedKey(viewKey);
        byte[] st = state.clone();
        try {
            String address = NativeCore.viewAddress(key);
            NativeCore.history(st); // parses the state
            return new ViewOnlyWallet(key, st, address);
        } catch (WalletException | RuntimeException e) {
            Secrets.wipe(key);
            Secrets.wipe(st);
            throw e;
        }
    }

    private static byte[] checkedKey(byte[] viewKey) throws WalletException {
        if (viewKey == null) {
            throw new NullPointerException("viewKey");
        }
        if (viewKey.length != VIEW_KEY_BYTES) {
            throw new WalletException("a view key is " + VIEW_KEY_BYTES + " bytes, not " + viewKey.length);
        }
        return viewKey.clone();
    }

    /**
     * The view key, to store (encrypted) and restore the wallet with. The
     * caller wipes the array.
     *
     * @return a copy of the 64-byte view key
     */
    public synchronized byte[] viewKey() {
        checkOpen();
        return viewKey.clone();
    }

    /**
     * The wallet state (UTF-8 JSON: scanned outputs, history, inputs
     * reserved by spend requests), to persist and pass to
     * {@link #restore(byte[], byte[])}. It reveals the account's amounts and
     * counterparties: the caller stores it encrypted, and wipes the array.
     * Save it after every {@link #prepare prepare}, {@link #release release},
     * {@link #submit submit} and {@link #sync sync}.
     *
     * @return a copy of the state
     */
    public synchronized byte[] state() {
        checkOpen();
        return state.clone();
    }

    /**
     * The account's address.
     *
     * @return {@code veil1…}
     */
    public synchronized String address() {
        checkOpen();
        return address;
    }

    /**
     * Scans the node's blocks added since the last sync for the account's
     * outputs and spends, and updates the state.
     *
     * @param client the node
     * @throws NetworkException the node is unreachable
     * @throws VeilException the node refused or the state is damaged
     */
    public synchronized void sync(VeilClient client) throws VeilException {
        checkOpen();
        replaceState(NativeCore.sync(client.baseUrl(), viewKey, state));
    }

    /**
     * The balance of an asset as of the last {@link #sync(VeilClient)}
     * (call it first). The node is asked the asset's decimals alone.
     *
     * @param client the node, for the asset's decimals
     * @param asset  the asset, e.g. {@code CNY}
     * @return the confirmed and pending balance
     * @throws VeilException the node is unreachable or does not know the asset
     */
    public synchronized Balance balance(VeilClient client, String asset) throws VeilException {
        checkOpen();
        int decimals = client.decimals(asset);
        long[] b = NativeCore.balance(viewKey, state, asset);
        return new Balance(asset, decimals, b[0], b[1]);
    }

    /**
     * The history as of the last {@link #sync(VeilClient)}: committed
     * transfers oldest first, then pending ones (height -1).
     *
     * @return an unmodifiable list
     * @throws WalletException the state is damaged
     */
    public synchronized List<HistoryEntry> history() throws WalletException {
        checkOpen();
        return Collections.unmodifiableList(new ArrayList<HistoryEntry>(Arrays.asList(NativeCore.history(state))));
    }

    /**
     * Prepares a spend request with the default ring size
     * ({@value #DEFAULT_RING}); see
     * {@link #prepare(VeilClient, String, List, BigDecimal, int)}.
     *
     * @param client   the node
     * @param asset    the asset, e.g. {@code CNY}
     * @param payments the payments, at least one
     * @param fee      the public fee in the asset's units, e.g. {@code 0.01}
     * @return the request, for the offline signer
     * @throws InsufficientFundsException the spendable balance is short
     * @throws VeilException the node is unreachable or refused, or the payments are refused
     */
    public SpendRequest prepare(VeilClient client, String asset, List<Payment> payments, BigDecimal fee)
            throws VeilException {
        return prepare(client, asset, payments, fee, DEFAULT_RING);
    }

    /**
     * Prepares a spend request paying {@code payments} in one transaction:
     * chooses the inputs, fetches their rings' decoys from the node, and
     * reserves the inputs in the state (so another request does not spend
     * them) until the request's transfer is {@link #submit submitted} or the
     * request is {@link #release(SpendRequest) released}. Amounts are
     * converted to minor units with the asset's decimals, asked of the node.
     * Save the {@link #state()} afterwards.
     *
     * @param client   the node
     * @param asset    the asset, e.g. {@code CNY}
     * @param payments the payments, at least one
     * @param fee      the public fee in the asset's units, e.g. {@code 0.01}
     * @param ring     the ring size
     * @return the request, for the offline signer
     * @throws IllegalArgumentException no payments, an amount that is not
     *     positive, or an amount or fee with more digits after the point than
     *     the asset has decimals
     * @throws InsufficientFundsException the spendable balance is short
     * @throws VeilException the node is unreachable or refused, or the payments are refused
     */
    public synchronized SpendRequest prepare(VeilClient client, String asset, List<Payment> payments,
            BigDecimal fee, int ring) throws VeilException {
        checkOpen();
        if (payments == null || payments.isEmpty()) {
            throw new IllegalArgumentException("a spend request needs at least one payment");
        }
        if (fee == null) {
            throw new NullPointerException("fee");
        }
        if (ring < 1) {
            throw new IllegalArgumentException("the ring size must be positive, not " + ring);
        }
        int decimals = client.decimals(asset);
        int n = payments.size();
        String[] to = new String[n];
        long[] amounts = new long[n];
        String[] memos = new String[n];
        for (int i = 0; i < n; i++) {
            Payment p = payments.get(i);
            if (p == null) {
                throw new NullPointerException("payment " + i);
            }
            if (p.amount().signum() <= 0) {
                throw new IllegalArgumentException("payment " + i + ": the amount must be positive");
            }
            to[i] = p.to();
            amounts[i] = Amounts.toMinor(p.amount(), decimals);
            memos[i] = p.memo();
        }
        long feeMinor = Amounts.toMinor(fee, decimals);
        Object[] r = NativeCore.prepare(client.baseUrl(), viewKey, state, asset, to, amounts, memos, feeMinor,
                ring);
        replaceState((byte[]) r[1]);
        return SpendRequest.own((byte[]) r[0]);
    }

    /**
     * Releases the inputs a request reserved, for a request that will not be
     * signed or submitted (it must not be: its inputs may then be spent by
     * another). Save the {@link #state()} afterwards.
     *
     * @param request the request
     * @throws VeilException the request does not parse
     */
    public synchronized void release(SpendRequest request) throws VeilException {
        checkOpen();
        replaceState(NativeCore.release(viewKey, state, request.bytes()));
    }

    /**
     * Records a signed transfer as sent: its inputs spent, the transfer
     * pending in the history. {@link #submit(VeilClient, SignedTransaction)}
     * does it after submitting; call it directly when the transfer was
     * submitted another way.
     *
     * @param signed the signed transfer
     * @throws VeilException it does not parse or spends nothing
     */
    public synchronized void importSigned(SignedTransaction signed) throws VeilException {
        checkOpen();
        replaceState(NativeCore.importSigned(viewKey, state, signed.bytes()));
    }

    /**
     * Submits a signed transfer to the node ({@link VeilClient#submitSigned})
     * and records it as sent ({@link #importSigned}). Wait for it with
     * {@link VeilClient#waitForCommit(String, long)}, then
     * {@link #sync(VeilClient) sync}. Save the {@link #state()} afterwards.
     *
     * @param client the node
     * @param signed the signed transfer
     * @return the transaction hash, hex
     * @throws StaleRequestException the rings or regulator key changed since
     *     the request was prepared: release it and prepare a new one
     * @throws DoubleSpendException an input is spent already
     * @throws DuplicateTransactionException the node has this transaction already
     * @throws NodeBusyException the node is busy: retry later
     * @throws VeilException another refusal, or the node is unreachable
     */
    public synchronized String submit(VeilClient client, SignedTransaction signed) throws VeilException {
        checkOpen();
        String hash = client.submitSigned(signed);
        importSigned(signed);
        return hash;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Wipes the view key and the state. Idempotent. */
    @Override
    public synchronized void close() {
        Secrets.wipe(viewKey);
        Secrets.wipe(state);
        closed = true;
    }

    /**
     * The wallet as text: its address, never its key or state.
     *
     * @return {@code ViewOnlyWallet[veil1…]}
     */
    @Override
    public synchronized String toString() {
        return closed ? "ViewOnlyWallet[closed]" : "ViewOnlyWallet[" + address + "]";
    }

    private void replaceState(byte[] next) {
        byte[] old = state;
        state = next;
        Secrets.wipe(old);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the view-only wallet is closed");
        }
    }
}
