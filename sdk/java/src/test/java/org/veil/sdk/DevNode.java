package org.veil.sdk;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real single-node dev network for the tests: {@code veil node --dev} in a
 * temporary data directory on a free port, and the {@code veil} CLI to fund
 * accounts from its bank wallets (passphrase {@code dev}).
 */
final class DevNode implements AutoCloseable {
    final Path repo;
    final Path veil;
    final Path dataDir;
    final int port;
    final String url;
    final VeilClient client;
    private final Process process;
    private final Path log;

    private DevNode(Path repo, Path veil, Path dataDir, int port, Process process, Path log) throws Exception {
        this.repo = repo;
        this.veil = veil;
        this.dataDir = dataDir;
        this.port = port;
        this.url = "http://127.0.0.1:" + port;
        this.process = process;
        this.log = log;
        this.client = new VeilClient(url);
    }

    /** The repository root: system property {@code veil.repo}, else two levels above the working directory's sdk/java. */
    static Path repo() {
        String r = System.getProperty("veil.repo");
        if (r != null && !r.isEmpty()) {
            return Paths.get(r).toAbsolutePath();
        }
        Path cwd = Paths.get("").toAbsolutePath();
        if (cwd.endsWith(Paths.get("sdk", "java"))) {
            return cwd.getParent().getParent();
        }
        return cwd;
    }

    static Path veilBinary() {
        Path v = repo().resolve("target/release/veil");
        if (!Files.isExecutable(v)) {
            throw new IllegalStateException(v + " is missing: run cargo build --release");
        }
        return v;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** Starts a node and waits (60 s at most) until it answers. */
    static DevNode start() throws Exception {
        Path repo = repo();
        Path veil = veilBinary();
        Path dir = Files.createTempDirectory("veil-sdk-node");
        int port = freePort();
        Path log = dir.resolve("node.log");
        ProcessBuilder pb = new ProcessBuilder(veil.toString(), "node", "--dev", "--data-dir", dir.toString(),
                "--api", "http://127.0.0.1:" + port);
        pb.environment().put("VEIL_PASSPHRASE", "dev");
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        DevNode node = new DevNode(repo, veil, dir, port, p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        VeilException last = null;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the dev node exited with " + p.exitValue() + ":\n" + node.log());
            }
            try {
                node.client.status();
                if (Files.exists(node.bankA()) && Files.exists(node.bankB())) {
                    return node;
                }
            } catch (VeilException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        node.close();
        throw new IllegalStateException("the dev node did not answer within 60 s (" + last + "):\n" + node.log());
    }

    Path bankA() {
        return dataDir.resolve("dev/bank-a.wallet");
    }

    Path bankB() {
        return dataDir.resolve("dev/bank-b.wallet");
    }

    String log() {
        try {
            return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Runs {@code veil --api URL --json ARGS} (passphrase dev); its stdout; fails on a non-zero exit. */
    String cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<String>();
        cmd.add(veil.toString());
        cmd.add("--api");
        cmd.add(url);
        cmd.add("--json");
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("VEIL_PASSPHRASE", "dev");
        File err = File.createTempFile("veil-cli", ".err");
        err.deleteOnExit();
        pb.redirectError(err);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = readAll(p.getInputStream());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("veil " + cmd + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("veil " + cmd + " exited with " + p.exitValue() + ": " + out
                    + new String(Files.readAllBytes(err.toPath()), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The address of a CLI wallet file. */
    String walletAddress(Path wallet) throws Exception {
        return jsonString(cli("wallet", "--wallet", wallet.toString(), "address"), "address");
    }

    /** The confirmed balance of a CLI wallet file (it scans first). */
    BigDecimal walletBalance(Path wallet, String asset) throws Exception {
        return new BigDecimal(jsonString(cli("wallet", "--wallet", wallet.toString(), "balance", "--asset", asset),
                "confirmed"));
    }

    /** Pays {@code amount} CNY from bank-a to {@code to} and waits for the commit (the CLI does). */
    String fund(String to, String amount) throws Exception {
        return jsonString(cli("wallet", "--wallet", bankA().toString(), "transfer", "--to", to, "--amount", amount,
                "-y"), "tx");
    }

    static String jsonString(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no \"" + field + "\" in " + json);
        }
        return m.group(1);
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            b.write(buf, 0, n);
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }

    /** Stops the node (SIGTERM, then SIGKILL after 10 s) and deletes its data. */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        deleteTree(dataDir);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> all = new ArrayList<Path>();
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        Collections.reverse(all);
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
