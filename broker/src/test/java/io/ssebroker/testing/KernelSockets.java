package io.ssebroker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's own table of this machine's TCP sockets (Linux's {@code /proc/net/tcp} and {@code tcp6}): whether a
 * server has closed its end of a connection, whatever the client has learnt of it. A client that reads nothing learns
 * of an orderly close only once it has read what was sent before it, and one whose own segments wait out a
 * retransmission back-off learns of a reset only when it sends again: a test of a close that the client cannot see
 * looks here.
 */
public final class KernelSockets {
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    private static final String ESTABLISHED = "01";
    private static final String CLOSE_WAIT = "08";

    private KernelSockets() {
    }

    /** Whether this machine has the tables (Linux). */
    public static boolean available() {
        return TABLES.stream().anyMatch(Files::isReadable);
    }

    /**
     * True while the socket whose local port is {@code serverPort} and whose peer's port is {@code clientPort} is
     * open on the server's side: established, or told of the client's end but not closed itself. False when there is
     * no such socket, and while the kernel holds the connection unaccepted ({@code SYN_RECV}, as a node on Linux does
     * until the first bytes arrive): a test first sees it open, then awaits the close.
     */
    public static boolean serverEndOpen(int serverPort, int clientPort) {
        String local = String.format(":%04X", serverPort);
        String remote = String.format(":%04X", clientPort);
        for (Path table : TABLES) {
            if (!Files.isReadable(table)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(table)) {
                    // sl local_address rem_address st ...: addresses are hex address:port
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length > 3 && fields[1].endsWith(local) && fields[2].endsWith(remote)
                            && (fields[3].equals(ESTABLISHED) || fields[3].equals(CLOSE_WAIT))) {
                        return true;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return false;
    }
}
