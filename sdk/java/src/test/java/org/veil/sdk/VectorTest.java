package org.veil.sdk;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.BeforeClass;
import org.junit.Test;

/**
 * {@link Transfers#verify} against the repository's transfer test vector
 * ({@code tests/vectors/transfer-v1.json}); no node.
 */
public class VectorTest {
    private static String json;
    private static byte[] tx;
    private static String txHash;
    private static List<List<RingMember>> rings;

    @BeforeClass
    public static void readVector() throws Exception {
        json = new String(Files.readAllBytes(DevNode.repo().resolve("tests/vectors/transfer-v1.json")),
                StandardCharsets.UTF_8);
        tx = Hex.decode(field("tx_hex"));
        txHash = field("tx_hash");
        rings = rings();
    }

    static String field(String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue("no " + name + " in the vector", m.find());
        return m.group(1);
    }

    /** The rings section: an array of arrays of {"commitment", "key"}, in order. */
    static List<List<RingMember>> rings() {
        int start = json.indexOf("\"rings\"");
        assertTrue(start >= 0);
        int open = json.indexOf('[', start);
        int depth = 0;
        int end = -1;
        for (int i = open; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']' && --depth == 0) {
                end = i;
                break;
            }
        }
        String section = json.substring(open + 1, end);
        List<List<RingMember>> out = new ArrayList<List<RingMember>>();
        Matcher ring = Pattern.compile("\\[([^\\[\\]]*)\\]").matcher(section);
        Pattern object = Pattern.compile("\\{([^{}]*)\\}");
        Pattern key = Pattern.compile("\"key\"\\s*:\\s*\"([0-9a-f]{64})\"");
        Pattern commitment = Pattern.compile("\"commitment\"\\s*:\\s*\"([0-9a-f]{64})\"");
        while (ring.find()) {
            List<RingMember> members = new ArrayList<RingMember>();
            Matcher o = object.matcher(ring.group(1));
            while (o.find()) {
                Matcher k = key.matcher(o.group(1));
                Matcher c = commitment.matcher(o.group(1));
                assertTrue(o.group(1), k.find() && c.find());
                members.add(new RingMember(Hex.decode(k.group(1)), Hex.decode(c.group(1))));
            }
            out.add(members);
        }
        return out;
    }

    @Test
    public void theVectorVerifies() throws Exception {
        assertEquals(2, rings.size());
        assertEquals(16, rings.get(0).size());
        assertEquals(16, rings.get(1).size());
        assertEquals(txHash, Transfers.verify(tx, rings));
    }

    @Test
    public void aFlippedByteIsRefused() throws Exception {
        byte[] altered = tx.clone();
        altered[altered.length / 2] ^= 0x01;
        try {
            Transfers.verify(altered, rings);
            fail("an altered transaction verified");
        } catch (InvalidTransactionException expected) {
            // refused
        }
    }

    @Test
    public void aWrongRingMemberIsRefused() throws Exception {
        List<List<RingMember>> altered = new ArrayList<List<RingMember>>();
        for (List<RingMember> r : rings) {
            altered.add(new ArrayList<RingMember>(r));
        }
        // A valid point pair, but a member of the other ring that is not in
        // this one (the vector's rings share members).
        RingMember foreign = null;
        for (RingMember m : rings.get(1)) {
            if (!rings.get(0).contains(m)) {
                foreign = m;
                break;
            }
        }
        assertTrue("ring 1 has no member outside ring 0", foreign != null);
        altered.get(0).set(3, foreign);
        try {
            Transfers.verify(tx, altered);
            fail("a transaction verified against a wrong ring");
        } catch (InvalidTransactionException expected) {
            // refused
        }
    }

    @Test
    public void ringsMustMatchTheInputs() throws Exception {
        try {
            Transfers.verify(tx, rings.subList(0, 1));
            fail("one ring accepted for two inputs");
        } catch (InvalidTransactionException expected) {
            // refused
        }
        try {
            new RingMember(new byte[31], new byte[32]);
            fail("a 31-byte key accepted");
        } catch (IllegalArgumentException expected) {
            // refused
        }
    }

    @Test
    public void garbageIsNotATransaction() throws Exception {
        try {
            Transfers.verify(new byte[] {1, 2, 3}, rings);
            fail("garbage verified");
        } catch (InvalidTransactionException expected) {
            // refused
        }
    }
}
