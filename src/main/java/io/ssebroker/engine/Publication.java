package io.ssebroker.engine;

import java.util.Set;

/** A message to publish: to the listed uids and devices, or to everyone when both are empty. */
public record Publication(String event, String data, Set<String> uids, Set<String> devices) {

    public boolean isBroadcast() {
        return uids.isEmpty() && devices.isEmpty();
    }
}
