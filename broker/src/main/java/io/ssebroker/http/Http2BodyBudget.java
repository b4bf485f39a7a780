package io.ssebroker.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * The request bodies one HTTP/2 connection may have its streams hold at once, while each is read whole before it is
 * routed. Every stream may send {@code limits.max_body_bytes}, and a connection may open many streams: without a
 * budget of its own, one connection that never ends its bodies would pin that many times the limit until the body
 * timeout (the stream channels hand flow-control credit back as they read, so HTTP/2's windows do not stop it). A
 * stream whose body would take the connection past the budget is answered 429 and closed; the others go on.
 *
 * <p>One per connection, used from the connection's event loop only (its streams' channels run there).
 */
final class Http2BodyBudget {
    /** Request bodies in parallel on one connection, each at the largest size, that fit the budget. */
    static final int BODIES = 8;

    private final long maxBytes;
    private final Cors cors;
    private long heldBytes;

    Http2BodyBudget(int maxBodyBytes, Cors cors) {
        this.maxBytes = (long) maxBodyBytes * BODIES;
        this.cors = cors;
    }

    /** Bytes of request bodies the connection's streams hold now (for tests). */
    long heldBytes() {
        return heldBytes;
    }

    /** The handler of one stream, before its aggregator. */
    Stream stream() {
        return new Stream();
    }

    final class Stream extends ChannelDuplexHandler {
        /** What this stream's body holds of the budget, until the body is whole, the stream answered or ended. */
        private long held;
        private String origin;
        /** Answered: what more of the request comes is dropped. */
        private boolean refused;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (refused) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest request) {
                origin = request.headers().get(HttpHeaderNames.ORIGIN);
            }
            if (msg instanceof HttpContent content) {
                int bytes = content.content().readableBytes();
                if (heldBytes + bytes > maxBytes) {
                    refused = true;
                    giveBack();
                    ReferenceCountUtil.release(msg);
                    new Responder(ctx, false, origin, cors, System.nanoTime()).failure(429,
                            "request bodies of this connection's streams together larger than " + maxBytes
                                    + " bytes (" + BODIES + " x limits.max_body_bytes): send fewer at once");
                    return;
                }
                held += bytes;
                heldBytes += bytes;
                if (msg instanceof LastHttpContent) {
                    giveBack(); // whole: the router takes it now
                }
            }
            ctx.fireChannelRead(msg);
        }

        /**
         * Once the stream is answered (its body refused as too large by the aggregator, say) what it held is given
         * back, and what more of its body comes is dropped here. Not an interim answer (100 Continue): the body
         * follows it.
         */
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                refused = true;
                giveBack();
            }
            ctx.write(msg, promise);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            giveBack();
            ctx.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            giveBack();
        }

        private void giveBack() {
            heldBytes -= held;
            held = 0;
        }
    }
}
