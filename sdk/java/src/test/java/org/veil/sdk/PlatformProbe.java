package org.veil.sdk;

/**
 * Run by {@link WalletTest} in a JVM with a faked {@code os.name} /
 * {@code os.arch}: prints what the first use of the SDK throws.
 */
public final class PlatformProbe {
    private PlatformProbe() {}

    public static void main(String[] args) {
        try {
            Wallet.generate().close();
            System.out.println("loaded");
        } catch (Throwable t) {
            System.out.println(t.getClass().getName() + ": " + t.getMessage());
        }
    }
}
