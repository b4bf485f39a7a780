package io.ssebroker.engine.redis;

import io.ssebroker.engine.StreamMessage;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A message as published on a stream's channel by publish.lua: its id, the id of the entry before it in the
 * stream (to notice a missed one), event, devices, time and data, newline-separated with the data last.
 */
record ChannelMessage(String id, String previousId, StreamMessage message) {

    static ChannelMessage parse(String uid, String payload) {
        String[] parts = payload.split("\n", 6);
        if (parts.length != 6) {
            throw new IllegalArgumentException("malformed channel message");
        }
        String event = parts[2].isEmpty() ? null : parts[2];
        return new ChannelMessage(parts[0], parts[1], new StreamMessage(uid, StreamIds.toOffset(parts[0]), event, parts[5],
                devices(parts[3]), Long.parseLong(parts[4])));
    }

    /** A stream entry as XRANGE returns it: id, then the field/value list. */
    static StreamMessage fromEntry(String uid, java.util.List<?> entry) {
        String id = (String) entry.get(0);
        java.util.List<?> fields = (java.util.List<?>) entry.get(1);
        String event = null;
        String devices = "";
        String data = "";
        long time = 0;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String value = (String) fields.get(i + 1);
            switch ((String) fields.get(i)) {
                case "e" -> event = value.isEmpty() ? null : value;
                case "v" -> devices = value;
                case "d" -> data = value;
                case "t" -> time = Long.parseLong(value);
                default -> {
                    // a field of a later version: ignored
                }
            }
        }
        return new StreamMessage(uid, StreamIds.toOffset(id), event, data, devices(devices), time);
    }

    private static Set<String> devices(String list) {
        return list.isEmpty() ? Set.of() : Set.copyOf(new LinkedHashSet<>(Arrays.asList(list.split(","))));
    }
}
