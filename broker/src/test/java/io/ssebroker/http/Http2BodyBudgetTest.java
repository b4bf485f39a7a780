package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One HTTP/2 connection's streams share a budget for the request bodies they hold while each is read whole: a stream
 * that would take the connection past it is answered 429, and what a stream held is given back once its body is
 * whole or the stream ends.
 */
class Http2BodyBudgetTest {
    private static final int MAX_BODY = 1024;
    private final Http2BodyBudget budget = new Http2BodyBudget(MAX_BODY, Cors.NONE);
    private final List<EmbeddedChannel> streams = new ArrayList<>();

    @AfterEach
    void close() {
        streams.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    /** A stream with its request head read and {@code bytes} of its body, not yet whole. */
    private EmbeddedChannel streamWithBody(int bytes) {
        EmbeddedChannel stream = new EmbeddedChannel(budget.stream());
        streams.add(stream);
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/send");
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, MAX_BODY);
        stream.writeInbound(head);
        stream.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[bytes])));
        return stream;
    }

    private static FullHttpResponse answer(EmbeddedChannel stream) {
        return stream.readOutbound();
    }

    @Test
    void aStreamThatWouldPassTheConnectionsBudgetIsAnswered429AndTheOthersGoOn() {
        for (int i = 0; i < Http2BodyBudget.BODIES; i++) {
            assertThat(answer(streamWithBody(MAX_BODY))).as("stream " + i).isNull();
        }
        assertThat(budget.heldBytes()).isEqualTo((long) MAX_BODY * Http2BodyBudget.BODIES);

        EmbeddedChannel over = streamWithBody(1);
        FullHttpResponse refused = answer(over);
        assertThat(refused.status().code()).isEqualTo(429);
        assertThat(refused.content().toString(StandardCharsets.UTF_8)).contains("limits.max_body_bytes");
        refused.release();
        assertThat(over.isOpen()).as("closed after the answer").isFalse();
        assertThat((Object) over.readInbound()).as("its body is not passed on").isInstanceOf(HttpRequest.class);
        assertThat((Object) over.readInbound()).isNull();

        EmbeddedChannel first = streams.get(0);
        first.writeInbound(new DefaultLastHttpContent());
        assertThat(budget.heldBytes()).as("a whole body is the router's").isEqualTo((long) MAX_BODY * (Http2BodyBudget.BODIES - 1));
        streams.get(1).close();
        assertThat(budget.heldBytes()).as("an ended stream gives back what it held")
                .isEqualTo((long) MAX_BODY * (Http2BodyBudget.BODIES - 2));
        assertThat(answer(streamWithBody(MAX_BODY))).as("room again").isNull();
        assertThat(answer(streamWithBody(MAX_BODY))).isNull();
        assertThat(answer(streamWithBody(1))).isNotNull();

        Object passed;
        int contents = 0;
        while ((passed = first.readInbound()) != null) {
            if (passed instanceof HttpContent content) {
                contents++;
            }
            io.netty.util.ReferenceCountUtil.release(passed);
        }
        assertThat(contents).as("a stream within the budget passes its body on").isEqualTo(2);
    }

    /** A stream answered before its body is whole (the aggregator's 413) gives back what it held and takes no more. */
    @Test
    void aStreamAnsweredBeforeItsBodyIsWholeGivesBackWhatItHeld() {
        EmbeddedChannel stream = streamWithBody(MAX_BODY);
        stream.writeOutbound(new io.netty.handler.codec.http.DefaultHttpResponse(HttpVersion.HTTP_1_1,
                io.netty.handler.codec.http.HttpResponseStatus.CONTINUE));
        assertThat(budget.heldBytes()).as("an interim answer: the body follows").isEqualTo(MAX_BODY);

        stream.writeOutbound(new io.netty.handler.codec.http.DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                io.netty.handler.codec.http.HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE));
        assertThat(budget.heldBytes()).isZero();
        stream.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[MAX_BODY])));
        assertThat(budget.heldBytes()).as("the rest of its body is not counted").isZero();
        Object passed;
        int contents = 0;
        while ((passed = stream.readInbound()) != null) {
            contents += passed instanceof HttpContent ? 1 : 0;
            io.netty.util.ReferenceCountUtil.release(passed);
        }
        assertThat(contents).as("nor passed on").isEqualTo(1);
    }
}
