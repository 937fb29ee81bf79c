package org.veil.sdk;

import java.math.BigDecimal;

/**
 * A payment: a receiver's address, an amount in the asset's units (e.g.
 * {@code 1250.50} CNY) and an optional memo the receiver reads (UTF-8, at
 * most 512 bytes). Immutable. Two payments are equal when their receivers
 * and memos are equal and their amounts are numerically equal
 * ({@code 1.5} equals {@code 1.50}).
 */
public final class Payment {
    private final String to;
    private final BigDecimal amount;
    private final String memo;

    /**
     * A payment with a memo.
     *
     * @param to     the receiver's address ({@code veil1…})
     * @param amount the amount in the asset's units; not negative
     * @param memo   the memo, or null for none
     * @throws NullPointerException {@code to} or {@code amount} is null
     * @throws IllegalArgumentException the amount is negative
     */
    public Payment(String to, BigDecimal amount, String memo) {
        if (to == null) {
            throw new NullPointerException("to");
        }
        if (amount == null) {
            throw new NullPointerException("amount");
        }
        if (amount.signum() < 0) {
            throw new IllegalArgumentException("a payment amount cannot be negative: " + amount.toPlainString());
        }
        this.to = to;
        this.amount = amount;
        this.memo = memo == null ? "" : memo;
    }

    /**
     * A payment without a memo.
     *
     * @param to     the receiver's address ({@code veil1…})
     * @param amount the amount in the asset's units
     */
    public Payment(String to, BigDecimal amount) {
        this(to, amount, "");
    }

    /**
     * The receiver.
     *
     * @return the receiver's address
     */
    public String to() {
        return to;
    }

    /**
     * The amount.
     *
     * @return the amount in the asset's units
     */
    public BigDecimal amount() {
        return amount;
    }

    /**
     * The memo.
     *
     * @return the memo; empty if none
     */
    public String memo() {
        return memo;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Payment)) {
            return false;
        }
        Payment p = (Payment) o;
        return to.equals(p.to) && amount.compareTo(p.amount) == 0 && memo.equals(p.memo);
    }

    @Override
    public int hashCode() {
        BigDecimal a = amount.signum() == 0 ? BigDecimal.ZERO : amount.stripTrailingZeros();
        return (to.hashCode() * 31 + a.hashCode()) * 31 + memo.hashCode();
    }

    /**
     * The payment as {@code pay AMOUNT to ADDRESS [memo "MEMO"]}.
     *
     * @return a human-readable line
     */
    @Override
    public String toString() {
        return "pay " + amount.toPlainString() + " to " + to + (memo.isEmpty() ? "" : " memo \"" + memo + "\"");
    }
}
