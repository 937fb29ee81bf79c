package org.veil.sdk;

import java.math.BigDecimal;

/**
 * A wallet's balance of one asset ({@link ViewOnlyWallet#balance(VeilClient, String)}):
 * confirmed (unspent outputs in committed blocks) and pending (change of
 * transfers sent and not yet committed), in minor units and as decimals.
 * Outputs reserved by an outstanding spend request count as spent: they
 * are in neither figure until the request's signed transfer is imported
 * (its change then shows as pending) or the request is released (they are
 * confirmed again). Immutable.
 */
public final class Balance {
    private final String asset;
    private final int decimals;
    private final long confirmed;
    private final long pending;

    /**
     * A balance.
     *
     * @param asset     the asset
     * @param decimals  its decimals
     * @param confirmed the confirmed balance, minor units
     * @param pending   the pending balance, minor units
     */
    public Balance(String asset, int decimals, long confirmed, long pending) {
        this.asset = asset;
        this.decimals = decimals;
        this.confirmed = confirmed;
        this.pending = pending;
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
     * The asset's decimals.
     *
     * @return e.g. 2
     */
    public int decimals() {
        return decimals;
    }

    /**
     * The confirmed balance: unspent outputs in committed blocks, less those
     * reserved by outstanding spend requests.
     *
     * @return e.g. {@code 500.00}
     */
    public BigDecimal confirmed() {
        return Amounts.toDecimal(confirmed, decimals);
    }

    /**
     * The confirmed balance.
     *
     * @return minor units
     */
    public long confirmedMinor() {
        return confirmed;
    }

    /**
     * The pending balance: change of transfers sent and not yet committed.
     *
     * @return a decimal amount
     */
    public BigDecimal pending() {
        return Amounts.toDecimal(pending, decimals);
    }

    /**
     * The pending balance.
     *
     * @return minor units
     */
    public long pendingMinor() {
        return pending;
    }

    /**
     * The balance as text.
     *
     * @return e.g. {@code 500.00 CNY confirmed, 0.00 CNY pending}
     */
    @Override
    public String toString() {
        return confirmed().toPlainString() + " " + asset + " confirmed, " + pending().toPlainString()
                + " " + asset + " pending";
    }
}
