package org.veil.sdk;

/**
 * A failure of a Veil operation: the base of every checked exception of
 * this SDK. The subclasses say what failed: {@link WalletException} (keys,
 * mnemonics, wallet state), {@link NetworkException} (the node is
 * unreachable), {@link InvalidRequestException} and
 * {@link StaleRequestException} (cold signing), {@link InsufficientFundsException},
 * {@link InvalidTransactionException} (verification), and
 * {@link ProblemException} (the node refused a request and said why).
 */
public class VeilException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * A failure with a message.
     *
     * @param message what failed
     */
    public VeilException(String message) {
        super(message);
    }

    /**
     * A failure with a message and a cause.
     *
     * @param message what failed
     * @param cause   the underlying failure
     */
    public VeilException(String message, Throwable cause) {
        super(message, cause);
    }
}
