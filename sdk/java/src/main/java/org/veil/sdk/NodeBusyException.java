package org.veil.sdk;

/**
 * The node is too busy to take the request now (code {@code mempool-full}
 * or {@code busy}). It answered with a {@code Retry-After} header: the
 * caller should retry later (after a second or more, backing off), against
 * this node or another. The transaction was not accepted.
 */
public class NodeBusyException extends ProblemException {
    private static final long serialVersionUID = 1L;

    /**
     * The problem the node answered.
     *
     * @param type   the problem type URI
     * @param title  its short summary
     * @param status the HTTP status
     * @param detail the explanation
     */
    public NodeBusyException(String type, String title, int status, String detail) {
        super(type, title, status, detail);
    }
}
