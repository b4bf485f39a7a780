package io.ssebroker.bench;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 requests as the targets send them. */
final class Requests {
    private Requests() {
    }

    /** A GET that asks for an event stream. */
    static FullHttpRequest stream(InetSocketAddress server, String uri) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
        request.headers().set(HttpHeaderNames.HOST, host(server));
        request.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream");
        return request;
    }

    static FullHttpRequest get(InetSocketAddress server, String uri) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
        request.headers().set(HttpHeaderNames.HOST, host(server));
        return request;
    }

    static FullHttpRequest post(InetSocketAddress server, String uri, String contentType, String body) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri,
                Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
        request.headers().set(HttpHeaderNames.HOST, host(server));
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
        return request;
    }

    private static String host(InetSocketAddress server) {
        return server.getHostString() + ":" + server.getPort();
    }
}
