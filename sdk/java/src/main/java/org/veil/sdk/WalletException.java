package org.veil.sdk;

/**
 * A wallet failure: a seed or view key of the wrong length or not a valid
 * key, a mnemonic that is not a valid 24-word BIP-39 English mnemonic, or a
 * wallet state that does not parse.
 */
public class WalletException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message.
     *
     * @param message what failed
     */
    public WalletException(String message) {
        super(message);
    }
}
