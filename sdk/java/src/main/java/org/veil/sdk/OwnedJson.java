package org.veil.sdk;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The JSON bytes of a cold-signing file ({@link SpendRequest},
 * {@link SignedTransaction}), which name receivers and amounts in clear:
 * copies out, owner-only files, and a wipe that makes the object unusable.
 */
abstract class OwnedJson {
    private final byte[] json;
    private final String what;
    private boolean wiped;

    /**
     * Takes ownership of {@code json}.
     *
     * @param json the bytes
     * @param what what they are, for the wiped error ("spend request")
     */
    OwnedJson(byte[] json, String what) {
        this.json = json;
        this.what = what;
    }

    /**
     * The JSON bytes. The caller wipes the array.
     *
     * @return a copy
     * @throws IllegalStateException the bytes were wiped
     */
    public synchronized byte[] toJson() {
        return bytes().clone();
    }

    /**
     * Writes the bytes to a file readable by its owner alone (mode
     * {@code rw-------}, set when the file is created, never wider),
     * replacing the file if it exists.
     *
     * @param path the file
     * @throws IOException the file cannot be written
     * @throws IllegalStateException the bytes were wiped
     */
    public synchronized void write(Path path) throws IOException {
        OwnerOnlyFiles.write(path, bytes());
    }

    /** Overwrites the bytes held here with zeros; the object is unusable afterwards. */
    public synchronized void wipe() {
        Secrets.wipe(json);
        wiped = true;
    }

    /** The JSON itself, not a copy (package-private). */
    synchronized byte[] bytes() {
        if (wiped) {
            throw new IllegalStateException("the " + what + " was wiped");
        }
        return json;
    }

    /**
     * Its name and size, or that it was wiped: never the content.
     *
     * @param name the class's name
     * @param label what to show instead of the size, or null
     * @return {@code Name[label]}, {@code Name[1234 bytes]} or {@code Name[wiped]}
     */
    synchronized String describe(String name, String label) {
        if (wiped) {
            return name + "[wiped]";
        }
        return name + "[" + (label != null ? label : json.length + " bytes") + "]";
    }
}
