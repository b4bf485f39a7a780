package io.ssebroker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drops the TCP segments of one loopback connection in one direction, with an nftables table of its own (Linux, root,
 * Debian's {@code nftables} package): a client whose segments no longer arrive is a client that vanished without a
 * FIN or a reset, as a sleeping laptop or a switched network does. The table names this process and is deleted on
 * close, and only the one connection's segments match its rule.
 */
public final class PacketFilter implements AutoCloseable {
    private static final AtomicInteger TABLES = new AtomicInteger();
    private final String table;

    private PacketFilter(String table) {
        this.table = table;
    }

    /** Whether this machine lets the tests filter packets: {@code nft} runs and may make a table. */
    public static boolean available() {
        try {
            String probe = "sse_broker_probe_" + ProcessHandle.current().pid();
            return nft("add table inet " + probe).isEmpty() && nft("delete table inet " + probe).isEmpty();
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** From now on, segments from {@code fromPort} to {@code toPort} on this machine are dropped as they leave. */
    public static PacketFilter dropping(int fromPort, int toPort) {
        return drop("tcp sport " + fromPort + " tcp dport " + toPort);
    }

    /** From now on, every segment to {@code toPort} on this machine is dropped as it leaves, whatever its client. */
    public static PacketFilter droppingAllTo(int toPort) {
        return drop("tcp dport " + toPort);
    }

    private static PacketFilter drop(String match) {
        String table = "sse_broker_test_" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
        String failure = nft("add table inet " + table + "\n"
                + "add chain inet " + table + " out { type filter hook output priority 0; }\n"
                + "add rule inet " + table + " out " + match + " drop");
        if (!failure.isEmpty()) {
            nft("delete table inet " + table);
            throw new IllegalStateException("nft could not add the rule: " + failure);
        }
        return new PacketFilter(table);
    }

    @Override
    public void close() {
        nft("delete table inet " + table);
    }

    /** Runs {@code nft -f -} with these commands; returns what it printed on failure, empty on success. */
    private static String nft(String commands) {
        try {
            Process process = new ProcessBuilder(List.of("nft", "-f", "-")).redirectErrorStream(true).start();
            process.getOutputStream().write(commands.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "nft did not finish";
            }
            return process.exitValue() == 0 ? "" : output.isEmpty() ? "exit " + process.exitValue() : output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
