package io.ssebroker.client;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One message for {@code /send}: to users (all their devices), to devices, or, with neither, to everyone.
 * {@code idempotencyKey} makes a repeat (a retry after a timeout, on any node) deliver nothing more; messages
 * with one are retried by the client when the broker is unavailable.
 */
public record Message(Set<String> uids, Set<String> devices, String event, String data, String idempotencyKey) {

    public Message {
        uids = Set.copyOf(uids);
        devices = Set.copyOf(devices);
        Objects.requireNonNull(data, "data");
    }

    public static Builder toUsers(String... uids) {
        return new Builder().users(List.of(uids));
    }

    public static Builder toDevices(String... devices) {
        return new Builder().devices(List.of(devices));
    }

    /** A message to every device online. */
    public static Builder broadcast() {
        return new Builder();
    }

    public boolean isBroadcast() {
        return uids.isEmpty() && devices.isEmpty();
    }

    public static final class Builder {
        private final Set<String> uids = new LinkedHashSet<>();
        private final Set<String> devices = new LinkedHashSet<>();
        private String event;
        private String idempotencyKey;

        private Builder() {
        }

        public Builder users(Iterable<String> more) {
            more.forEach(uids::add);
            return this;
        }

        public Builder devices(Iterable<String> more) {
            more.forEach(devices::add);
            return this;
        }

        /** The SSE event name ({@code event:}); without one the message arrives as a plain message. */
        public Builder event(String name) {
            this.event = name;
            return this;
        }

        public Builder idempotencyKey(String key) {
            this.idempotencyKey = key;
            return this;
        }

        public Message data(String data) {
            return new Message(uids, devices, event, data, idempotencyKey);
        }
    }
}
