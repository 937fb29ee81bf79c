package org.veil.examples;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.veil.sdk.Balance;
import org.veil.sdk.InsufficientFundsException;
import org.veil.sdk.OfflineSigner;
import org.veil.sdk.Payment;
import org.veil.sdk.ProblemException;
import org.veil.sdk.Review;
import org.veil.sdk.Secrets;
import org.veil.sdk.SignedTransaction;
import org.veil.sdk.SpendRequest;
import org.veil.sdk.VeilClient;
import org.veil.sdk.VeilException;
import org.veil.sdk.ViewOnlyWallet;
import org.veil.sdk.Wallet;

/**
 * A bank's payment batch with cold signing, on Veil's Java SDK.
 *
 * <pre>
 * offline: keygen  --seed seed.bin --view view.key
 * online:  prepare --api URL --view view.key --state state.json --csv batch.csv --out request.json
 *                  [--asset CNY] [--fee 0.01] [--ring 16]
 * offline: sign    --seed seed.bin --request request.json --out signed.json [--yes]
 * online:  submit  --api URL --view view.key --state state.json --signed signed.json [--timeout-ms 60000]
 * online:  balance --api URL --view view.key --state state.json [--asset CNY]
 * online:  release --view view.key --state state.json --request request.json
 * </pre>
 *
 * <p>The CSV has one payment a line, {@code address,amount[,memo]} (amount in
 * the asset's units, e.g. {@code 1250.50}; the memo may contain commas;
 * blank lines, {@code #} comments and an {@code address,amount,…} header are
 * skipped). All payments go into one transaction.
 *
 * <p>Files: the seed (32 raw bytes) stays on the offline machine; the view
 * key and the wallet state stay on the online one. All are written
 * owner-only (0600). The state reveals the account's amounts and
 * counterparties: a real deployment encrypts it at rest (HSM/KMS), which
 * this example leaves out.
 */
public final class PaymentBatch {
    private PaymentBatch() {}

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out);
        } catch (Exception e) {
            System.err.println("error: " + e.getMessage());
            code = 1;
        }
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a sub-command; its exit code. */
    public static int run(String[] args, PrintStream out) throws Exception {
        if (args.length == 0) {
            usage();
            return 2;
        }
        Map<String, String> o = options(args);
        switch (args[0]) {
            case "keygen":
                return keygen(o, out);
            case "prepare":
                return prepare(o, out);
            case "sign":
                return sign(o, out);
            case "submit":
                return submit(o, out);
            case "balance":
                return balance(o, out);
            case "release":
                return release(o, out);
            default:
                usage();
                return 2;
        }
    }

    private static void usage() {
        System.err.println("usage: PaymentBatch keygen|prepare|sign|submit|balance|release [--option value …]"
                + " (see the class documentation or sdk/java/README.md)");
    }

    // ----- offline ---------------------------------------------------------

    private static int keygen(Map<String, String> o, PrintStream out) throws Exception {
        try (Wallet w = Wallet.generate(); ViewOnlyWallet v = w.viewOnly()) {
            byte[] seed = w.seed();
            byte[] key = v.viewKey();
            try {
                writeOwnerOnly(path(o, "seed"), seed);
                writeOwnerOnly(path(o, "view"), key);
            } finally {
                Secrets.wipe(seed);
                Secrets.wipe(key);
            }
            out.println(w.address());
        }
        return 0;
    }

    private static int sign(Map<String, String> o, PrintStream out) throws Exception {
        // No network here: the signer works from the request and the seed alone.
        byte[] seed = Files.readAllBytes(path(o, "seed"));
        SpendRequest request = SpendRequest.read(path(o, "request"));
        try (Wallet w = Wallet.fromSeed(seed); OfflineSigner signer = new OfflineSigner(w)) {
            Review review = signer.review(request);
            out.println("spend request for " + w.address() + ":");
            out.println(review);
            if (!o.containsKey("yes") && !confirm("sign these " + review.payments().size() + " payments? [y/N] ")) {
                out.println("not signed");
                return 1;
            }
            SignedTransaction signed = signer.sign(request);
            signed.write(path(o, "out"));
            out.println("signed transaction " + signed.hash() + " written to " + o.get("out"));
            signed.wipe();
            return 0;
        } finally {
            Secrets.wipe(seed);
            request.wipe();
        }
    }

    private static boolean confirm(String question) {
        Console c = System.console();
        if (c == null) {
            System.err.println("no terminal to confirm on: give --yes to sign without asking");
            return false;
        }
        String answer = c.readLine("%s", question);
        return answer != null && (answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"));
    }

    // ----- online ----------------------------------------------------------

    private static int prepare(Map<String, String> o, PrintStream out) throws Exception {
        VeilClient node = new VeilClient(required(o, "api"));
        String asset = o.containsKey("asset") ? o.get("asset") : "CNY";
        BigDecimal fee = new BigDecimal(o.containsKey("fee") ? o.get("fee") : "0");
        int ring = o.containsKey("ring") ? Integer.parseInt(o.get("ring")) : ViewOnlyWallet.DEFAULT_RING;
        List<Payment> payments = readCsv(path(o, "csv"));
        try (ViewOnlyWallet w = openView(o)) {
            w.sync(node);
            BigDecimal total = BigDecimal.ZERO;
            for (Payment p : payments) {
                total = total.add(p.amount());
            }
            SpendRequest request;
            try {
                request = w.prepare(node, asset, payments, fee, ring);
            } catch (InsufficientFundsException e) {
                out.println("cannot pay " + total.toPlainString() + " " + asset + " + fee: "
                        + w.balance(node, asset) + " (" + e.getMessage() + ")");
                return 1;
            }
            saveState(o, w);
            request.write(path(o, "out"));
            request.wipe();
            out.println(payments.size() + " payments, " + total.toPlainString() + " " + asset + " + fee "
                    + fee.toPlainString() + ": spend request written to " + o.get("out")
                    + " (inputs reserved until submitted or released)");
        }
        return 0;
    }

    private static int submit(Map<String, String> o, PrintStream out) throws Exception {
        VeilClient node = new VeilClient(required(o, "api"));
        long timeout = o.containsKey("timeout-ms") ? Long.parseLong(o.get("timeout-ms")) : 60000;
        SignedTransaction signed = SignedTransaction.read(path(o, "signed"));
        try (ViewOnlyWallet w = openView(o)) {
            String hash;
            try {
                hash = w.submit(node, signed);
            } catch (ProblemException e) {
                out.println("the node refused the transaction: " + e.getMessage() + " [" + e.code() + "]");
                return 1;
            }
            saveState(o, w);
            long height = node.waitForCommit(hash, timeout);
            w.sync(node);
            saveState(o, w);
            out.println("transaction " + hash + " committed at height " + height);
            return 0;
        } finally {
            signed.wipe();
        }
    }

    private static int balance(Map<String, String> o, PrintStream out) throws Exception {
        VeilClient node = new VeilClient(required(o, "api"));
        String asset = o.containsKey("asset") ? o.get("asset") : "CNY";
        try (ViewOnlyWallet w = openView(o)) {
            w.sync(node);
            saveState(o, w);
            Balance b = w.balance(node, asset);
            out.println(b.confirmed().toPlainString() + " " + asset + " confirmed, " + b.pending().toPlainString()
                    + " " + asset + " pending");
        }
        return 0;
    }

    private static int release(Map<String, String> o, PrintStream out) throws Exception {
        SpendRequest request = SpendRequest.read(path(o, "request"));
        try (ViewOnlyWallet w = openView(o)) {
            w.release(request);
            saveState(o, w);
            out.println("inputs of " + o.get("request") + " released: do not sign or submit that request");
        } finally {
            request.wipe();
        }
        return 0;
    }

    /** The view-only wallet of --view, with the state of --state if that file exists. */
    private static ViewOnlyWallet openView(Map<String, String> o) throws IOException, VeilException {
        byte[] key = Files.readAllBytes(path(o, "view"));
        Path statePath = path(o, "state");
        try {
            if (!Files.exists(statePath)) {
                return ViewOnlyWallet.fromViewKey(key);
            }
            byte[] state = Files.readAllBytes(statePath);
            try {
                return ViewOnlyWallet.restore(key, state);
            } finally {
                Secrets.wipe(state);
            }
        } finally {
            Secrets.wipe(key);
        }
    }

    private static void saveState(Map<String, String> o, ViewOnlyWallet w) throws IOException {
        byte[] state = w.state();
        try {
            // A real deployment encrypts the state before writing it.
            writeOwnerOnly(path(o, "state"), state);
        } finally {
            Secrets.wipe(state);
        }
    }

    /** The payments of a CSV file: address,amount[,memo]. */
    static List<Payment> readCsv(Path csv) throws IOException {
        List<Payment> payments = new ArrayList<Payment>();
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                String t = line.trim();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String[] f = t.split(",", 3);
                if (n == 1 && f[0].trim().equalsIgnoreCase("address")) {
                    continue;
                }
                if (f.length < 2) {
                    throw new IllegalArgumentException(csv + ":" + n + ": expected address,amount[,memo]");
                }
                BigDecimal amount;
                try {
                    amount = new BigDecimal(f[1].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(csv + ":" + n + ": not an amount: " + f[1].trim());
                }
                payments.add(new Payment(f[0].trim(), amount, f.length > 2 ? f[2].trim() : ""));
            }
        }
        if (payments.isEmpty()) {
            throw new IllegalArgumentException(csv + ": no payments");
        }
        return payments;
    }

    // ----- options and files -------------------------------------------------

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<String, String>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String name = args[i].substring(2);
            if (name.equals("yes")) {
                o.put(name, "");
            } else if (i + 1 < args.length) {
                o.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + name + " needs a value");
            }
        }
        return o;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    private static Path path(Map<String, String> o, String name) {
        return Paths.get(required(o, name));
    }

    /** Writes a file created owner-only (0600), through a temporary file renamed into place. */
    private static void writeOwnerOnly(Path path, byte[] data) throws IOException {
        Path abs = path.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, data);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
