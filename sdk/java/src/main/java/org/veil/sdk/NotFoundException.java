package org.veil.sdk;

/**
 * The node does not know what was asked for (code {@code not-found}): an
 * unknown asset, transaction or block.
 */
public class NotFoundException extends ProblemException {
    private static final long serialVersionUID = 1L;

    /**
     * The problem the node answered.
     *
     * @param type   the problem type URI
     * @param title  its short summary
     * @param status the HTTP status
     * @param detail the explanation
     */
    public NotFoundException(String type, String title, int status, String detail) {
        super(type, title, status, detail);
    }
}
