package org.veil.sdk;

/**
 * The spendable balance of the asset is short of the payments plus the fee
 * (inputs reserved by earlier spend requests are not spendable until those
 * are submitted or released).
 */
public class InsufficientFundsException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message.
     *
     * @param message what failed
     */
    public InsufficientFundsException(String message) {
        super(message);
    }
}
