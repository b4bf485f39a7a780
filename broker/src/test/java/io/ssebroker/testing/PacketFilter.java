package io.ssebroker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drops the TCP segments of loopback connections in one direction, with an nftables table of its own (Linux, root,
 * Debian's {@code nftables} package): a client whose segments no longer arrive is a client that vanished without a
 * FIN or a reset, as a sleeping laptop or a switched network does. The table names this process and is deleted on
 * close; a table left by a test process that died is deleted by the next one that looks.
 */
public final class PacketFilter implements AutoCloseable {
    private static final String PREFIX = "sse_broker_test_";
    private static final Pattern TABLE = Pattern.compile("table inet (" + PREFIX + "(\\d+)_\\d+)");
    private static final AtomicInteger TABLES = new AtomicInteger();
    private final String table;

    private PacketFilter(String table) {
        this.table = table;
    }

    /**
     * Whether this machine lets the tests filter packets: {@code nft} runs and may add a table, a chain on the output
     * hook and a rule. Deletes the tables of test processes that are gone.
     */
    public static boolean available() {
        try {
            deleteTablesOfGoneProcesses();
            dropping(0, 0).close(); // a rule no segment matches
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
        String table = PREFIX + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
        String failure = nft("add table inet " + table + "\n"
                + "add chain inet " + table + " out { type filter hook output priority 0; }\n"
                + "add rule inet " + table + " out oifname \"lo\" " + match + " " + verdict);
        if (!failure.isEmpty()) {
            nft("delete table inet " + table);
            throw new IllegalStateException("nft could not add the rule: " + failure);
        }
        return new PacketFilter(table);
    }

    @Override
    public void close() {
        String failure = nft("delete table inet " + table);
        if (!failure.isEmpty()) {
            throw new IllegalStateException("nft could not delete table " + table + ": " + failure);
        }
    }

    private static void deleteTablesOfGoneProcesses() {
        Matcher tables = TABLE.matcher(run(List.of("nft", "list", "tables")).printed());
        while (tables.find()) {
            if (ProcessHandle.of(Long.parseLong(tables.group(2))).isEmpty()) {
                nft("delete table inet " + tables.group(1));
            }
        }
    }

    /** Runs {@code nft -f FILE} with these commands; returns what it printed on failure, empty on success. */
    private static String nft(String commands) {
        try {
            Path file = Files.createTempFile("nft", ".conf");
            try {
                Files.writeString(file, commands + "\n");
                Run run = run(List.of("nft", "-f", file.toString()));
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
