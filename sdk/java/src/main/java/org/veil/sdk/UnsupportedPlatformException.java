package org.veil.sdk;

/**
 * The SDK's native library is not built for this platform. The SDK ships
 * one native library, for {@code linux-x86_64}; on another operating system
 * or architecture it cannot run (unless a library built for it is given
 * with the system property {@code veil.native.path}, see
 * {@link NativeLoader}).
 */
public class UnsupportedPlatformException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception with a message naming the platform.
     *
     * @param message what is unsupported
     */
    public UnsupportedPlatformException(String message) {
        super(message);
    }
}
