package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.broker.StreamOpener;
import io.ssebroker.broker.SystemEvents;
import io.ssebroker.sse.ChunkedFraming;
import io.ssebroker.sse.SseFrames;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseStream;

/**
 * Turns an HTTP exchange into an SSE stream: writes the response head, then strips the HTTP handlers so that
 * frames go to the socket as they are and the connection keeps only what a stream needs. On an HTTP/2 stream
 * the stream's codec stays: frames go out as the body of the response, in DATA frames.
 */
final class SseResponder implements StreamOpener {
    /** HTTP/2: the stream's codec stays and makes DATA frames of the body; END_STREAM ends it. */
    private static final SseFraming HTTP2 = new SseFraming() {
        @Override
        public Object own(ByteBuf frame) {
            return new DefaultHttpContent(frame);
        }

        @Override
        public Object ownHead(ByteBuf head, int sharedBytes) {
            return new DefaultHttpContent(head);
        }

        @Override
        public Object shared(ByteBuf bytes) {
            return new DefaultHttpContent(bytes);
        }

        @Override
        public Object sharedEnd() {
            return null;
        }

        @Override
        public Object heartbeat() {
            return new DefaultHttpContent(SseFrames.heartbeat());
        }

        @Override
        public Object end() {
            return LastHttpContent.EMPTY_LAST_CONTENT;
        }
    };

    private final ChannelHandlerContext ctx;
    private final Responder responder;
    private final String origin;
    private final Cors cors;
    private final int maxUnsentBytes;
    /** The request's Accept names text/event-stream: an EventSource, or a client that behaves like one. */
    private final boolean acceptsEventStream;
    /** An HTTP/1.0 client knows no chunks: its body ends with the connection. */
    private final boolean http10;
    /** Gives back what the connect holds (its per-address slot) once the answer is given or the stream ends. */
    private Runnable release = () -> { };

    SseResponder(ChannelHandlerContext ctx, Responder responder, String origin, Cors cors, int maxUnsentBytes,
                 boolean acceptsEventStream, boolean http10) {
        this.http10 = http10;
        this.acceptsEventStream = acceptsEventStream;
        this.ctx = ctx;
        this.responder = responder;
        this.origin = origin;
        this.cors = cors;
        this.maxUnsentBytes = maxUnsentBytes;
    }

    @Override
    public EventExecutor executor() {
        return ctx.channel().eventLoop();
    }

    /** Runs once, when this connect is answered without a stream or its stream ends. */
    void releaseWhenDone(Runnable task) {
        release = task;
    }

    /** The answer was given without a stream (a refusal, an error): what the connect held is given back. */
    void done() {
        takeRelease().run();
    }

    /** The release still to run, which from now on is nobody else's to run. */
    private Runnable takeRelease() {
        Runnable task = release;
        release = () -> { };
        return task;
    }

    @Override
    public SseStream open() {
        if (!ctx.channel().isActive() || ctx.isRemoved()) {
            // closed, or no longer answering HTTP/1.1 requests here (the connection moved on): nothing to open, and
            // the request is left without an answer, which its client learns from the close
            done();
            ctx.channel().close();
            return null;
        }
        try {
            return openStream();
        } catch (RuntimeException e) {
            ctx.channel().close(); // half set up: its client would wait for an answer that never comes
            throw e;
        }
    }

    private SseStream openStream() {
        Runnable release = takeRelease();
        ctx.channel().closeFuture().addListener(closed -> release.run());
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        head.headers().set("X-Accel-Buffering", "no");
        head.headers().set("X-Content-Type-Options", "nosniff");
        boolean http2 = ctx.channel() instanceof Http2StreamChannel;
        boolean chunked = !http2 && !http10;
        if (chunked) {
            // the stream is the connection's last exchange: once it ends, the connection closes
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        cors.apply(origin, head.headers());
        ctx.write(head, ctx.voidPromise());
        SseStream stream = new SseStream(ctx.channel(), http2 ? HTTP2 : chunked ? ChunkedFraming.INSTANCE : SseFraming.RAW);
        ChannelPipeline pipeline = ctx.pipeline();
        RequestTimeouts timeouts = pipeline.get(RequestTimeouts.class);
        if (timeouts != null) {
            timeouts.streamOpened(pipeline);
        }
        pipeline.addLast(StreamInbound.NAME, new StreamInbound(stream));
        pipeline.remove(HttpServer.AGGREGATOR);
        pipeline.remove(HttpServer.ROUTER);
        if (!http2) {
            pipeline.remove(HttpServer.CODEC);
            if (pipeline.get(HttpServer.H2C_UPGRADE) != null) {
                pipeline.remove(HttpServer.H2C_UPGRADE);
            }
        }
        ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(maxUnsentBytes / 2, maxUnsentBytes));
        return stream;
    }

    @Override
    public void reject(int status, String message) {
        done();
        responder.failure(status, message);
    }

    @Override
    public void comeBackLater(String reason, int retryMillis) {
        tryLater(503, reason, retryMillis);
    }

    /**
     * A refusal that passes: an event stream ends at once with {@code sys_unavailable} and a {@code retry:} (an
     * EventSource never retries a non-200 answer), any other client gets this status with {@code Retry-After}.
     */
    void tryLater(int status, String reason, int retryMillis) {
        if (!acceptsEventStream) {
            done();
            responder.retryLater(status, reason, (retryMillis + 999) / 1000);
            return;
        }
        SseStream stream = open();
        if (stream == null) {
            return;
        }
        stream.writeFrame(retryMillis, null, SystemEvents.UNAVAILABLE, reason);
        stream.flush();
        stream.close();
    }

    /**
     * After the head, a client has nothing more to say on a stream: input is dropped, errors close it. It also tells
     * the stream when the client has read enough for more to be written (a paced replay).
     */
    static final class StreamInbound extends ChannelInboundHandlerAdapter {
        static final String NAME = "sse-inbound";
        private final SseStream stream;

        StreamInbound(SseStream stream) {
            this.stream = stream;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            stream.writabilityChanged();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
