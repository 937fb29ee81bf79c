package org.veil.sdk;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Loads the SDK's native library ({@code libveil_jni.so}, Veil's Rust core
 * behind JNI) into the JVM, once.
 *
 * <p>Where it comes from, in order:
 * <ol>
 * <li>the system property {@value #PATH_PROPERTY}, if set: the absolute path
 * of a {@code libveil_jni.so} (e.g. {@code target/release/libveil_jni.so}
 * of a Rust build). The platform is not checked: the library is the
 * caller's choice;</li>
 * <li>otherwise the resource {@value #RESOURCE} of the SDK jar, copied to a
 * temporary file (owner-only, deleted when the JVM exits) and loaded from
 * there. That library is built for {@code linux-x86_64} alone: on another
 * platform loading throws {@link UnsupportedPlatformException}.</li>
 * </ol>
 *
 * <p>The SDK calls {@link #load()} itself before its first native call;
 * calling it early (at application start) reports an unsupported platform
 * or a missing library before anything else runs. It is thread-safe and
 * loads at most once; a failure is thrown again by every later call.
 */
public final class NativeLoader {
    /** The system property naming a native library to load instead of the jar's. */
    public static final String PATH_PROPERTY = "veil.native.path";

    /** The one platform the bundled native library is built for. */
    public static final String SUPPORTED_PLATFORM = "linux-x86_64";

    /** The classpath resource of the bundled native library. */
    public static final String RESOURCE = "/org/veil/sdk/native/linux-x86_64/libveil_jni.so";

    private static final Object LOCK = new Object();
    private static volatile boolean loaded;
    private static RuntimeException failure;
    private static Error failureError;

    private NativeLoader() {}

    /**
     * Loads the native library unless it is loaded already.
     *
     * @throws UnsupportedPlatformException this is not linux-x86_64 and
     *     {@value #PATH_PROPERTY} is not set
     * @throws UnsatisfiedLinkError the library is missing from the jar, or
     *     the file cannot be loaded
     */
    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (LOCK) {
            if (loaded) {
                return;
            }
            if (failure != null) {
                throw failure;
            }
            if (failureError != null) {
                throw failureError;
            }
            try {
                loadNow();
                loaded = true;
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            } catch (Error e) {
                failureError = e;
                throw e;
            }
        }
    }

    /**
     * Whether the native library is loaded.
     *
     * @return true once {@link #load()} succeeded
     */
    public static boolean isLoaded() {
        return loaded;
    }

    private static void loadNow() {
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.trim().isEmpty()) {
            File f = new File(explicit.trim());
            if (!f.isAbsolute()) {
                throw new UnsatisfiedLinkError(PATH_PROPERTY + " must be an absolute path, not " + explicit);
            }
            if (!f.isFile()) {
                throw new UnsatisfiedLinkError(PATH_PROPERTY + " names " + f + ", which is not a file");
            }
            System.load(f.getAbsolutePath());
            return;
        }
        checkPlatform(System.getProperty("os.name"), System.getProperty("os.arch"));
        Path tmp = extract();
        System.load(tmp.toAbsolutePath().toString());
    }

    /**
     * Checks that an operating system and architecture (as the system
     * properties {@code os.name} and {@code os.arch} name them) are the
     * platform the bundled library is built for.
     *
     * @param osName the operating system, e.g. {@code Linux}
     * @param osArch the architecture, e.g. {@code amd64}
     * @throws UnsupportedPlatformException another platform
     */
    static void checkPlatform(String osName, String osArch) {
        String os = osName == null ? "" : osName.trim().toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.trim().toLowerCase(Locale.ROOT);
        boolean linux = os.equals("linux");
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        if (!linux || !x64) {
            throw new UnsupportedPlatformException("Veil's Java SDK has no native library for "
                    + osName + " " + osArch + ": the bundled library supports "
                    + SUPPORTED_PLATFORM + " only (Linux on amd64/x86_64). Run on "
                    + SUPPORTED_PLATFORM + ", or build crates/jni for this platform and set -D"
                    + PATH_PROPERTY + "=/absolute/path/to/the/library.");
        }
    }

    private static Path extract() {
        InputStream in = NativeLoader.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new UnsatisfiedLinkError("the SDK has no native library at " + RESOURCE
                    + " on the classpath: build it (cargo build --release -p veil-jni, then"
                    + " sdk/java/build.sh jar) or set -D" + PATH_PROPERTY + "=/path/to/libveil_jni.so");
        }
        try {
            // createTempFile makes the file owner-only (rw-------) on POSIX systems.
            Path tmp = Files.createTempFile("libveil_jni", ".so");
            tmp.toFile().deleteOnExit();
            try (InputStream src = in; OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = src.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
            }
            return tmp;
        } catch (IOException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError(
                    "could not copy the SDK's native library to a temporary file: " + e);
            err.initCause(e);
            throw err;
        }
    }
}
