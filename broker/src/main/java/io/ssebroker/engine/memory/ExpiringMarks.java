package io.ssebroker.engine.memory;

import java.util.concurrent.ConcurrentHashMap;

/** Keys remembered with a time until a deadline: kicks (key → kick time) and ended connection nonces. */
final class ExpiringMarks {
    private final ConcurrentHashMap<String, long[]> marks = new ConcurrentHashMap<>();
    private final long ttlMillis;

    ExpiringMarks(long ttlMillis) {
        this.ttlMillis = ttlMillis;
    }

    void mark(String key, long now) {
        marks.put(key, new long[] {now, now + ttlMillis});
    }

    /** The time the key was marked, or -1 when it is not marked (or the mark expired). */
    long markedAt(String key, long now) {
        long[] mark = marks.get(key);
        return mark == null || mark[1] < now ? -1 : mark[0];
    }

    void purge(long now) {
        marks.values().removeIf(mark -> mark[1] < now);
    }
}
