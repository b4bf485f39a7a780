package io.ssebroker.client;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One message for {@code /send}: to users (all their devices), to devices, or, only through {@link #broadcast()},
 * to everyone. Made through the builders only, so that an empty list of targets is an error, never a broadcast.
 * {@code idempotencyKey} makes a repeat (a retry after a timeout, on any node) deliver nothing more; messages with
 * one are retried by the client when the broker is unavailable. Targets keep the order they were given in.
 */
public final class Message {
    private final Set<String> uids;
    private final Set<String> devices;
    private final String event;
    private final String data;
    private final String idempotencyKey;

    private Message(Set<String> uids, Set<String> devices, String event, String data, String idempotencyKey) {
        this.uids = Collections.unmodifiableSet(new LinkedHashSet<>(uids));
        this.devices = Collections.unmodifiableSet(new LinkedHashSet<>(devices));
        this.event = event;
        this.data = Objects.requireNonNull(data, "data");
        this.idempotencyKey = idempotencyKey;
        if (data.isEmpty()) {
            throw new IllegalArgumentException("data must not be empty");
        }
    }

    public static Builder toUsers(String... uids) {
        return toUsers(List.of(uids));
    }

    public static Builder toUsers(Collection<String> uids) {
        return new Builder(false).users(uids);
    }

    public static Builder toDevices(String... devices) {
        return toDevices(List.of(devices));
    }

    public static Builder toDevices(Collection<String> devices) {
        return new Builder(false).devices(devices);
    }

    /** A message to every device online. */
    public static Builder broadcast() {
        return new Builder(true);
    }

    /** The users it goes to (all their devices); empty for a broadcast or a message to devices only. */
    public Set<String> uids() {
        return uids;
    }

    /** The devices it goes to; empty for a broadcast or a message to users only. */
    public Set<String> devices() {
        return devices;
    }

    /** The SSE event name, or null for a plain message. */
    public String event() {
        return event;
    }

    public String data() {
        return data;
    }

    /** The key that makes a repeat deliver nothing more, or null. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    public boolean isBroadcast() {
        return uids.isEmpty() && devices.isEmpty();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Message that && uids.equals(that.uids) && devices.equals(that.devices)
                && Objects.equals(event, that.event) && data.equals(that.data)
                && Objects.equals(idempotencyKey, that.idempotencyKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(uids, devices, event, data, idempotencyKey);
    }

    @Override
    public String toString() {
        // the data may be private: its length only
        return "Message[" + (isBroadcast() ? "broadcast" : "uids=" + uids + ", devices=" + devices)
                + (event == null ? "" : ", event=" + event) + ", data=" + data.length() + " chars"
                + (idempotencyKey == null ? "" : ", idempotencyKey=" + idempotencyKey) + "]";
    }

    public static final class Builder {
        private final boolean broadcast;
        private final Set<String> uids = new LinkedHashSet<>();
        private final Set<String> devices = new LinkedHashSet<>();
        private String event;
        private String idempotencyKey;

        private Builder(boolean broadcast) {
            this.broadcast = broadcast;
        }

        public Builder users(Collection<String> more) {
            return add(uids, more, "uid");
        }

        public Builder devices(Collection<String> more) {
            return add(devices, more, "device");
        }

        private Builder add(Set<String> targets, Collection<String> more, String what) {
            if (broadcast) {
                throw new IllegalStateException("a broadcast names no " + what + "s");
            }
            for (String target : more) {
                targets.add(Objects.requireNonNull(target, what));
            }
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
            if (!broadcast && uids.isEmpty() && devices.isEmpty()) {
                throw new IllegalArgumentException("no uid and no device: name targets, or use Message.broadcast()");
            }
            return new Message(uids, devices, event, data, idempotencyKey);
        }
    }
}
