package org.veil.sdk;

/**
 * A spend request or signed transfer was refused before anything was
 * signed or sent: its digest does not match its content (it was altered),
 * it belongs to another account, it is inconsistent (inputs, payments, fee
 * and change do not add up), or it is not in a format this SDK reads.
 * Do not sign or submit it; prepare a new request.
 */
public class InvalidRequestException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message.
     *
     * @param message what failed
     */
    public InvalidRequestException(String message) {
        super(message);
    }
}
