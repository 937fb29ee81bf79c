package org.veil.sdk;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A full wallet: the 32-byte seed of one Veil account, which can spend.
 * Keep it on the offline signing machine; the online machine works with its
 * {@link #viewOnly() view-only} export, and spends through spend requests
 * that an {@link OfflineSigner} signs with this wallet.
 *
 * <p>The seed lives in a {@code byte[]} of this object, wiped by
 * {@link #close()}; using the wallet after closing it throws
 * {@link IllegalStateException}. Everything the wallet returns that is
 * secret ({@link #seed()}, {@link #mnemonic()}) is a copy that the caller
 * wipes ({@link Secrets}). {@link #toString()} shows the address alone.
 * Thread-safe.
 *
 * <pre>{@code
 * try (Wallet w = Wallet.generate()) {
 *     char[] words = w.mnemonic();   // write it down, then
 *     Secrets.wipe(words);
 *     System.out.println(w.address());
 * }
 * }</pre>
 */
public final class Wallet implements AutoCloseable {
    /** The length of a seed, in bytes. */
    public static final int SEED_BYTES = 32;

    private final byte[] seed;
    private final String address;
    private boolean closed;

    /** Takes ownership of {@code seed} (wiped on failure). */
    private Wallet(byte[] seed) throws WalletException {
        try {
            this.address = NativeCore.address(seed);
        } catch (WalletException | RuntimeException e) {
            Secrets.wipe(seed);
            throw e;
        }
        this.seed = seed;
    }

    /**
     * A new wallet with a seed of 32 random bytes from the operating system.
     *
     * @return the wallet
     */
    public static Wallet generate() {
        NativeLoader.load();
        try {
            return new Wallet(NativeCore.generateSeed());
        } catch (WalletException e) {
            throw new IllegalStateException("a fresh seed was refused: " + e.getMessage(), e);
        }
    }

    /**
     * The wallet of a seed.
     *
     * @param seed the 32-byte seed; copied (the caller keeps and wipes its array)
     * @return the wallet
     * @throws WalletException the seed is not 32 bytes
     */
    public static Wallet fromSeed(byte[] seed) throws WalletException {
        NativeLoader.load();
        if (seed == null) {
            throw new NullPointerException("seed");
        }
        if (seed.length != SEED_BYTES) {
            throw new WalletException("a seed is " + SEED_BYTES + " bytes, not " + seed.length);
        }
        return new Wallet(seed.clone());
    }

    /**
     * The wallet of a 24-word BIP-39 English mnemonic (words separated by
     * spaces). The UTF-8 copy made for the native core is wiped; the caller
     * wipes {@code words}.
     *
     * @param words the mnemonic
     * @return the wallet
     * @throws WalletException not a valid 24-word mnemonic (unknown word,
     *     wrong checksum, another count)
     */
    public static Wallet fromMnemonic(char[] words) throws WalletException {
        NativeLoader.load();
        if (words == null) {
            throw new NullPointerException("words");
        }
        byte[] utf8 = utf8(words);
        try {
            return new Wallet(NativeCore.seedFromMnemonic(utf8));
        } finally {
            Secrets.wipe(utf8);
        }
    }

    /**
     * The seed's 24-word BIP-39 English mnemonic, words separated by one
     * space: the wallet's backup. The caller wipes the array.
     *
     * @return the mnemonic
     * @throws IllegalStateException the wallet is closed
     */
    public synchronized char[] mnemonic() {
        checkOpen();
        byte[] utf8;
        try {
            utf8 = NativeCore.mnemonicFromSeed(seed);
        } catch (WalletException e) {
            throw new IllegalStateException("the mnemonic of this wallet's seed: " + e.getMessage(), e);
        }
        try {
            return chars(utf8);
        } finally {
            Secrets.wipe(utf8);
        }
    }

    /**
     * The seed. The caller wipes the array.
     *
     * @return a copy of the 32-byte seed
     * @throws IllegalStateException the wallet is closed
     */
    public synchronized byte[] seed() {
        checkOpen();
        return seed.clone();
    }

    /**
     * The account's address, which others pay.
     *
     * @return {@code veil1…}
     * @throws IllegalStateException the wallet is closed
     */
    public synchronized String address() {
        checkOpen();
        return address;
    }

    /**
     * Exports the view-only wallet of this account: its view key (which
     * finds and reads the account's transfers but cannot spend) and an empty
     * state. Give it to the online machine.
     *
     * @return a new view-only wallet, to close when done
     * @throws IllegalStateException the wallet is closed
     */
    public synchronized ViewOnlyWallet viewOnly() {
        checkOpen();
        byte[] key = null;
        try {
            key = NativeCore.viewKey(seed);
            return ViewOnlyWallet.fromViewKey(key);
        } catch (WalletException e) {
            throw new IllegalStateException("the view key of this wallet: " + e.getMessage(), e);
        } finally {
            Secrets.wipe(key);
        }
    }

    /** Runs {@code f} with the seed itself (not a copy), under the wallet's lock. */
    synchronized <T> T withSeed(SeedFunction<T> f) throws VeilException {
        checkOpen();
        return f.apply(seed);
    }

    /** A function of the seed (package-private). */
    interface SeedFunction<T> {
        T apply(byte[] seed) throws VeilException;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Wipes the seed. Idempotent. */
    @Override
    public synchronized void close() {
        Secrets.wipe(seed);
        closed = true;
    }

    /**
     * The wallet as text: its address, never its seed.
     *
     * @return {@code Wallet[veil1…]}, or {@code Wallet[closed]}
     */
    @Override
    public synchronized String toString() {
        return closed ? "Wallet[closed]" : "Wallet[" + address + "]";
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the wallet is closed");
        }
    }

    /** The UTF-8 bytes of {@code chars}, with no intermediate String; temporaries wiped. */
    static byte[] utf8(char[] chars) throws WalletException {
        CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buf;
        try {
            buf = enc.encode(CharBuffer.wrap(chars));
        } catch (CharacterCodingException e) {
            throw new WalletException("the mnemonic is not valid text");
        }
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        if (buf.hasArray()) {
            Secrets.wipe(buf.array());
        }
        return out;
    }

    /** The characters of UTF-8 {@code bytes}, with no intermediate String; temporaries wiped. */
    static char[] chars(byte[] utf8) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        CharBuffer buf;
        try {
            buf = dec.decode(ByteBuffer.wrap(utf8));
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e);
        }
        char[] out = new char[buf.remaining()];
        buf.get(out);
        if (buf.hasArray()) {
            Secrets.wipe(buf.array());
        }
        return out;
    }
}
