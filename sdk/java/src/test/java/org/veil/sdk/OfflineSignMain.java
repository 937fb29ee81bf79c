package org.veil.sdk;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketPermission;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Permission;

/**
 * The offline signer of {@link ColdSigningTest}, run in its own JVM with no
 * network: {@code OfflineSignMain SEED_FILE REQUEST_FILE OUT_FILE PORT [--deny-sockets]}.
 *
 * <p>First it tries to connect to the node's port and requires that to
 * fail (prints {@code network: refused}; exits 3 if the connection
 * succeeded), then reviews and signs the request with the seed and writes
 * the signed transfer (0600). With {@code --deny-sockets} (when
 * {@code unshare -n} is unavailable) it first installs a SecurityManager
 * refusing every socket connect and resolve.
 */
public final class OfflineSignMain {
    private OfflineSignMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: OfflineSignMain SEED_FILE REQUEST_FILE OUT_FILE PORT [--deny-sockets]");
            System.exit(2);
        }
        if (args.length > 4 && args[4].equals("--deny-sockets")) {
            denySockets();
        }
        int port = Integer.parseInt(args[3]);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            System.out.println("network: open (connected to 127.0.0.1:" + port + ")");
            System.exit(3);
        } catch (IOException | SecurityException e) {
            System.out.println("network: refused (" + e + ")");
        }
        byte[] seed = Files.readAllBytes(Paths.get(args[0]));
        try (Wallet w = Wallet.fromSeed(seed); OfflineSigner signer = new OfflineSigner(w)) {
            SpendRequest req = SpendRequest.read(Paths.get(args[1]));
            Review review = signer.review(req);
            System.out.println("review:\n" + review);
            SignedTransaction signed = signer.sign(req);
            signed.write(Paths.get(args[2]));
            System.out.println("signed " + signed.hash());
            req.wipe();
            signed.wipe();
        } finally {
            Secrets.wipe(seed);
        }
    }

    @SuppressWarnings({"removal", "deprecation"})
    private static void denySockets() {
        System.setSecurityManager(new SecurityManager() {
            @Override
            public void checkPermission(Permission p) {
                if (p instanceof SocketPermission) {
                    String a = p.getActions();
                    if (a.contains("connect") || a.contains("resolve")) {
                        throw new SecurityException("no network for the offline signer: " + p);
                    }
                }
            }

            @Override
            public void checkPermission(Permission p, Object context) {
                checkPermission(p);
            }
        });
        System.out.println("sockets denied by a SecurityManager");
    }
}
