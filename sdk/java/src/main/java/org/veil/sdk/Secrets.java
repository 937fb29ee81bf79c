package org.veil.sdk;

import java.util.Arrays;

/**
 * Wipes secrets held in arrays. Java strings cannot be wiped, so the SDK
 * hands secrets (seeds, mnemonics, view keys, wallet states) out as
 * {@code byte[]} or {@code char[]}: overwrite them with these methods as
 * soon as they are no longer needed.
 */
public final class Secrets {
    private Secrets() {}

    /**
     * Overwrites every byte with zero. Does nothing for {@code null}.
     *
     * @param secret the array to wipe
     */
    public static void wipe(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /**
     * Overwrites every character with zero. Does nothing for {@code null}.
     *
     * @param secret the array to wipe
     */
    public static void wipe(char[] secret) {
        if (secret != null) {
            Arrays.fill(secret, '\0');
        }
    }
}
