package org.veil.sdk;

/**
 * The node refused a transaction that spends an output already spent (code
 * {@code double-spend}): one of its key images is on the chain or in the
 * mempool. Signing the same spend request twice produces two such
 * transactions; only the first one is accepted.
 */
public class DoubleSpendException extends ProblemException {
    private static final long serialVersionUID = 1L;

    /**
     * The problem the node answered.
     *
     * @param type   the problem type URI
     * @param title  its short summary
     * @param status the HTTP status
     * @param detail the explanation
     */
    public DoubleSpendException(String type, String title, int status, String detail) {
        super(type, title, status, detail);
    }
}
