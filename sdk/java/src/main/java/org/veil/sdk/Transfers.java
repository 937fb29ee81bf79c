package org.veil.sdk;

import java.util.List;

/**
 * Verification of transfers without a node, e.g. by an auditor or a
 * receiving bank holding the rings: decodes a transaction and checks every
 * proof and signature against the rings its inputs spend from.
 */
public final class Transfers {
    private Transfers() {}

    /**
     * Decodes a transfer and verifies it: the ring signature of each input
     * against its ring, the range proofs, the balance of inputs, outputs and
     * fee, and the other signatures. Stateless: it does not say whether the
     * inputs are spent already, nor whether the rings are outputs of the chain.
     *
     * @param tx    the encoded transaction
     * @param rings for each input of the transaction, in order, its ring's
     *     members in order; every ring has the same (non-zero) size
     * @return the transaction hash, hex
     * @throws InvalidTransactionException the bytes do not decode, the rings
     *     do not match the inputs, or a proof or signature fails
     * @throws VeilException another failure
     * @throws IllegalArgumentException no rings, an empty ring, or rings of different sizes
     */
    public static String verify(byte[] tx, List<List<RingMember>> rings) throws VeilException {
        NativeLoader.load();
        if (tx == null) {
            throw new NullPointerException("tx");
        }
        if (rings == null || rings.isEmpty()) {
            throw new IllegalArgumentException("a transfer has at least one input, so one ring");
        }
        int size = -1;
        for (int i = 0; i < rings.size(); i++) {
            List<RingMember> ring = rings.get(i);
            if (ring == null || ring.isEmpty()) {
                throw new IllegalArgumentException("ring " + i + " is empty");
            }
            if (size >= 0 && ring.size() != size) {
                throw new IllegalArgumentException("ring " + i + " has " + ring.size() + " members, ring 0 has " + size
                        + ": the rings of a transfer have one size");
            }
            size = ring.size();
        }
        byte[] packed = new byte[Math.multiplyExact(Math.multiplyExact(rings.size(), size), 64)];
        int off = 0;
        for (List<RingMember> ring : rings) {
            for (RingMember m : ring) {
                if (m == null) {
                    throw new NullPointerException("a ring member is null");
                }
                m.writeTo(packed, off);
                off += 64;
            }
        }
        return NativeCore.verifyTransfer(tx, packed, rings.size());
    }
}
