package io.ssebroker.broker;

import io.ssebroker.config.BrokerConfig;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The delays a client is told to wait before it connects again ({@code retry:} on a stream, {@code Retry-After} on
 * a plain answer), from {@code sse.retry_ms} and {@code sse.retry_jitter}. Refusals are spread at random so that the
 * clients refused together do not all come back at once.
 */
public final class RetryDelays {
    private static final int MIN_REFUSAL_MILLIS = 1000;

    private final int retryMs;
    private final int jitterMs;

    public RetryDelays(BrokerConfig.Sse sse) {
        this.retryMs = sse.retryMs();
        this.jitterMs = sse.retryJitterMs();
    }

    /** The reconnect delay a live stream announces: the configured retry, plus or minus the configured jitter. */
    public int streamMillis() {
        int delta = jitterMs == 0 ? 0 : ThreadLocalRandom.current().nextInt(-jitterMs, jitterMs + 1);
        return Math.max(0, retryMs + delta);
    }

    /**
     * When a refused client should come back: at least the configured retry (and at least a second), spread over
     * up to {@code spread} times that again.
     */
    public int refusalMillis(int spread) {
        return refusalMillis(spread, 0);
    }

    /** As {@link #refusalMillis(int)}, and never before {@code notBeforeMillis} (when the refused thing frees up). */
    public int refusalMillis(int spread, int notBeforeMillis) {
        int base = Math.max(Math.max(MIN_REFUSAL_MILLIS, retryMs), notBeforeMillis);
        return base + ThreadLocalRandom.current().nextInt(base * spread + 1);
    }
}
