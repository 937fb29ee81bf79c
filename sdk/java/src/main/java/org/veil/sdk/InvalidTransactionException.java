package org.veil.sdk;

/**
 * A transaction failed verification: its bytes do not decode, or one of
 * its proofs or signatures does not verify against the rings given.
 */
public class InvalidTransactionException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message.
     *
     * @param message what failed
     */
    public InvalidTransactionException(String message) {
        super(message);
    }
}
