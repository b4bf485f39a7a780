package io.ssebroker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drops the TCP segments of loopback connections in one direction, with an nftables table of its own (Linux, root,
 * Debian's {@code nftables} package): a client whose segments no longer arrive is a client that vanished without a
 * FIN or a reset, as a sleeping laptop or a switched network does. The table names this process and is deleted on
 * close, or when the process exits without closing it; only a process killed outright leaves its table (one rule on
 * one loopback port).
 */
public final class PacketFilter implements AutoCloseable {
    /** Debian puts nft in /usr/sbin, which a minimal PATH may lack. */
    private static final String NFT = Files.isExecutable(Path.of("/usr/sbin/nft")) ? "/usr/sbin/nft" : "nft";
    private static final AtomicInteger TABLES = new AtomicInteger();
    /** The tables of this process not yet deleted, for its exit. */
    private static final Set<String> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(table -> nft("delete table inet " + table))));
    }

    private final String table;

    private PacketFilter(String table) {
        this.table = table;
    }

    /**
     * Whether this machine lets the tests filter packets: {@code nft} runs and may add a table, a chain on the output
     * hook and the rules this class makes (drop, reject).
     */
    public static boolean available() {
        try {
            dropping(0, 0).close(); // rules no segment matches
            rejectingAsUnreachable(0, 0).close();
            return true;
        } catch (UncheckedIOException | IllegalStateException e) {
            return false;
        }
    }

    /** From now on, segments from {@code fromPort} to {@code toPort} over loopback are dropped as they leave. */
    public static PacketFilter dropping(int fromPort, int toPort) {
        return drop("tcp sport " + fromPort + " tcp dport " + toPort);
    }

    /** From now on, every segment to {@code toPort} over loopback is dropped as it leaves, whatever its client. */
    public static PacketFilter droppingAllTo(int toPort) {
        return drop("tcp dport " + toPort);
    }

    /**
     * From now on, segments from {@code fromPort} to {@code toPort} over loopback are refused as they leave, the sender
     * told that the host is unreachable (ICMP), as a router says of a client that left its network.
     */
    public static PacketFilter rejectingAsUnreachable(int fromPort, int toPort) {
        return filter("tcp sport " + fromPort + " tcp dport " + toPort, "reject with icmp type host-unreachable");
    }

    private static PacketFilter drop(String match) {
        return filter(match, "drop");
    }

    private static PacketFilter filter(String match, String verdict) {
        String table = "sse_broker_test_" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
        String failure = nft("add table inet " + table + "\n"
                + "add chain inet " + table + " out { type filter hook output priority 0; }\n"
                + "add rule inet " + table + " out oifname \"lo\" " + match + " " + verdict);
        if (!failure.isEmpty()) {
            nft("delete table inet " + table);
            throw new IllegalStateException("nft could not add the rule: " + failure);
        }
        OPEN.add(table);
        return new PacketFilter(table);
    }

    @Override
    public void close() {
        String failure = nft("delete table inet " + table);
        if (!failure.isEmpty()) {
            throw new IllegalStateException("nft could not delete table " + table + ": " + failure);
        }
        OPEN.remove(table);
    }

    /** Runs {@code nft -f FILE} with these commands; returns what it printed on failure, empty on success. */
    private static String nft(String commands) {
        try {
            Path file = Files.createTempFile("nft", ".conf");
            try {
                Files.writeString(file, commands + "\n");
                Run run = run(List.of(NFT, "-f", file.toString()));
                return run.exit() == 0 ? "" : run.printed().isEmpty() ? "exit " + run.exit() : run.printed();
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Run(int exit, String printed) {
    }

    /** Runs a command whose output goes to a file, so that the wait for it can be bounded. */
    private static Run run(List<String> command) {
        try {
            Path output = Files.createTempFile("nft", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in 10 s");
                }
                return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8).trim());
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
