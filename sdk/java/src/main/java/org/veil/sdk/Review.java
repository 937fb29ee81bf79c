package org.veil.sdk;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What signing a spend request pays, as the offline signer checked it
 * ({@link OfflineSigner#review(SpendRequest)}): show it to the person
 * approving the payment before {@link OfflineSigner#sign(SpendRequest)}.
 * The payments, fee and change were checked against the request's inputs
 * and digest and the signer's account. Immutable.
 */
public final class Review {
    private final String asset;
    private final int decimals;
    private final List<Payment> payments;
    private final long[] amounts;
    private final long fee;
    private final long change;
    private final long inputsTotal;
    private final int inputs;
    private final int ring;
    private final long preparedAtHeight;
    private final String digest;

    /**
     * A review (built by the native core).
     *
     * @param asset            the asset
     * @param decimals         its decimals
     * @param to               the receivers
     * @param amounts          the amounts paid, minor units (as many as {@code to})
     * @param memos            the memos (as many as {@code to})
     * @param fee              the fee, minor units
     * @param change           the change back to the signer, minor units
     * @param inputsTotal      the sum of the inputs spent, minor units
     * @param inputs           the number of inputs
     * @param ring             the ring size
     * @param preparedAtHeight the chain height the request was prepared at
     * @param digest           the request's digest, hex
     * @throws IllegalArgumentException the arrays differ in length
     */
    public Review(String asset, int decimals, String[] to, long[] amounts, String[] memos, long fee,
            long change, long inputsTotal, int inputs, int ring, long preparedAtHeight, String digest) {
        if (to.length != amounts.length || to.length != memos.length) {
            throw new IllegalArgumentException("to, amounts and memos differ in length");
        }
        this.asset = asset;
        this.decimals = decimals;
        this.amounts = amounts.clone();
        List<Payment> p = new ArrayList<Payment>(to.length);
        for (int i = 0; i < to.length; i++) {
            p.add(new Payment(to[i], Amounts.toDecimal(amounts[i], decimals), memos[i]));
        }
        this.payments = Collections.unmodifiableList(p);
        this.fee = fee;
        this.change = change;
        this.inputsTotal = inputsTotal;
        this.inputs = inputs;
        this.ring = ring;
        this.preparedAtHeight = preparedAtHeight;
        this.digest = digest;
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
     * The payments to others, amounts as decimals.
     *
     * @return an unmodifiable list, in the request's order
     */
    public List<Payment> payments() {
        return payments;
    }

    /**
     * The amount of a payment in minor units.
     *
     * @param index the payment's index in {@link #payments()}
     * @return minor units
     */
    public long amountMinor(int index) {
        return amounts[index];
    }

    /**
     * The sum of the payments to others.
     *
     * @return a decimal amount
     */
    public BigDecimal total() {
        return Amounts.toDecimal(totalMinor(), decimals);
    }

    /**
     * The sum of the payments to others.
     *
     * @return minor units
     */
    public long totalMinor() {
        long t = 0;
        for (long a : amounts) {
            t = Math.addExact(t, a);
        }
        return t;
    }

    /**
     * The public fee.
     *
     * @return a decimal amount
     */
    public BigDecimal fee() {
        return Amounts.toDecimal(fee, decimals);
    }

    /**
     * The public fee.
     *
     * @return minor units
     */
    public long feeMinor() {
        return fee;
    }

    /**
     * The change back to the signer's account.
     *
     * @return a decimal amount
     */
    public BigDecimal change() {
        return Amounts.toDecimal(change, decimals);
    }

    /**
     * The change back to the signer's account.
     *
     * @return minor units
     */
    public long changeMinor() {
        return change;
    }

    /**
     * The sum of the inputs spent (payments + fee + change).
     *
     * @return a decimal amount
     */
    public BigDecimal inputsTotal() {
        return Amounts.toDecimal(inputsTotal, decimals);
    }

    /**
     * The sum of the inputs spent.
     *
     * @return minor units
     */
    public long inputsTotalMinor() {
        return inputsTotal;
    }

    /**
     * The number of inputs spent.
     *
     * @return at least 1
     */
    public int inputs() {
        return inputs;
    }

    /**
     * The ring size: each input hides among this many outputs of the chain.
     *
     * @return e.g. 16
     */
    public int ring() {
        return ring;
    }

    /**
     * The chain height the request was prepared at.
     *
     * @return a block height
     */
    public long preparedAtHeight() {
        return preparedAtHeight;
    }

    /**
     * The request's digest, which the signature binds.
     *
     * @return hex
     */
    public String digest() {
        return digest;
    }

    /**
     * A human summary, one line per payment then the fee and change, e.g.
     * <pre>
     * pay 1250.50 CNY to veil1… memo "invoice 42"
     * fee 0.01 CNY
     * change 3749.49 CNY back to the signer
     * (2 inputs of ring 16, 5000.00 CNY in total; prepared at height 12; digest 9c1e…)
     * </pre>
     *
     * @return several lines
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Payment p : payments) {
            b.append("pay ").append(p.amount().toPlainString()).append(' ').append(asset)
                    .append(" to ").append(p.to());
            if (!p.memo().isEmpty()) {
                b.append(" memo \"").append(p.memo()).append('"');
            }
            b.append('\n');
        }
        b.append("fee ").append(fee().toPlainString()).append(' ').append(asset).append('\n');
        b.append("change ").append(change().toPlainString()).append(' ').append(asset)
                .append(" back to the signer\n");
        b.append('(').append(inputs).append(inputs == 1 ? " input" : " inputs").append(" of ring ")
                .append(ring).append(", ").append(inputsTotal().toPlainString()).append(' ').append(asset)
                .append(" in total; prepared at height ").append(preparedAtHeight).append("; digest ")
                .append(digest).append(')');
        return b.toString();
    }
}
