package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PipelinedRequests} on its own: one request at a time, in order, reading paused while requests wait. */
class PipelinedRequestsTest {
    /** What the handlers after it were given: request URIs, and "body" / "end" for contents. */
    private final List<String> passed = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new PipelinedRequests(), new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            passed.add(msg instanceof HttpRequest request ? request.uri() : msg instanceof LastHttpContent ? "end" : "body");
            ReferenceCountUtil.release(msg);
        }
    });

    private static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private void answer() {
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    }

    @Test
    void aRequestGoesOnOnlyOnceTheOneBeforeIsAnsweredAndTheAnswerSent() {
        channel.writeInbound(get("/a"), LastHttpContent.EMPTY_LAST_CONTENT, get("/b"), LastHttpContent.EMPTY_LAST_CONTENT,
                get("/c"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(passed).containsExactly("/a", "end");
        assertThat(channel.config().isAutoRead()).as("nothing more is read while requests wait").isFalse();
        answer();
        assertThat(passed).containsExactly("/a", "end", "/b", "end");
        assertThat(channel.config().isAutoRead()).isFalse();
        answer();
        assertThat(passed).containsExactly("/a", "end", "/b", "end", "/c", "end");
        assertThat(channel.config().isAutoRead()).as("reading again once nothing waits").isTrue();
        answer();
        channel.writeInbound(get("/d"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(passed).endsWith("/d", "end");
        channel.finishAndReleaseAll();
    }

    private static DefaultHttpContent chunk() {
        return new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
    }

    @Test
    void anInterimAnswerSettlesNothing() {
        channel.writeInbound(get("/upload"), chunk());
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT, get("/next"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(passed).containsExactly("/upload", "body", "end");
        answer();
        assertThat(passed).containsExactly("/upload", "body", "end", "/next", "end");
        channel.finishAndReleaseAll();
    }

    @Test
    void anAnswerGivenBeforeTheBodyEndedLetsTheRestOfTheBodyThroughThenTheNextRequest() {
        channel.writeInbound(get("/upload"), chunk());
        answer(); // refused before its body ended (too large, say)
        channel.writeInbound(chunk(), LastHttpContent.EMPTY_LAST_CONTENT, get("/next"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(passed).containsExactly("/upload", "body", "body", "end", "/next", "end");
        channel.finishAndReleaseAll();
    }

    @Test
    void whatWaitsIsReleasedWhenTheConnectionCloses() {
        DefaultHttpContent body = new DefaultHttpContent(Unpooled.copiedBuffer("body", StandardCharsets.UTF_8));
        channel.writeInbound(get("/a"), LastHttpContent.EMPTY_LAST_CONTENT, get("/b"), body);
        assertThat(body.refCnt()).isEqualTo(1);
        channel.close();
        assertThat(body.refCnt()).isZero();
        assertThat(passed).containsExactly("/a", "end");
    }

    @Test
    void anAnswerThatOpensAStreamTakesTheHandlerAwayAndDropsWhatWasPipelinedBehindIt() {
        DefaultHttpContent body = new DefaultHttpContent(Unpooled.copiedBuffer("body", StandardCharsets.UTF_8));
        channel.writeInbound(get("/events"), LastHttpContent.EMPTY_LAST_CONTENT, get("/b"), body);
        channel.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK)); // an SSE head
        assertThat(channel.pipeline().get(PipelinedRequests.class)).isNull();
        assertThat(body.refCnt()).isZero();
        assertThat(channel.config().isAutoRead()).as("the stream reads, to see its client leave").isTrue();
        assertThat(passed).containsExactly("/events", "end");
        channel.finishAndReleaseAll();
    }
}
