package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * On Linux the listener accepts a connection once its first bytes have arrived: connections that say nothing are
 * held by the kernel and take no file descriptor of the node, and one that speaks is served at once.
 */
@EnabledOnOs(OS.LINUX)
class DeferredAcceptTest {
    /** The state column's value for a listening socket in {@code /proc/net/tcp}. */
    private static final String LISTENING = "0A";

    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("http.epoll", "true"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void silentConnectionsWaitInTheKernelAndASpeakingOneIsServed() throws InterruptedException {
        List<RawConnection> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                silent.add(new RawConnection(node.port()));
            }
            Thread.sleep(200); // long enough for an accept, well inside the second the kernel holds them
            assertThat(socketsAcceptedByTheNode()).isZero();
            try (RawConnection speaking = new RawConnection(node.port())) {
                speaking.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").read(Duration.ofMillis(300));
                assertThat(speaking.status()).isEqualTo(200);
                // the count sees an accepted connection: the one kept alive after its answer
                assertThat(socketsAcceptedByTheNode()).isEqualTo(1);
            }
        } finally {
            silent.forEach(RawConnection::close);
        }
    }

    /**
     * The node runs in this process, so a socket it accepted is a file descriptor of this process, not listening, whose
     * local port is the node's. Counting those alone (rather than all open files) is blind to what other threads open
     * and close.
     */
    private static long socketsAcceptedByTheNode() {
        Set<String> inodes = socketInodesOfThisProcess();
        String port = String.format(":%04X", node.port());
        return Stream.of("/proc/self/net/tcp", "/proc/self/net/tcp6")
                .flatMap(DeferredAcceptTest::lines)
                .map(line -> line.trim().split("\\s+"))
                .filter(fields -> fields.length > 9 && fields[1].endsWith(port) && !fields[3].equals(LISTENING))
                .filter(fields -> inodes.contains(fields[9]))
                .count();
    }

    private static Set<String> socketInodesOfThisProcess() {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // a descriptor another thread closed while listing: not one of the node's
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return inodes;
    }

    private static Stream<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().skip(1); // the first line names the columns
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
