package io.ssebroker.engine.memory;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * Results of publications sent with an idempotency key, remembered for a window: a repeat within it gets the first
 * result and publishes nothing. Bounded by the keys used within one window; expired ones are purged.
 */
final class RememberedResults {
    private record Remembered(int result, long expiresAtMillis) {
    }

    private final long windowMillis;
    private final ConcurrentHashMap<String, Remembered> results = new ConcurrentHashMap<>();

    RememberedResults(long windowMillis) {
        this.windowMillis = windowMillis;
    }

    /** Runs {@code publish} once per key within the window (repeats racing with the first wait for it). */
    int once(String key, long now, IntSupplier publish) {
        return results.compute(key, (k, earlier) -> earlier != null && earlier.expiresAtMillis() > now ? earlier
                : new Remembered(publish.getAsInt(), now + windowMillis)).result();
    }

    void purge(long now) {
        results.values().removeIf(remembered -> remembered.expiresAtMillis() <= now);
    }
}
