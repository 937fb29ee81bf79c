package org.veil.sdk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A spend request: what a {@link ViewOnlyWallet} asks the
 * {@link OfflineSigner} to sign (format {@code veil-spend-request}, UTF-8
 * JSON): the inputs with their rings, the payments, fee and change, the
 * chain height and regulator key it was prepared with, and a digest of it
 * all that the signer checks. Carry it from the online machine to the
 * offline one as a file ({@link #write(Path)}, {@link #read(Path)}).
 *
 * <p>It names the receivers and amounts in clear: the files are written
 * owner-only (mode 0600), and {@link #wipe()} overwrites the bytes held
 * here once the request is done with. This class does not parse the JSON;
 * the signer checks it ({@link OfflineSigner#review(SpendRequest)}).
 */
public final class SpendRequest {
    private final byte[] json;
    private boolean wiped;

    private SpendRequest(byte[] json) {
        this.json = json;
    }

    /** Takes ownership of {@code json}. */
    static SpendRequest own(byte[] json) {
        return new SpendRequest(json);
    }

    /**
     * A request from its JSON bytes (as {@link #toJson()} gives them).
     *
     * @param json the request; copied
     * @return the request
     */
    public static SpendRequest fromJson(byte[] json) {
        if (json == null) {
            throw new NullPointerException("json");
        }
        return new SpendRequest(json.clone());
    }

    /**
     * Reads a request file.
     *
     * @param path the file
     * @return the request
     * @throws IOException the file cannot be read
     */
    public static SpendRequest read(Path path) throws IOException {
        return new SpendRequest(Files.readAllBytes(path));
    }

    /**
     * The request's JSON bytes. The caller wipes the array.
     *
     * @return a copy
     * @throws IllegalStateException the request was wiped
     */
    public synchronized byte[] toJson() {
        return bytes().clone();
    }

    /**
     * Writes the request to a file readable by its owner alone (mode
     * {@code rw-------}, set when the file is created, never wider), replacing
     * the file if it exists.
     *
     * @param path the file
     * @throws IOException the file cannot be written
     * @throws IllegalStateException the request was wiped
     */
    public synchronized void write(Path path) throws IOException {
        OwnerOnlyFiles.write(path, bytes());
    }

    /** Overwrites the bytes held here with zeros; the request is unusable afterwards. */
    public synchronized void wipe() {
        Secrets.wipe(json);
        wiped = true;
    }

    /** The JSON itself, not a copy (package-private). */
    synchronized byte[] bytes() {
        if (wiped) {
            throw new IllegalStateException("the spend request was wiped");
        }
        return json;
    }

    /**
     * The request as text: its size, not its content.
     *
     * @return {@code SpendRequest[1234 bytes]}
     */
    @Override
    public synchronized String toString() {
        return wiped ? "SpendRequest[wiped]" : "SpendRequest[" + json.length + " bytes]";
    }
}
