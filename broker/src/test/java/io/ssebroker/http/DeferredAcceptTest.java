package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.TestNode;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        // The node runs in this process: the sockets it accepts would be file descriptors of this process too.
        int before = openFiles();
        List<RawConnection> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                silent.add(new RawConnection(node.port()));
            }
            Thread.sleep(200); // long enough for an accept, well inside the second the kernel holds them
            // the 20 client sockets and none accepted for them (40 if they had been), give or take a file or two
            // that another thread of this process opened meanwhile
            assertThat(openFiles() - before).isBetween(20, 30);
            try (RawConnection speaking = new RawConnection(node.port())) {
                speaking.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read(Duration.ofMillis(300));
                assertThat(speaking.status()).isEqualTo(200);
            }
        } finally {
            silent.forEach(RawConnection::close);
        }
    }

    private static int openFiles() {
        String[] files = new File("/proc/self/fd").list();
        return files == null ? 0 : files.length;
    }
}
