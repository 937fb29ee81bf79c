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
public final class SpendRequest extends OwnedJson {
    private SpendRequest(byte[] json) {
        super(json, "spend request");
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
     * The request as text: its size, not its content.
     *
     * @return {@code SpendRequest[1234 bytes]}
     */
    @Override
    public String toString() {
        return describe("SpendRequest", null);
    }
}
