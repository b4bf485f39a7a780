package io.ssebroker.broker;

import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.sse.SseStream;

/**
 * The HTTP side of a connect: the broker decides, then calls exactly one of {@link #open()} or
 * {@link #reject(int, String)} on {@link #executor()}.
 */
public interface StreamOpener {

    EventExecutor executor();

    /**
     * Answers 200 with the SSE headers; null when the client went away meanwhile, or the request can no longer be
     * answered (its connection is closed then).
     */
    SseStream open();

    /** Answers with this status (204 has no body) and message: a refusal the client must not retry as it is. */
    void reject(int status, String message);

    /**
     * Refuses for now, for a reason that passes (the connection limit, a node draining, the engine unreachable). An
     * {@code EventSource} takes any status but 200 as final and never comes back, so a client that asked for an event
     * stream gets 200, {@code retry:} with this delay, {@code sys_unavailable} with the reason, and the end of the
     * stream, after which it reconnects; any other client gets 503 with {@code Retry-After}.
     */
    void comeBackLater(String reason, int retryMillis);
}
