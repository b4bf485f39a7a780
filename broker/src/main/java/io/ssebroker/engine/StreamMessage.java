package io.ssebroker.engine;

import java.util.Set;

/**
 * A message as retained in a stream: the user stream of {@code uid}, or the broadcast stream when uid is null.
 * {@code devices} narrows a user-stream message to some of the user's devices; empty means all of them.
 */
public record StreamMessage(String uid, long offset, String event, String data, Set<String> devices, long publishedAtMillis) {

    public boolean isBroadcast() {
        return uid == null;
    }

    public boolean addressedTo(String device) {
        return devices.isEmpty() || devices.contains(device);
    }
}
