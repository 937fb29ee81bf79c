package org.veil.sdk;

/**
 * A node's status ({@link VeilClient#status()}): its chain, its tip height
 * and the regulator key in force. Immutable.
 */
public final class NodeStatus {
    private final String chainId;
    private final long height;
    private final String regulatorKey;

    /**
     * A status.
     *
     * @param chainId      the chain id
     * @param height       the tip height
     * @param regulatorKey the regulator key in force (hex), or null if none
     */
    public NodeStatus(String chainId, long height, String regulatorKey) {
        this.chainId = chainId;
        this.height = height;
        this.regulatorKey = regulatorKey;
    }

    /**
     * The chain the node runs.
     *
     * @return the chain id
     */
    public String chainId() {
        return chainId;
    }

    /**
     * The height of the node's last block.
     *
     * @return the tip height
     */
    public long height() {
        return height;
    }

    /**
     * The regulator key transfers are encrypted to.
     *
     * @return hex, or null if the chain has none
     */
    public String regulatorKey() {
        return regulatorKey;
    }

    /**
     * The status as text.
     *
     * @return e.g. {@code chain veil-dev at height 12, regulator key 5a…}
     */
    @Override
    public String toString() {
        return "chain " + chainId + " at height " + height + ", regulator key "
                + (regulatorKey == null ? "none" : regulatorKey);
    }
}
