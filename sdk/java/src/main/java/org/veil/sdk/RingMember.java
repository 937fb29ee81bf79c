package org.veil.sdk;

import java.util.Arrays;

/**
 * A member of an input's ring, for {@link Transfers#verify}: an output of
 * the chain as its one-time public key and its amount commitment, 32 bytes
 * each. Immutable (the arrays are copied in and out).
 */
public final class RingMember {
    private final byte[] key;
    private final byte[] commitment;

    /**
     * A ring member.
     *
     * @param key        the output's one-time public key, 32 bytes
     * @param commitment the output's amount commitment, 32 bytes
     * @throws IllegalArgumentException either is not 32 bytes
     * @throws NullPointerException either is null
     */
    public RingMember(byte[] key, byte[] commitment) {
        if (key == null) {
            throw new NullPointerException("key");
        }
        if (commitment == null) {
            throw new NullPointerException("commitment");
        }
        if (key.length != 32) {
            throw new IllegalArgumentException("a ring member's key is 32 bytes, not " + key.length);
        }
        if (commitment.length != 32) {
            throw new IllegalArgumentException("a ring member's commitment is 32 bytes, not " + commitment.length);
        }
        this.key = key.clone();
        this.commitment = commitment.clone();
    }

    /**
     * The one-time public key.
     *
     * @return a copy, 32 bytes
     */
    public byte[] key() {
        return key.clone();
    }

    /**
     * The amount commitment.
     *
     * @return a copy, 32 bytes
     */
    public byte[] commitment() {
        return commitment.clone();
    }

    void writeTo(byte[] out, int offset) {
        System.arraycopy(key, 0, out, offset, 32);
        System.arraycopy(commitment, 0, out, offset + 32, 32);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RingMember)) {
            return false;
        }
        RingMember m = (RingMember) o;
        return Arrays.equals(key, m.key) && Arrays.equals(commitment, m.commitment);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key) * 31 + Arrays.hashCode(commitment);
    }

    /**
     * The member as hex.
     *
     * @return {@code RingMember[key=…, commitment=…]}
     */
    @Override
    public String toString() {
        return "RingMember[key=" + Hex.encode(key) + ", commitment=" + Hex.encode(commitment) + "]";
    }
}
