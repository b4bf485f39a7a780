package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A steady stream of numbered sends (about 100 a second, or one every given pause) through one node, or through
 * several in turn, while a fault happens, and the check that matters: every acknowledged message reached the client
 * once and in order, a {@code sys_reset} being the only excuse for a gap.
 */
final class SteadySends implements AutoCloseable {
    private final List<Api> apis;
    private final Map<String, String> target;
    private final long pauseMillis;
    private final List<Integer> acknowledged = new CopyOnWriteArrayList<>();
    private final List<Integer> refused = new CopyOnWriteArrayList<>();
    private final Thread sender;
    private volatile boolean stop;

    /** @param target the send's targets (uid=…, or nothing for a broadcast) */
    SteadySends(Api api, Map<String, String> target) {
        this(List.of(api), target, 10);
    }

    /** Sends through each node of {@code apis} in turn, pausing {@code pauseMillis} after each answer. */
    SteadySends(List<Api> apis, Map<String, String> target, long pauseMillis) {
        this.apis = apis;
        this.target = target;
        this.pauseMillis = pauseMillis;
        this.sender = new Thread(this::run, "steady-sends");
        sender.start();
    }

    private void run() {
        for (int seq = 1; !stop; seq++) {
            Map<String, String> params = new LinkedHashMap<>(target);
            params.put("data", Integer.toString(seq));
            try {
                Api.Answer answer = apis.get(seq % apis.size()).postForm("/send", params);
                (answer.status() == 200 ? acknowledged : refused).add(seq);
            } catch (RuntimeException e) {
                refused.add(seq);
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    int acknowledgedCount() {
        return acknowledged.size();
    }

    /** The numbers of the sends answered with success so far, in the order sent. */
    List<Integer> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** Stops sending and waits for the sender. */
    void stop() throws InterruptedException {
        stop = true;
        sender.join();
    }

    /**
     * Reads the client's stream until the last acknowledged message and checks that every acknowledged one came,
     * once, in order. Returns the resets seen (a reset is allowed only where the fault really lost history).
     */
    List<String> verifyDelivered(SseClient client, boolean resetAllowed) {
        assertThat(acknowledged).as("acknowledged sends").isNotEmpty();
        int last = acknowledged.get(acknowledged.size() - 1);
        List<Integer> received = new ArrayList<>();
        List<String> resets = new ArrayList<>();
        int highest = 0;
        while (highest < last) {
            Event event = client.next(Duration.ofSeconds(20));
            assertThat(event).as("message after %s (acknowledged up to %s, refused %s)", highest, last, refused.size()).isNotNull();
            if (event.event() != null && event.event().equals("sys_reset")) {
                resets.add(event.data());
                continue;
            }
            if (event.event() != null && event.event().startsWith("sys_")) {
                continue;
            }
            int seq = Integer.parseInt(event.data());
            received.add(seq);
            highest = Math.max(highest, seq);
        }
        assertThat(received).as("no message twice").doesNotHaveDuplicates();
        assertThat(received).as("in order").isSorted();
        if (resetAllowed && !resets.isEmpty()) {
            return resets;
        }
        assertThat(resets).as("no reset where Redis lost nothing").isEmpty();
        assertThat(received).as("every acknowledged message").containsAll(acknowledged);
        return resets;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
