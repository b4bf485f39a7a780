package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes one complete answer for a request and keeps or closes the connection as the request asked. */
final class Responder {
    private static final Logger log = LoggerFactory.getLogger(Responder.class);

    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final String origin;
    private final Cors cors;
    final long startNanos;

    Responder(ChannelHandlerContext ctx, boolean keepAlive, String origin, Cors cors, long startNanos) {
        this.ctx = ctx;
        this.keepAlive = keepAlive;
        this.origin = origin;
        this.cors = cors;
        this.startNanos = startNanos;
    }

    void success(Object result) {
        ByteBuf body;
        try {
            body = Envelope.success(ctx.alloc(), result, startNanos);
        } catch (IllegalStateException e) {
            // A result with no JSON form is the server's fault: answered as one, not left without an answer.
            log.error("cannot encode the answer to a request", e);
            failure(500, "internal error");
            return;
        }
        send(HttpResponseStatus.OK, body, "application/json; charset=utf-8");
    }

    void failure(int status, String message) {
        if (status == 204) {
            send(HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER, null);
            return;
        }
        FullHttpResponse response = response(HttpResponseStatus.valueOf(status),
                Envelope.failure(ctx.alloc(), status, message, startNanos), "application/json; charset=utf-8");
        if (status == 401) { // the credentials every refused endpoint takes: a token, or a publisher key (RFC 9110, 11.6.1)
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        send(response);
    }

    /** 405, with the methods the path takes in {@code Allow} (RFC 9110, 15.5.6). */
    void methodNotAllowed(String message, String allowed) {
        FullHttpResponse response = response(HttpResponseStatus.METHOD_NOT_ALLOWED,
                Envelope.failure(ctx.alloc(), 405, message, startNanos), "application/json; charset=utf-8");
        response.headers().set(HttpHeaderNames.ALLOW, allowed);
        send(response);
    }

    /** A refusal that passes (503, 429) with the reason and when to try again. */
    void retryLater(int status, String message, int retryAfterSeconds) {
        FullHttpResponse response = response(HttpResponseStatus.valueOf(status),
                Envelope.failure(ctx.alloc(), status, message, startNanos), "application/json; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.RETRY_AFTER, Math.max(1, retryAfterSeconds));
        send(response);
    }

    FullHttpResponse response(HttpResponseStatus status, ByteBuf body, String contentType) {
        // An answer has a length and never trailers: the shared empty set saves a header table per answer. Its few
        // headers are set, not looked up, so their map starts with the smallest table.
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body,
                DefaultHttpHeadersFactory.headersFactory().newEmptyHeaders(), EmptyHttpHeaders.INSTANCE);
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        if (status != HttpResponseStatus.NO_CONTENT) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        }
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        response.headers().set("X-Content-Type-Options", "nosniff");
        cors.apply(origin, response.headers());
        return response;
    }

    void send(HttpResponseStatus status, ByteBuf body, String contentType) {
        send(response(status, body, contentType));
    }

    void send(FullHttpResponse response) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
