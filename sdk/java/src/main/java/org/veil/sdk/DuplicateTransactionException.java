package org.veil.sdk;

/**
 * The node already has this very transaction (code {@code duplicate}), in
 * its mempool or on the chain. Submitting it again is harmless: wait for
 * it with {@link VeilClient#waitForCommit(String, long)}.
 */
public class DuplicateTransactionException extends ProblemException {
    private static final long serialVersionUID = 1L;

    /**
     * The problem the node answered.
     *
     * @param type   the problem type URI
     * @param title  its short summary
     * @param status the HTTP status
     * @param detail the explanation
     */
    public DuplicateTransactionException(String type, String title, int status, String detail) {
        super(type, title, status, detail);
    }
}
