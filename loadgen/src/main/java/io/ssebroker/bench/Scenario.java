package io.ssebroker.bench;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What a run measures. */
enum Scenario {
    /** Every message to every connection: deliveries/s and latency. */
    BROADCAST("broadcast"),
    /** Every message to one random user: deliveries/s and latency. */
    UNICAST("unicast"),
    /** Connections held with no messages (heartbeats only): server memory per connection. */
    IDLE("idle"),
    /** As many connections as fast as possible (each with a token to verify where the system has them). */
    CONNECT("connect");

    final String label;

    Scenario(String label) {
        this.label = label;
    }

    static Scenario fromLabel(String label) {
        return Arrays.stream(values()).filter(s -> s.label.equals(label)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown scenario '" + label + "' (one of " + labels() + ")"));
    }

    static String labels() {
        return Arrays.stream(values()).map(s -> s.label).collect(Collectors.joining(", "));
    }
}
