package io.ssebroker.client;

import java.time.Duration;
import java.util.Optional;

/**
 * The broker could not do it now: 503 (Redis unreachable, the node stopping), 429, 408, a proxy's 502 or 504, or no
 * answer at all (status 0: the connection failed or timed out). A call that timed out may still have been carried out: only calls that are
 * safe to repeat (reads, tokens, sends with an idempotency key) are retried by the client. {@link #retryAfter()} is
 * how long the answer asked to wait before trying again ({@code Retry-After}), when it did.
 */
public final class UnavailableException extends SseBrokerException {
    private static final long serialVersionUID = 1L;
    private final Duration retryAfter;

    public UnavailableException(int status, String message, Throwable cause) {
        this(status, message, cause, null);
    }

    /** @param retryAfter the answer's {@code Retry-After}, or null */
    public UnavailableException(int status, String message, Throwable cause, Duration retryAfter) {
        super(status, message, cause);
        this.retryAfter = retryAfter;
    }

    /** How long the answer asked to wait before the call is made again; empty when it did not say. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
