package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.lang.ref.WeakReference;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection that became an SSE stream keeps only what a stream needs: the HTTP handlers it leaves behind (the
 * codec, the request timers) are garbage once they are out of its pipeline, not held by the open channel for as
 * long as the stream lives (about a kilobyte per connection, at tens of thousands of connections).
 */
class StreamPipelineMemoryTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void theHttpHandlersAStreamLeavesBehindAreNotHeldByItsChannel() {
        RequestTimeouts timeouts = new RequestTimeouts(channel, 10, 10, 10, null, Cors.NONE);
        HttpServerCodec codec = new HttpServerCodec();
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes());
        pipeline.addLast(HttpServer.CODEC, codec);
        pipeline.addLast(RequestTimeouts.NAME, timeouts);
        WeakReference<RequestTimeouts> timeoutsGone = new WeakReference<>(timeouts);
        WeakReference<HttpServerCodec> codecGone = new WeakReference<>(codec);

        // what SseResponder.open does with them
        timeouts.streamOpened(pipeline);
        pipeline.remove(HttpServer.CODEC);
        timeouts = null;
        codec = null;

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            System.gc();
            return timeoutsGone.get() == null && codecGone.get() == null;
        });
        assertThat(channel.isOpen()).isTrue();
    }
}
