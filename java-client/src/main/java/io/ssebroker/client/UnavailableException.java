package io.ssebroker.client;

/**
 * The broker could not do it now: 503 (Redis unreachable, the node stopping), 429, 408, a proxy's 502 or 504, or no
 * answer at all (status 0: the connection failed or timed out). A call that timed out may still have been carried out: only calls that are
 * safe to repeat (reads, tokens, sends with an idempotency key) are retried by the client.
 */
public final class UnavailableException extends SseBrokerException {
    private static final long serialVersionUID = 1L;

    public UnavailableException(int status, String message, Throwable cause) {
        super(status, message, cause);
    }
}
