package io.ssebroker.broker;

import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.sse.SseStream;

/**
 * The HTTP side of a connect: the broker decides, then calls exactly one of {@link #open()} or
 * {@link #reject(int, String)} on {@link #executor()}.
 */
public interface StreamOpener {

    EventExecutor executor();

    /** Answers 200 with the SSE headers; null when the client went away meanwhile. */
    SseStream open();

    /** Answers with this status (204 has no body) and message. */
    void reject(int status, String message);
}
