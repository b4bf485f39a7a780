package io.ssebroker.broker;

import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseStream;
import java.util.function.Supplier;

/** Stream openers for broker tests: the stream goes on a given channel; a refusal fails the test. */
final class TestOpeners {
    private TestOpeners() {
    }

    /** Opens a raw SSE stream on {@code channel}, on its event loop. */
    static StreamOpener on(Channel channel) {
        return opening(channel, () -> new SseStream(channel, SseFraming.RAW));
    }

    /** Fails to open, with this exception, on the event loop of {@code channel}. */
    static StreamOpener failingOn(Channel channel, RuntimeException failure) {
        return opening(channel, () -> {
            throw failure;
        });
    }

    private static StreamOpener opening(Channel channel, Supplier<SseStream> open) {
        return new StreamOpener() {
            @Override
            public EventExecutor executor() {
                return channel.eventLoop();
            }

            @Override
            public SseStream open() {
                return open.get();
            }

            @Override
            public void reject(int status, String message) {
                throw new AssertionError("refused: " + status + " " + message);
            }

            @Override
            public void comeBackLater(String reason, int retryMillis) {
                throw new AssertionError("come back later: " + reason);
            }
        };
    }
}
