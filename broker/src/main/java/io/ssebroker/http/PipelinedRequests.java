package io.ssebroker.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * HTTP/1.1 pipelining: a client may send requests before it has the answers to those before them. They are answered
 * one at a time and in order: a request goes on to the handlers once the answer to the one before it has been taken
 * by the socket, and while requests wait here the connection reads nothing more. So answers that finish in another
 * order (a send that waits for Redis, then a health check) still leave in the order of their requests, and a client
 * that sends without reading what it is answered fills its own socket, not the node's memory: what waits is what one
 * read brought in. One per HTTP/1.1 connection, on its event loop, between the codec and the request timeouts (whose
 * body deadline starts when a request goes on, as the rest of its body is read only then);
 * it leaves the pipeline when an answer opens an SSE stream (requests pipelined behind that one are dropped: the
 * stream owns the connection) or when the connection moves to HTTP/2. An answer that ends the connection
 * ({@code Connection: close}) ends what is passed on too: requests pipelined behind it are dropped unrun, as HTTP
 * requires (a send behind it would be published with no answer, and sent again by a client that retries).
 */
final class PipelinedRequests extends ChannelDuplexHandler {
    static final String NAME = "pipelined-requests";

    /** Messages read and not passed on yet, in order; owned (released) here until passed on. */
    private final ArrayDeque<HttpObject> waiting = new ArrayDeque<>(4);
    /** A request went on, and its body has not all gone on or its final answer has not reached the socket. */
    private boolean inFlight;
    private boolean bodyPassed;
    private boolean answerSent;
    /** Passing messages on now: an answer completed meanwhile lets the running loop go on, not a second one. */
    private boolean passing;
    private boolean readingPaused;
    /** An answer that closes the connection was written: nothing read after its request goes on. */
    private boolean ended;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject message)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (ended) {
            ReferenceCountUtil.release(msg);
            return;
        }
        waiting.add(message);
        passOn(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpResponse response) || response.status().code() < 200) {
            ctx.write(msg, promise);
            return;
        }
        if (!(msg instanceof FullHttpResponse)) {
            ctx.write(msg, promise);
            ctx.pipeline().remove(this); // the head of an SSE stream
            return;
        }
        if (!HttpUtil.isKeepAlive(response)) {
            ended = true;
            releaseWaiting();
        }
        ChannelPromise written = promise.unvoid();
        ctx.write(msg, written);
        written.addListener(done -> {
            if (!done.isSuccess() || ctx.isRemoved()) {
                return; // the connection is closing: what waits is released with it
            }
            answerSent = true;
            passOn(ctx);
        });
    }

    /** Passes on what waits, as far as the request in flight allows, and reads again once nothing waits. */
    private void passOn(ChannelHandlerContext ctx) {
        if (passing) {
            return;
        }
        passing = true;
        try {
            while (true) {
                if (inFlight && bodyPassed && answerSent) {
                    inFlight = false;
                }
                HttpObject next = waiting.peek();
                if (next == null || (next instanceof HttpRequest && (inFlight || ended)) || ctx.isRemoved()) {
                    break;
                }
                waiting.poll();
                if (next instanceof HttpRequest) {
                    inFlight = true;
                    bodyPassed = false;
                    answerSent = false;
                }
                if (next instanceof LastHttpContent) {
                    bodyPassed = true;
                }
                ctx.fireChannelRead(next);
            }
        } finally {
            passing = false;
        }
        if (!ctx.isRemoved()) {
            pauseReading(ctx, !waiting.isEmpty());
        }
    }

    private void pauseReading(ChannelHandlerContext ctx, boolean pause) {
        if (pause != readingPaused) {
            readingPaused = pause;
            ctx.channel().config().setAutoRead(!pause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiting();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
        if (readingPaused) {
            readingPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void releaseWaiting() {
        for (HttpObject message = waiting.poll(); message != null; message = waiting.poll()) {
            ReferenceCountUtil.release(message);
        }
    }
}
