package org.veil.sdk;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.veil.examples.PaymentBatch;

/** The PaymentBatch example end to end against a dev node: keygen, prepare, sign, submit. */
public class PaymentBatchTest {
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

    private static String run(String... args) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int code = PaymentBatch.run(args, new PrintStream(b, true, "UTF-8"));
        String out = new String(b.toByteArray(), StandardCharsets.UTF_8);
        assertEquals("PaymentBatch " + String.join(" ", args) + ":\n" + out, 0, code);
        return out;
    }

    @Test
    public void aBatchOfThreePayments() throws Exception {
        Path dir = Files.createTempDirectory("veil-batch");
        try {
            String seed = dir.resolve("seed.bin").toString();
            String view = dir.resolve("view.key").toString();
            String state = dir.resolve("state.json").toString();
            String address = run("keygen", "--seed", seed, "--view", view).trim();
            node.fund(address, "1000");

            String bankB = node.walletAddress(node.bankB());
            String bankA = node.walletAddress(node.bankA());
            Path csv = dir.resolve("batch.csv");
            Files.write(csv, ("address,amount,memo\n" + bankB + ",100.25,salary, March\n" + bankA + ",50\n\n# done\n"
                    + bankB + ",0.75,fees\n").getBytes(StandardCharsets.UTF_8));
            BigDecimal bBefore = node.walletBalance(node.bankB(), "CNY");

            String request = dir.resolve("request.json").toString();
            String prepared = run("prepare", "--api", node.url, "--view", view, "--state", state, "--csv",
                    csv.toString(), "--fee", "0.02", "--out", request);
            assertTrue(prepared, prepared.contains("3 payments, 151.00 CNY"));

            String signed = dir.resolve("signed.json").toString();
            String review = run("sign", "--seed", seed, "--request", request, "--out", signed, "--yes");
            assertTrue(review, review.contains("pay 100.25 CNY to " + bankB + " memo \"salary, March\""));
            assertTrue(review, review.contains("pay 50.00 CNY to " + bankA));
            assertTrue(review, review.contains("change 848.98 CNY"));

            String submitted = run("submit", "--api", node.url, "--view", view, "--state", state, "--signed", signed);
            assertTrue(submitted, submitted.contains("committed at height"));
            assertEquals("848.98 CNY confirmed, 0.00 CNY pending",
                    run("balance", "--api", node.url, "--view", view, "--state", state).trim());
            assertEquals(new BigDecimal("101.00"), node.walletBalance(node.bankB(), "CNY").subtract(bBefore));
        } finally {
            DevNode.deleteTree(dir);
        }
    }
}
