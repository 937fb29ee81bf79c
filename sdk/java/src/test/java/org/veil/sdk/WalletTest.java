package org.veil.sdk;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

/** Wallets, mnemonics, secrets handling, amounts and the platform check; no node. */
public class WalletTest {

    @Test
    public void mnemonicRoundTrip() throws Exception {
        try (Wallet w = Wallet.generate()) {
            char[] words = w.mnemonic();
            try {
                assertEquals(24, new String(words).split(" ").length);
                try (Wallet back = Wallet.fromMnemonic(words)) {
                    assertEquals(w.address(), back.address());
                    assertArrayEquals(w.seed(), back.seed());
                }
            } finally {
                Secrets.wipe(words);
            }
            for (char c : words) {
                assertEquals('\0', c);
            }
        }
    }

    @Test
    public void theVectorSeedsGiveTheVectorAddresses() throws Exception {
        String json = new String(Files.readAllBytes(DevNode.repo().resolve("tests/vectors/transfer-v1.json")),
                StandardCharsets.UTF_8);
        for (String who : new String[] {"alice", "bob"}) {
            byte[] seed = Hex.decode(field(json, who + "_seed"));
            try (Wallet w = Wallet.fromSeed(seed); ViewOnlyWallet v = w.viewOnly()) {
                assertEquals(field(json, who + "_address"), w.address());
                assertEquals(w.address(), v.address());
                byte[] key = v.viewKey();
                assertEquals(64, key.length);
                try (ViewOnlyWallet again = ViewOnlyWallet.fromViewKey(key)) {
                    assertEquals(w.address(), again.address());
                }
            }
        }
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find());
        return m.group(1);
    }

    @Test
    public void invalidMnemonicsAreRefused() throws Exception {
        char[] words;
        try (Wallet w = Wallet.generate()) {
            words = w.mnemonic();
        }
        String[] list = new String(words).split(" ");
        // Another last word: the checksum fails (or, rarely, still holds: try several).
        int refused = 0;
        for (String last : new String[] {"abandon", "zoo", "legal", "winner"}) {
            if (last.equals(list[23])) {
                continue;
            }
            list[23] = last;
            try {
                Wallet.fromMnemonic(String.join(" ", list).toCharArray()).close();
            } catch (WalletException e) {
                refused++;
            }
        }
        assertTrue("no altered mnemonic was refused", refused > 0);
        expectWalletException("not words at all");
        expectWalletException("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                + "abandon about"); // valid BIP-39, but 12 words
        expectWalletException("");
    }

    private static void expectWalletException(String mnemonic) {
        try {
            Wallet.fromMnemonic(mnemonic.toCharArray()).close();
            fail("accepted: " + mnemonic);
        } catch (WalletException expected) {
            // refused
        }
    }

    @Test
    public void seedsOfTheWrongLengthAreRefused() {
        try {
            Wallet.fromSeed(new byte[31]);
            fail("a 31-byte seed accepted");
        } catch (WalletException expected) {
            // refused
        }
        try {
            ViewOnlyWallet.fromViewKey(new byte[63]);
            fail("a 63-byte view key accepted");
        } catch (WalletException expected) {
            // refused
        }
        try {
            ViewOnlyWallet.fromViewKey(new byte[64]);
            fail("a zero view key accepted");
        } catch (WalletException expected) {
            // refused
        }
    }

    @Test
    public void toStringRevealsNoSecret() throws Exception {
        try (Wallet w = Wallet.generate(); ViewOnlyWallet v = w.viewOnly()) {
            String seedHex = Hex.encode(w.seed());
            String text = w.toString();
            assertTrue(text, text.contains(w.address()));
            assertFalse(text, text.contains(seedHex));
            assertFalse(text, text.contains(seedHex.substring(0, 16)));
            String viewHex = Hex.encode(v.viewKey());
            assertFalse(v.toString().contains(viewHex.substring(0, 16)));
            assertFalse(v.toString().contains(viewHex.substring(64, 80)));
            char[] words = w.mnemonic();
            assertFalse(text.contains(new String(words).split(" ")[0] + " "));
            Secrets.wipe(words);
        }
    }

    @Test
    public void closeWipesTheSeed() throws Exception {
        Wallet w = Wallet.generate();
        ViewOnlyWallet v = w.viewOnly();
        Field seedField = Wallet.class.getDeclaredField("seed");
        seedField.setAccessible(true);
        byte[] inside = (byte[]) seedField.get(w);
        assertFalse(allZero(inside));
        OfflineSigner signer = new OfflineSigner(w);
        w.close();
        assertTrue(allZero(inside));
        assertTrue(w.isClosed());
        assertEquals("Wallet[closed]", w.toString());
        try {
            w.seed();
            fail("seed() after close");
        } catch (IllegalStateException expected) {
            // closed
        }
        try {
            w.mnemonic();
            fail("mnemonic() after close");
        } catch (IllegalStateException expected) {
            // closed
        }
        try {
            signer.review(SpendRequest.fromJson(new byte[] {'{', '}'}));
            fail("a signer of a closed wallet worked");
        } catch (IllegalStateException expected) {
            // closed
        }
        w.close(); // idempotent

        Field keyField = ViewOnlyWallet.class.getDeclaredField("viewKey");
        keyField.setAccessible(true);
        byte[] key = (byte[]) keyField.get(v);
        v.close();
        assertTrue(allZero(key));
        try {
            v.state();
            fail("state() after close");
        } catch (IllegalStateException expected) {
            // closed
        }
    }

    @Test
    public void fromSeedCopies() throws Exception {
        byte[] seed = new byte[32];
        seed[0] = 7;
        try (Wallet w = Wallet.fromSeed(seed)) {
            String address = w.address();
            Secrets.wipe(seed);
            assertEquals(7, w.seed()[0]);
            assertEquals(address, w.address());
        }
    }

    @Test
    public void amounts() {
        assertEquals(125050L, Amounts.toMinor(new BigDecimal("1250.50"), 2));
        assertEquals(125050L, Amounts.toMinor(new BigDecimal("1250.5000"), 2));
        assertEquals(100L, Amounts.toMinor(new BigDecimal("1E+2"), 0));
        assertEquals(new BigDecimal("1250.50"), Amounts.toDecimal(125050, 2));
        assertEquals("0.01", Amounts.toDecimal(1, 2).toPlainString());
        for (String bad : new String[] {"1.001", "-1", "1E+30"}) {
            try {
                Amounts.toMinor(new BigDecimal(bad), 2);
                fail("accepted " + bad);
            } catch (IllegalArgumentException expected) {
                // refused
            }
        }
        assertEquals(new Payment("veil1x", new BigDecimal("1.5")), new Payment("veil1x", new BigDecimal("1.50"), null));
        assertEquals(new Payment("veil1x", new BigDecimal("1.5")).hashCode(),
                new Payment("veil1x", new BigDecimal("1.50")).hashCode());
    }

    @Test
    public void otherPlatformsAreNamedInTheError() {
        NativeLoader.checkPlatform("Linux", "amd64");
        NativeLoader.checkPlatform("Linux", "x86_64");
        String[][] others = {{"Mac OS X", "aarch64"}, {"Windows 11", "amd64"}, {"Linux", "aarch64"}};
        for (String[] p : others) {
            try {
                NativeLoader.checkPlatform(p[0], p[1]);
                fail("accepted " + p[0] + " " + p[1]);
            } catch (UnsupportedPlatformException e) {
                assertTrue(e.getMessage(), e.getMessage().contains(p[0] + " " + p[1]));
                assertTrue(e.getMessage(), e.getMessage().contains("linux-x86_64"));
            }
        }
    }

    @Test
    public void anotherPlatformGetsUnsupportedPlatformException() throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        ProcessBuilder pb = new ProcessBuilder(java, "-Dos.name=Mac OS X", "-Dos.arch=aarch64", "-cp",
                System.getProperty("java.class.path"), PlatformProbe.class.getName());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = DevNode.readAll(p.getInputStream());
        assertEquals(out, 0, p.waitFor());
        assertTrue(out, out.startsWith(UnsupportedPlatformException.class.getName() + ": "));
        assertTrue(out, out.contains("Mac OS X aarch64"));
        assertTrue(out, out.contains("linux-x86_64"));
    }

    @Test
    public void theLibraryIsLoaded() {
        NativeLoader.load();
        assertTrue(NativeLoader.isLoaded());
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
