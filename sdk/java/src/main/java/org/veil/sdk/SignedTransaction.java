package org.veil.sdk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A signed transfer: what the {@link OfflineSigner} returns for a
 * {@link SpendRequest} (format {@code veil-signed-transfer}, UTF-8 JSON):
 * the transaction, its hash, the key images it spends and what it pays.
 * Carry it back to the online machine as a file ({@link #write(Path)},
 * {@link #read(Path)}) and submit it with
 * {@link ViewOnlyWallet#submit(VeilClient, SignedTransaction)}.
 *
 * <p>It names the receivers and amounts in clear: the files are written
 * owner-only (mode 0600), and {@link #wipe()} overwrites the bytes held
 * here once it is submitted.
 */
public final class SignedTransaction extends OwnedJson {
    private String hash;
    private String txHex;

    private SignedTransaction(byte[] json) {
        super(json, "signed transaction");
    }

    /** Takes ownership of {@code json}, a signed transfer the native core made. */
    static SignedTransaction own(byte[] json) {
        return new SignedTransaction(json);
    }

    /**
     * A signed transfer from its JSON bytes, checked: format and version,
     * and that the transaction decodes to the hash and key images the JSON
     * states.
     *
     * @param json the signed transfer; copied
     * @return the signed transfer
     * @throws InvalidRequestException not a signed transfer, or inconsistent
     * @throws VeilException another failure of the check
     */
    public static SignedTransaction fromJson(byte[] json) throws VeilException {
        NativeLoader.load();
        if (json == null) {
            throw new NullPointerException("json");
        }
        SignedTransaction t = new SignedTransaction(json.clone());
        t.info();
        return t;
    }

    /**
     * Reads and checks a signed-transfer file (see {@link #fromJson(byte[])}).
     *
     * @param path the file
     * @return the signed transfer
     * @throws IOException the file cannot be read
     * @throws VeilException not a signed transfer, or inconsistent
     */
    public static SignedTransaction read(Path path) throws IOException, VeilException {
        byte[] b = Files.readAllBytes(path);
        try {
            return fromJson(b);
        } finally {
            Secrets.wipe(b);
        }
    }

    /**
     * The transaction's hash, its id on the chain.
     *
     * @return hex
     * @throws IllegalStateException the transfer was wiped
     */
    public synchronized String hash() {
        infoUnchecked();
        return hash;
    }

    /**
     * The transaction itself, as the node takes it ({@link VeilClient#submit(byte[])})
     * and {@link Transfers#verify} checks it.
     *
     * @return the encoded transaction
     * @throws IllegalStateException the transfer was wiped
     */
    public synchronized byte[] transactionBytes() {
        infoUnchecked();
        return Hex.decode(txHex);
    }

    private void info() throws VeilException {
        if (hash == null) {
            String[] i = NativeCore.signedInfo(bytes());
            hash = i[0];
            txHex = i[1];
        }
    }

    private void infoUnchecked() {
        try {
            info();
        } catch (VeilException e) {
            throw new IllegalStateException("the signed transfer does not parse: " + e.getMessage(), e);
        }
    }

    /**
     * The signed transfer as text: its hash (when known), not its content.
     *
     * @return {@code SignedTransaction[hash]}
     */
    @Override
    public synchronized String toString() {
        return describe("SignedTransaction", hash);
    }
}
