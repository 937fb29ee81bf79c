package org.veil.sdk;

/**
 * The node refused a request and said why, as an RFC 9457 problem
 * ({@code application/problem+json}): a {@link #type() type} URI such as
 * {@code urn:veil:problem:double-spend}, a short {@link #title() title}, the
 * HTTP {@link #status() status} and a {@link #detail() detail}. The common
 * codes have subclasses: {@link DoubleSpendException},
 * {@link DuplicateTransactionException}, {@link NodeBusyException},
 * {@link NotFoundException}; catch this class for the others.
 */
public class ProblemException extends VeilException {
    private static final long serialVersionUID = 1L;

    /** The problem type URI. */
    private final String type;
    /** The problem's short summary. */
    private final String title;
    /** The HTTP status. */
    private final int status;
    /** The explanation of this occurrence. */
    private final String detail;

    /**
     * A problem the node answered.
     *
     * @param type   the problem type URI, e.g. {@code urn:veil:problem:double-spend}
     * @param title  its short, human-readable summary
     * @param status the HTTP status of the answer
     * @param detail the explanation of this occurrence
     */
    public ProblemException(String type, String title, int status, String detail) {
        super(title + " (" + status + "): " + detail);
        this.type = type;
        this.title = title;
        this.status = status;
        this.detail = detail;
    }

    /**
     * The problem type URI.
     *
     * @return e.g. {@code urn:veil:problem:double-spend}
     */
    public String type() {
        return type;
    }

    /**
     * The problem code: the text of the {@link #type() type} after its last
     * {@code ':'}.
     *
     * @return e.g. {@code double-spend}
     */
    public String code() {
        if (type == null) {
            return "";
        }
        return type.substring(type.lastIndexOf(':') + 1);
    }

    /**
     * The problem's short, human-readable summary.
     *
     * @return the title
     */
    public String title() {
        return title;
    }

    /**
     * The HTTP status the node answered with.
     *
     * @return e.g. 409
     */
    public int status() {
        return status;
    }

    /**
     * The explanation of this occurrence of the problem.
     *
     * @return the detail
     */
    public String detail() {
        return detail;
    }
}
