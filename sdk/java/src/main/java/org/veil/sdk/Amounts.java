package org.veil.sdk;

import java.math.BigDecimal;

/**
 * Conversions between an asset's minor units (the integers the ledger
 * holds, e.g. fen for CNY) and decimal amounts (e.g. {@code 1250.50} with 2
 * decimals). An asset's decimals come from the node:
 * {@link VeilClient#decimals(String)}.
 */
public final class Amounts {
    private Amounts() {}

    /**
     * A minor-unit amount as a decimal.
     *
     * @param minor    the amount in minor units
     * @param decimals the asset's decimals (0 to 18)
     * @return {@code minor / 10^decimals}, with exactly {@code decimals} digits
     *     after the point (125050 with 2 decimals is {@code 1250.50})
     * @throws IllegalArgumentException decimals out of range
     */
    public static BigDecimal toDecimal(long minor, int decimals) {
        checkDecimals(decimals);
        return BigDecimal.valueOf(minor, decimals);
    }

    /**
     * A decimal amount in minor units.
     *
     * @param amount   the amount, e.g. {@code 1250.50}
     * @param decimals the asset's decimals (0 to 18)
     * @return {@code amount * 10^decimals}, e.g. 125050
     * @throws IllegalArgumentException the amount is negative, has more
     *     digits after the point than the asset has decimals (trailing zeros
     *     aside), or does not fit a {@code long}
     * @throws NullPointerException {@code amount} is null
     */
    public static long toMinor(BigDecimal amount, int decimals) {
        checkDecimals(decimals);
        if (amount == null) {
            throw new NullPointerException("amount");
        }
        if (amount.signum() < 0) {
            throw new IllegalArgumentException("the amount " + amount.toPlainString() + " is negative");
        }
        BigDecimal stripped = amount.signum() == 0 ? BigDecimal.ZERO : amount.stripTrailingZeros();
        if (stripped.scale() > decimals) {
            throw new IllegalArgumentException("the amount " + amount.toPlainString() + " has "
                    + stripped.scale() + " digits after the point; the asset has " + decimals);
        }
        try {
            return amount.movePointRight(decimals).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("the amount " + amount.toPlainString() + " is too large");
        }
    }

    private static void checkDecimals(int decimals) {
        if (decimals < 0 || decimals > 18) {
            throw new IllegalArgumentException("decimals must be 0 to 18, not " + decimals);
        }
    }
}
