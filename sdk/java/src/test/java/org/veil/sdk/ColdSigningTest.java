package org.veil.sdk;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The cold-signing flow against a real dev node, the signer in a separate
 * JVM without network.
 */
public class ColdSigningTest {
    private static DevNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = DevNode.start();
    }

    @AfterClass
    public static void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void coldSigningEndToEnd() throws Exception {
        VeilClient client = node.client;
        NodeStatus status = client.status();
        assertNotNull(status.chainId());
        assertEquals(2, client.decimals("CNY"));

        Path work = Files.createTempDirectory("veil-cold");
        try (Wallet wallet = Wallet.generate(); ViewOnlyWallet online = wallet.viewOnly()) {
            node.fund(wallet.address(), "500");
            assertEquals(wallet.address(), online.address());

            online.sync(client);
            Balance funded = online.balance(client, "CNY");
            assertEquals(new BigDecimal("500.00"), funded.confirmed());
            assertEquals(50000L, funded.confirmedMinor());

            String bankB = node.walletAddress(node.bankB());
            BigDecimal bankBBefore = node.walletBalance(node.bankB(), "CNY");

            SpendRequest request = online.prepare(client, "CNY",
                    Collections.singletonList(new Payment(bankB, new BigDecimal("120.50"), "invoice 42")),
                    new BigDecimal("0.01"));
            Path requestFile = work.resolve("request.json");
            request.write(requestFile);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(requestFile)));

            // The seed for the offline JVM, owner-only.
            Path seedFile = work.resolve("seed.bin");
            byte[] seed = wallet.seed();
            try {
                OwnerOnlyFiles.write(seedFile, seed);
            } finally {
                Secrets.wipe(seed);
            }
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(seedFile)));

            Path signedFile = work.resolve("signed.json");
            String out = signOffline(seedFile, requestFile, signedFile, false);
            assertTrue(out, out.contains("network: refused"));
            assertTrue(out, out.contains("pay 120.50 CNY to " + bankB + " memo \"invoice 42\""));
            assertTrue(out, out.contains("fee 0.01 CNY"));
            assertTrue(out, out.contains("change 379.49 CNY"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(signedFile)));

            // The fallback isolation (a SecurityManager refusing sockets) works too;
            // this second signature is not submitted.
            if (securityManagerAvailable()) {
                String fallback = signOffline(seedFile, requestFile, work.resolve("signed-sm.json"), true);
                assertTrue(fallback, fallback.contains("sockets denied by a SecurityManager"));
                assertTrue(fallback, fallback.contains("network: refused"));
            }

            SignedTransaction signed = SignedTransaction.read(signedFile);
            String hash = online.submit(client, signed);
            assertEquals(signed.hash(), hash);
            long height = client.waitForCommit(hash, 60000);
            assertTrue(height > 0);

            online.sync(client);
            Balance after = online.balance(client, "CNY");
            assertEquals(new BigDecimal("379.49"), after.confirmed());
            assertEquals(0L, after.pendingMinor());

            HistoryEntry outEntry = null;
            for (HistoryEntry e : online.history()) {
                if (e.tx().equals(hash)) {
                    outEntry = e;
                }
            }
            assertNotNull("no history entry for " + hash + " in " + online.history(), outEntry);
            assertEquals("out", outEntry.direction());
            assertEquals(height, outEntry.height());
            assertEquals(12050L, outEntry.amountMinor());
            assertEquals(new BigDecimal("120.50"), outEntry.amount(2));
            assertEquals(1L, outEntry.feeMinor());
            assertEquals("CNY", outEntry.asset());

            BigDecimal bankBAfter = node.walletBalance(node.bankB(), "CNY");
            assertEquals(new BigDecimal("120.50"), bankBAfter.subtract(bankBBefore));

            // The state survives a round trip through the caller's storage.
            byte[] key = online.viewKey();
            byte[] state = online.state();
            try (ViewOnlyWallet restored = ViewOnlyWallet.restore(key, state)) {
                assertEquals(new BigDecimal("379.49"), restored.balance(client, "CNY").confirmed());
            } finally {
                Secrets.wipe(key);
                Secrets.wipe(state);
            }

            // The same transaction again.
            try {
                client.submitSigned(signed);
                fail("a resubmitted transaction was accepted");
            } catch (DuplicateTransactionException e) {
                assertEquals("duplicate", e.code());
                assertTrue(e.getMessage(), e.getMessage().contains("(" + e.status() + "): "));
            }

            // The same request signed again: another transaction spending the same inputs.
            try (OfflineSigner signer = new OfflineSigner(wallet)) {
                SignedTransaction again = signer.sign(SpendRequest.read(requestFile));
                assertTrue(!again.hash().equals(hash));
                try {
                    client.submitSigned(again);
                    fail("a double spend was accepted");
                } catch (DoubleSpendException e) {
                    assertEquals("double-spend", e.code());
                    assertTrue(e.type().endsWith(":double-spend"));
                }
            }
        } finally {
            DevNode.deleteTree(work);
        }
    }

    /**
     * Runs OfflineSignMain in a JVM without network, {@code unshare -n} if
     * it works here (and not {@code forceSecurityManager}), else with a
     * SecurityManager refusing sockets; its output. Requires exit 0.
     */
    private static String signOffline(Path seed, Path request, Path out, boolean forceSecurityManager)
            throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<String>();
        boolean unshare = !forceSecurityManager && canUnshare();
        if (!unshare && !securityManagerAvailable()) {
            fail("cannot isolate the offline signer: `unshare -n true` fails here and this JDK ("
                    + System.getProperty("java.version") + ") has no SecurityManager");
        }
        if (unshare) {
            cmd.add("unshare");
            cmd.add("-n");
        }
        cmd.add(java);
        if (!unshare && !System.getProperty("java.specification.version").startsWith("1.")) {
            cmd.add("-Djava.security.manager=allow");
        }
        String nativePath = System.getProperty(NativeLoader.PATH_PROPERTY);
        if (nativePath != null) {
            cmd.add("-D" + NativeLoader.PATH_PROPERTY + "=" + nativePath);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(OfflineSignMain.class.getName());
        cmd.add(seed.toString());
        cmd.add(request.toString());
        cmd.add(out.toString());
        cmd.add(Integer.toString(node.port));
        if (!unshare) {
            cmd.add("--deny-sockets");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().close();
        String output = DevNode.readAll(p.getInputStream());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the offline signer timed out: " + output);
        }
        assertEquals("offline signer (" + (unshare ? "unshare -n" : "SecurityManager") + ") failed:\n" + output, 0,
                p.exitValue());
        System.out.println("offline signer (" + (unshare ? "unshare -n" : "SecurityManager") + "):\n" + output);
        return output;
    }

    /** JDK 24 and later refuse to install a SecurityManager (JEP 486). */
    private static boolean securityManagerAvailable() {
        String v = System.getProperty("java.specification.version");
        if (v.startsWith("1.")) {
            return true;
        }
        return Integer.parseInt(v.split("\\.")[0]) < 24;
    }

    private static boolean canUnshare() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "true").redirectErrorStream(true).start();
            p.getOutputStream().close();
            DevNode.readAll(p.getInputStream());
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
