package io.ssebroker.engine;

import java.util.Set;

/**
 * A message to publish: to the listed uids and devices, or to everyone when both are empty. With an
 * {@code idempotencyKey} (null when none), a publication repeated within the idempotency window answers the first
 * one's result and delivers nothing more.
 */
public record Publication(String event, String data, Set<String> uids, Set<String> devices, String idempotencyKey) {

    public Publication(String event, String data, Set<String> uids, Set<String> devices) {
        this(event, data, uids, devices, null);
    }

    public boolean isBroadcast() {
        return uids.isEmpty() && devices.isEmpty();
    }
}
