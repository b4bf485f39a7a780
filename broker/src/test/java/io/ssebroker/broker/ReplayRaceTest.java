package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sends race with reconnects: a client that drops its connection again and again and comes back with its last id
 * still sees every message exactly once and in order, on its user stream and on the broadcast stream.
 */
class ReplayRaceTest {
    private static final int MESSAGES = 3000;
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("sse.device_frame_cache_size", String.valueOf(MESSAGES * 2)));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void everyMessageArrivesExactlyOnceInOrderAcrossReconnects() throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        try {
            Future<?> userSends = senders.submit(() -> sendSequence(go, Map.of("uid", "u-race"), "u"));
            Future<?> broadcastSends = senders.submit(() -> sendSequence(go, Map.of(), "b"));
            List<Integer> user = new ArrayList<>();
            List<Integer> broadcast = new ArrayList<>();
            String cursor;
            try (SseClient first = node.connect("u-race", "d-race")) {
                cursor = first.nextOfType("sys_connected").id();
            }
            int reconnects = 0;
            go.countDown();
            while (user.size() < MESSAGES || broadcast.size() < MESSAGES) {
                try (SseClient client = node.connect("u-race", "d-race", cursor)) {
                    reconnects++;
                    assertThat(client.status()).isEqualTo(200);
                    int readThisTime = 0;
                    int budget = 1 + reconnects % 200;
                    while (readThisTime < budget && (user.size() < MESSAGES || broadcast.size() < MESSAGES)) {
                        Event event;
                        try {
                            event = client.next(Duration.ofSeconds(10));
                        } catch (AssertionError e) {
                            throw new AssertionError(e.getMessage() + "; user " + missing(user) + ", broadcast " + missing(broadcast));
                        }
                        assertThat(event).as("after %d user and %d broadcast messages, %d reconnects, cursor %s",
                                user.size(), broadcast.size(), reconnects, cursor).isNotNull();
                        cursor = event.id();
                        if (event.event().startsWith("sys_")) {
                            assertThat(event.event()).isEqualTo("sys_connected");
                            continue;
                        }
                        String[] parts = event.data().split(":");
                        (parts[0].equals("u") ? user : broadcast).add(Integer.parseInt(parts[1]));
                        readThisTime++;
                    }
                }
            }
            userSends.get();
            broadcastSends.get();
            assertThat(reconnects).isGreaterThan(20);
            assertThat(user).hasSize(MESSAGES).isSorted().doesNotHaveDuplicates();
            assertThat(broadcast).hasSize(MESSAGES).isSorted().doesNotHaveDuplicates();
            assertThat(user.get(MESSAGES - 1)).isEqualTo(MESSAGES);
        } finally {
            senders.shutdownNow();
        }
    }

    private static String missing(List<Integer> seen) {
        List<Integer> missing = new ArrayList<>();
        for (int i = 1; i <= MESSAGES && missing.size() < 10; i++) {
            if (!seen.contains(i)) {
                missing.add(i);
            }
        }
        return seen.size() + " seen, first missing " + missing;
    }

    private static Void sendSequence(CountDownLatch go, Map<String, String> target, String stream) throws InterruptedException {
        go.await();
        Api api = node.api();
        for (int i = 1; i <= MESSAGES; i++) {
            Map<String, String> params = new java.util.HashMap<>(target);
            params.put("data", stream + ":" + i);
            api.send(params);
        }
        return null;
    }
}
