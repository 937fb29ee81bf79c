package org.veil.sdk;

/**
 * The node is too busy to take the request now (code {@code mempool-full}
 * or {@code busy}). It answered with a {@code Retry-After} header: the
 * caller should retry later (after a second or more, backing off), against
 * this node or another. The transaction was not accepted.
 */
public class NodeBusyException extends ProblemException {
    private static final long serialVersionUID = 2L;

    private final long retryAfterSeconds;

    /**
     * The problem the node answered.
     *
     * @param type   the problem type URI
     * @param title  its short summary
     * @param status the HTTP status
     * @param detail the explanation
     */
    public NodeBusyException(String type, String title, int status, String detail) {
        this(type, title, status, detail, -1);
    }

    /**
     * The problem the node answered, with its {@code Retry-After}.
     *
     * @param type              the problem type URI
     * @param title             its short summary
     * @param status            the HTTP status
     * @param detail            the explanation
     * @param retryAfterSeconds the seconds the node asked to wait, or -1
     *                          if it did not say
     */
    public NodeBusyException(String type, String title, int status, String detail, long retryAfterSeconds) {
        super(type, title, status, detail);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * How long the node asked the caller to wait before retrying.
     *
     * @return the seconds of its {@code Retry-After} header, or empty if it
     *         gave none
     */
    public java.util.OptionalLong retryAfterSeconds() {
        return retryAfterSeconds < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(retryAfterSeconds);
    }
}
