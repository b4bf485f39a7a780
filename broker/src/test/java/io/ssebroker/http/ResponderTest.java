package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every request gets an answer, also when its result cannot be written as JSON. */
class ResponderTest {

    private static FullHttpResponse answer(Object result) {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = channel.pipeline().firstContext();
        new Responder(ctx, true, null, Cors.NONE, System.nanoTime()).success(result);
        FullHttpResponse response = channel.readOutbound();
        channel.finishAndReleaseAll();
        return response;
    }

    @Test
    void aResultIsAnsweredAsJson() {
        FullHttpResponse response = answer(Map.of("devices", List.of("a")));
        try {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(response.content().toString(StandardCharsets.UTF_8)).endsWith("\"result\":{\"devices\":[\"a\"]}}");
        } finally {
            response.release();
        }
    }

    @Test
    void aResultWithNoJsonFormIsAnsweredWithAServerError() {
        FullHttpResponse response = answer(Map.of("thread", Thread.currentThread()));
        try {
            assertThat(response.status().code()).isEqualTo(500);
            assertThat(response.content().toString(StandardCharsets.UTF_8)).contains("\"msg\":\"internal error\"");
        } finally {
            response.release();
        }
    }
}
