package io.ssebroker.broker;

import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseStream;

/** Stream openers for broker tests: the stream goes on a given channel; a refusal fails the test. */
final class TestOpeners {
    private TestOpeners() {
    }

    /** Opens a raw SSE stream on {@code channel}, on its event loop. */
    static StreamOpener on(Channel channel) {
        return new StreamOpener() {
            @Override
            public EventExecutor executor() {
                return channel.eventLoop();
            }

            @Override
            public SseStream open() {
                return new SseStream(channel, SseFraming.RAW);
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
