package org.veil.sdk;

/**
 * The node could not be reached: connection refused, timed out, or an
 * answer that is not HTTP. The request may be retried, against this node
 * or another.
 */
public class NetworkException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message.
     *
     * @param message what failed
     */
    public NetworkException(String message) {
        super(message);
    }
}
