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
import java.util.Set;
import java.util.TreeSet;
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
            Integer seq = nextMessage(client, resets, "message after " + highest);
            if (seq != null) {
                received.add(seq);
                highest = Math.max(highest, seq);
            }
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

    /**
     * After a fault that lost only messages never acknowledged, which the client may have received (a
     * {@code history_lost} reset then says so, and the messages the new master has follow it, possibly older than
     * ones received): reads the client's stream until every acknowledged message came, none of them twice.
     */
    void verifyEveryAcknowledgedDelivered(SseClient client) {
        assertThat(acknowledged).as("acknowledged sends").isNotEmpty();
        Set<Integer> missing = new TreeSet<>(acknowledged);
        List<Integer> received = new ArrayList<>();
        List<String> resets = new ArrayList<>();
        while (!missing.isEmpty()) {
            Integer seq = nextMessage(client, resets, "acknowledged " + missing + " after " + received);
            if (seq != null) {
                received.add(seq);
                missing.remove(seq);
            }
        }
        assertThat(received.stream().filter(acknowledged::contains).toList()).as("no acknowledged message twice")
                .doesNotHaveDuplicates();
        assertThat(resets).as("resets").allMatch("history_lost"::equals);
    }

    /**
     * Checks that Redis has every acknowledged message: {@code xrange} is the stream's entries as {@code redis-cli
     * XRANGE} prints them (an entry's id, then its fields and values, a line each), the message in field {@code d}; the
     * stream must keep every message sent ({@code sse.device_frame_cache_size}). A client may have received a message
     * that Redis lost since, so what it received does not show this.
     */
    void verifyEveryAcknowledgedStored(String xrange) {
        List<Integer> stored = new ArrayList<>();
        String[] lines = xrange.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().matches("\\d+-\\d+")) {
                continue; // an entry's id: its fields and values follow
            }
            if (lines[i].trim().equals("d") && i + 1 < lines.length) {
                stored.add(Integer.parseInt(lines[i + 1].trim()));
            }
            i++; // the field's value
        }
        assertThat(stored).as("every acknowledged message stored").containsAll(acknowledged);
    }

    /** The number of the client's next message; null for a system event (a reset is added to {@code resets}). */
    private Integer nextMessage(SseClient client, List<String> resets, String awaited) {
        Event event = client.next(Duration.ofSeconds(20));
        assertThat(event).as("%s (acknowledged %s, refused %s)", awaited, acknowledged.size(), refused.size()).isNotNull();
        if ("sys_reset".equals(event.event())) {
            resets.add(event.data());
            return null;
        }
        if (event.event() != null && event.event().startsWith("sys_")) {
            return null;
        }
        return Integer.parseInt(event.data());
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
