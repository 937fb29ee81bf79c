package org.veil.sdk;

/**
 * A signed transfer no longer matches the chain: its ring members differ
 * from what the node holds, or the regulator key changed since the request
 * was prepared and the node refused it. Release the request
 * ({@link ViewOnlyWallet#release(SpendRequest)}), prepare and sign a new one.
 */
public class StaleRequestException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message.
     *
     * @param message what failed
     */
    public StaleRequestException(String message) {
        super(message);
    }
}
