package org.veil.sdk;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Locale;

/**
 * Times cold signing through the SDK ({@link OfflineSigner#sign}, one JNI
 * call per signature, arrays copied in and out) against the same signatures
 * timed inside the native core ({@code NativeCore.signNanos}: read the
 * request, sign, write the JSON, no JNI crossing per signature), and prints
 * <pre>{"n":…,"java_ms_per_sign":…,"native_ms_per_sign":…,"jni_overhead":…}</pre>
 * where {@code jni_overhead} is {@code java / native - 1}. Each side runs
 * three rounds of {@code n} after a warm-up; the best round counts.
 *
 * <p>Usage: {@code SignBench [REQUEST_FILE SEED_FILE [N]]} (the seed file is
 * 32 raw bytes or 64 hex digits). Without files it starts a dev node
 * ({@code -Dveil.repo}), funds a fresh wallet and prepares a request to
 * sign. It lives in {@code org.veil.sdk} to reach the package-private
 * native timer. {@code sdk/java/build.sh bench [REQUEST SEED [N]]} runs it.
 */
public final class SignBench {
    private SignBench() {}

    public static void main(String[] args) throws Exception {
        int n = 20;
        byte[] seed;
        SpendRequest request;
        DevNode node = null;
        try {
            if (args.length >= 2) {
                request = SpendRequest.read(Paths.get(args[0]));
                seed = readSeed(Paths.get(args[1]));
                if (args.length >= 3) {
                    n = Integer.parseInt(args[2]);
                }
            } else {
                if (args.length == 1) {
                    n = Integer.parseInt(args[0]);
                }
                System.err.println("no request given: starting a dev node to prepare one");
                node = DevNode.start();
                try (Wallet w = Wallet.generate(); ViewOnlyWallet online = w.viewOnly()) {
                    node.fund(w.address(), "500");
                    online.sync(node.client);
                    String to = node.walletAddress(node.bankB());
                    request = online.prepare(node.client, "CNY",
                            Collections.singletonList(new Payment(to, new BigDecimal("1.00"), "bench")),
                            new BigDecimal("0.01"));
                    seed = w.seed();
                }
            }
            run(seed, request, n);
        } finally {
            if (node != null) {
                node.close();
            }
        }
    }

    static void run(byte[] seed, SpendRequest request, int n) throws Exception {
        try (Wallet w = Wallet.fromSeed(seed); OfflineSigner signer = new OfflineSigner(w)) {
            Secrets.wipe(seed);
            // Warm-up: JIT, caches, page faults.
            for (int i = 0; i < 3; i++) {
                signer.sign(request).wipe();
            }
            signer.signNanos(request, 3);

            long bestJava = Long.MAX_VALUE;
            long bestNative = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    signer.sign(request).wipe();
                }
                bestJava = Math.min(bestJava, System.nanoTime() - t0);
                bestNative = Math.min(bestNative, signer.signNanos(request, n));
            }
            double javaMs = bestJava / 1e6 / n;
            double nativeMs = bestNative / 1e6 / n;
            System.out.println(String.format(Locale.ROOT,
                    "{\"n\":%d,\"java_ms_per_sign\":%.4f,\"native_ms_per_sign\":%.4f,\"jni_overhead\":%.4f}", n,
                    javaMs, nativeMs, javaMs / nativeMs - 1));
        }
    }

    /** A seed file: 32 raw bytes, or 64 hex digits (whitespace around them ignored). */
    static byte[] readSeed(Path file) throws Exception {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length == 32) {
            return raw;
        }
        String hex = new String(raw, StandardCharsets.US_ASCII).trim();
        Secrets.wipe(raw);
        if (hex.length() != 64) {
            throw new IllegalArgumentException(file + ": a seed file holds 32 bytes or 64 hex digits");
        }
        return Hex.decode(hex);
    }
}
