package org.veil.sdk;

import java.math.BigDecimal;

/**
 * One transfer in a wallet's history ({@link ViewOnlyWallet#history()}):
 * received ({@code "in"}) or sent ({@code "out"}), committed at a height or
 * pending ({@link #height()} {@code -1}). Amounts are in the asset's minor
 * units; the helpers taking {@code decimals} give them as decimals.
 * Immutable.
 */
public final class HistoryEntry {
    private final String tx;
    private final long height;
    private final String direction;
    private final String asset;
    private final long amount;
    private final long fee;
    private final String memo;
    private final String counterparty;

    /**
     * An entry (built by the native core).
     *
     * @param tx           the transaction hash, hex
     * @param height       the block height, or -1 while pending
     * @param direction    {@code "in"} or {@code "out"}
     * @param asset        the asset, e.g. {@code CNY}
     * @param amount       received, or paid to others (fee and change
     *     excluded), minor units
     * @param fee          the fee paid (outgoing only), minor units
     * @param memo         the memo
     * @param counterparty the receiver of an outgoing transfer when known, else null
     */
    public HistoryEntry(String tx, long height, String direction, String asset, long amount,
            long fee, String memo, String counterparty) {
        this.tx = tx;
        this.height = height;
        this.direction = direction;
        this.asset = asset;
        this.amount = amount;
        this.fee = fee;
        this.memo = memo == null ? "" : memo;
        this.counterparty = counterparty;
    }

    /**
     * The transaction.
     *
     * @return its hash, hex
     */
    public String tx() {
        return tx;
    }

    /**
     * Where the transaction is.
     *
     * @return the block height it was committed at, or -1 while pending
     */
    public long height() {
        return height;
    }

    /**
     * Whether the transaction is not committed yet.
     *
     * @return true while pending
     */
    public boolean isPending() {
        return height < 0;
    }

    /**
     * The direction.
     *
     * @return {@code "in"} (received) or {@code "out"} (sent)
     */
    public String direction() {
        return direction;
    }

    /**
     * Whether the wallet received this transfer.
     *
     * @return true for {@code "in"}
     */
    public boolean isIncoming() {
        return "in".equals(direction);
    }

    /**
     * The asset.
     *
     * @return e.g. {@code CNY}
     */
    public String asset() {
        return asset;
    }

    /**
     * The amount received, or paid to others (fee and change excluded).
     *
     * @return minor units
     */
    public long amountMinor() {
        return amount;
    }

    /**
     * The amount as a decimal.
     *
     * @param decimals the asset's decimals ({@link VeilClient#decimals(String)})
     * @return e.g. {@code 120.50}
     */
    public BigDecimal amount(int decimals) {
        return Amounts.toDecimal(amount, decimals);
    }

    /**
     * The fee paid (outgoing transfers; 0 for incoming ones).
     *
     * @return minor units
     */
    public long feeMinor() {
        return fee;
    }

    /**
     * The fee as a decimal.
     *
     * @param decimals the asset's decimals
     * @return e.g. {@code 0.01}
     */
    public BigDecimal fee(int decimals) {
        return Amounts.toDecimal(fee, decimals);
    }

    /**
     * The memo.
     *
     * @return the memo; empty if none
     */
    public String memo() {
        return memo;
    }

    /**
     * The other party.
     *
     * @return the receiver's address of an outgoing transfer when known
     *     (a pending transfer paying several receivers lists them separated
     *     by commas), else null
     */
    public String counterparty() {
        return counterparty;
    }

    /**
     * A one-line summary (amounts in minor units).
     *
     * @return e.g. {@code out 12050 CNY (fee 1) to veil1… at height 12, tx 3fa2…}
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(direction).append(' ').append(amount).append(' ').append(asset);
        if (fee != 0) {
            b.append(" (fee ").append(fee).append(')');
        }
        if (counterparty != null) {
            b.append(" to ").append(counterparty);
        }
        if (!memo.isEmpty()) {
            b.append(" memo \"").append(memo).append('"');
        }
        b.append(height < 0 ? " pending" : " at height " + height);
        b.append(", tx ").append(tx);
        return b.toString();
    }
}
