package org.veil.sdk;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The offline signer refuses altered, foreign and malformed requests; the
 * online wallet reserves inputs and converts amounts. One real request,
 * prepared against a dev node.
 */
public class RequestTamperTest {
    private static DevNode node;
    private static Wallet wallet;
    private static byte[] viewKey;
    private static byte[] fundedState;
    private static String bankB;
    private static byte[] request;

    @BeforeClass
    public static void prepareRequest() throws Exception {
        node = DevNode.start();
        wallet = Wallet.generate();
        node.fund(wallet.address(), "500");
        bankB = node.walletAddress(node.bankB());
        try (ViewOnlyWallet online = wallet.viewOnly()) {
            online.sync(node.client);
            viewKey = online.viewKey();
            fundedState = online.state();
            SpendRequest r = online.prepare(node.client, "CNY", payment("120.50"), new BigDecimal("0.01"));
            request = r.toJson();
            r.wipe();
        }
    }

    @AfterClass
    public static void stop() throws Exception {
        if (wallet != null) {
            wallet.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private static List<Payment> payment(String amount) {
        return Collections.singletonList(new Payment(bankB, new BigDecimal(amount), "tamper test"));
    }

    private static String text() {
        return new String(request, StandardCharsets.UTF_8);
    }

    @Test
    public void theUntouchedRequestReviewsAndSigns() throws Exception {
        try (OfflineSigner signer = new OfflineSigner(wallet)) {
            Review r = signer.review(SpendRequest.fromJson(request));
            assertEquals("CNY", r.asset());
            assertEquals(2, r.decimals());
            assertEquals(1, r.payments().size());
            assertEquals(new Payment(bankB, new BigDecimal("120.5"), "tamper test"), r.payments().get(0));
            assertEquals(12050L, r.amountMinor(0));
            assertEquals(new BigDecimal("0.01"), r.fee());
            assertEquals(1L, r.feeMinor());
            assertEquals(new BigDecimal("379.49"), r.change());
            assertEquals(new BigDecimal("500.00"), r.inputsTotal());
            assertEquals(1, r.inputs());
            assertEquals(ViewOnlyWallet.DEFAULT_RING, r.ring());
            assertEquals(64, r.digest().length());
            String shown = r.toString();
            assertTrue(shown, shown.contains("pay 120.50 CNY to " + bankB + " memo \"tamper test\""));
            assertTrue(shown, shown.contains("fee 0.01 CNY"));
            assertTrue(shown, shown.contains("change 379.49 CNY"));

            SignedTransaction s = signer.sign(SpendRequest.fromJson(request));
            assertEquals(64, s.hash().length());
            assertTrue(s.transactionBytes().length > 100);
            // The JSON round trip keeps the transaction.
            SignedTransaction copy = SignedTransaction.fromJson(s.toJson());
            assertEquals(s.hash(), copy.hash());
        }
    }

    @Test
    public void anAmountChangedByOneByteIsRefused() throws Exception {
        Matcher m = Pattern.compile("(\"amount\"\\s*:\\s*1205)0").matcher(text());
        assertTrue("no amount 12050 in the request:\n" + text(), m.find());
        String altered = text().substring(0, m.end() - 1) + "1" + text().substring(m.end());
        byte[] bytes = altered.getBytes(StandardCharsets.UTF_8);
        assertEquals(request.length, bytes.length);
        int differing = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != request[i]) {
                differing++;
            }
        }
        assertEquals(1, differing);
        assertRefused(wallet, bytes);
    }

    @Test
    public void anAlteredDigestIsRefused() throws Exception {
        Matcher m = Pattern.compile("\"digest\"\\s*:\\s*\"([0-9a-f])").matcher(text());
        assertTrue(m.find());
        char c = m.group(1).charAt(0) == '0' ? '1' : '0';
        String altered = text().substring(0, m.end() - 1) + c + text().substring(m.end());
        assertRefused(wallet, altered.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    public void anotherWalletsRequestIsRefused() throws Exception {
        try (Wallet other = Wallet.generate()) {
            assertRefused(other, request);
        }
    }

    @Test
    public void garbageIsRefused() throws Exception {
        byte[] random = new byte[600];
        new SecureRandom().nextBytes(random);
        assertRefused(wallet, random);
        assertRefused(wallet, new byte[0]);
        assertRefused(wallet, "{}".getBytes(StandardCharsets.UTF_8));
        assertRefused(wallet, "not a request".getBytes(StandardCharsets.UTF_8));
        // Another format: a signed transfer is not a spend request.
        try (OfflineSigner signer = new OfflineSigner(wallet)) {
            byte[] signed = signer.sign(SpendRequest.fromJson(request)).toJson();
            assertRefused(wallet, signed);
        }
    }

    @Test
    public void anAlteredSignedTransferIsRefused() throws Exception {
        byte[] signed;
        try (OfflineSigner signer = new OfflineSigner(wallet)) {
            signed = signer.sign(SpendRequest.fromJson(request)).toJson();
        }
        String t = new String(signed, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"hash\"\\s*:\\s*\"([0-9a-f])").matcher(t);
        assertTrue(t, m.find());
        char c = m.group(1).charAt(0) == '0' ? '1' : '0';
        String altered = t.substring(0, m.end() - 1) + c + t.substring(m.end());
        try {
            SignedTransaction.fromJson(altered.getBytes(StandardCharsets.UTF_8));
            fail("an altered signed transfer was accepted");
        } catch (InvalidRequestException expected) {
            // refused
        }
        try {
            SignedTransaction.fromJson("garbage".getBytes(StandardCharsets.UTF_8));
            fail("garbage was accepted as a signed transfer");
        } catch (InvalidRequestException expected) {
            // refused
        }
    }

    @Test
    public void anotherAccountsSignedTransferIsNotImported() throws Exception {
        SignedTransaction signed;
        try (OfflineSigner signer = new OfflineSigner(wallet)) {
            signed = signer.sign(SpendRequest.fromJson(request));
        }
        try (Wallet other = Wallet.generate(); ViewOnlyWallet otherOnline = other.viewOnly()) {
            otherOnline.sync(node.client);
            try {
                otherOnline.importSigned(signed);
                fail("a signed transfer spending none of this account's outputs was imported: "
                        + otherOnline.balance(node.client, "CNY") + ", history " + otherOnline.history());
            } catch (InvalidRequestException expected) {
                // refused
            }
            assertEquals(0L, otherOnline.balance(node.client, "CNY").pendingMinor());
            assertTrue(otherOnline.history().isEmpty());
        }
    }

    @Test
    public void preparedInputsAreReservedUntilReleased() throws Exception {
        try (ViewOnlyWallet online = ViewOnlyWallet.restore(viewKey, fundedState)) {
            SpendRequest first = online.prepare(node.client, "CNY", payment("10"), BigDecimal.ZERO);
            try {
                online.prepare(node.client, "CNY", payment("10"), BigDecimal.ZERO);
                fail("the reserved input was spent twice");
            } catch (InsufficientFundsException expected) {
                // the one input is reserved by the first request
            }
            online.release(first);
            SpendRequest second = online.prepare(node.client, "CNY", payment("10"), BigDecimal.ZERO);
            assertNotEquals(new String(first.toJson(), StandardCharsets.UTF_8),
                    new String(second.toJson(), StandardCharsets.UTF_8));
        }
    }

    @Test
    public void amountsAreCheckedBeforeAnythingIsReserved() throws Exception {
        try (ViewOnlyWallet online = ViewOnlyWallet.restore(viewKey, fundedState)) {
            try {
                online.prepare(node.client, "CNY", payment("1.001"), BigDecimal.ZERO);
                fail("three decimals accepted for CNY");
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("3 digits after the point"));
            }
            try {
                online.prepare(node.client, "CNY", payment("1"), new BigDecimal("0.001"));
                fail("a fee of three decimals accepted for CNY");
            } catch (IllegalArgumentException expected) {
                // refused
            }
            try {
                online.prepare(node.client, "CNY", payment("600"), BigDecimal.ZERO);
                fail("600 CNY prepared from 500");
            } catch (InsufficientFundsException expected) {
                // refused
            }
            // Nothing was reserved by the refusals.
            online.prepare(node.client, "CNY", payment("499.99"), new BigDecimal("0.01"));
        }
    }

    @Test
    public void anUnknownAssetIsRefused() throws Exception {
        try {
            node.client.decimals("XYZ");
            fail("an unknown asset has decimals");
        } catch (VeilException e) {
            // The client looks the asset up in the node's status: no problem+json.
            assertTrue(e.getMessage(), e.getMessage().contains("XYZ"));
        }
    }

    private static void assertRefused(Wallet signerWallet, byte[] bytes) throws Exception {
        try (OfflineSigner signer = new OfflineSigner(signerWallet)) {
            try {
                signer.review(SpendRequest.fromJson(bytes));
                fail("review accepted an invalid request");
            } catch (InvalidRequestException expected) {
                // refused
            }
            try {
                signer.sign(SpendRequest.fromJson(bytes));
                fail("sign accepted an invalid request");
            } catch (InvalidRequestException expected) {
                // refused
            }
        }
    }
}
