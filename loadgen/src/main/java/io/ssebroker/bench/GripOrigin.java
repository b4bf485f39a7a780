package io.ssebroker.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;

/**
 * The origin behind Pushpin: answers {@code GET /stream/<channel>} with a GRIP stream hold on that channel, so
 * Pushpin keeps the client's response open and appends what is published to the channel. The keep-alive makes
 * Pushpin send an SSE comment after 30 s of silence, as the other systems do.
 */
final class GripOrigin implements AutoCloseable {
    static final String PATH = "/stream/";
    private static final String KEEP_ALIVE = ":heartbeat\\n\\n; format=cstring; timeout=30";

    private final Channel server;

    GripOrigin(ClientTransport transport, int port) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Hold());
                    }
                });
        server = bootstrap.bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    @ChannelHandler.Sharable
    private static final class Hold extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            if (request.uri().startsWith(PATH) && request.uri().length() > PATH.length()) {
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
                response.headers().set("Grip-Hold", "stream");
                response.headers().set("Grip-Channel", request.uri().substring(PATH.length()));
                response.headers().set("Grip-Keep-Alive", KEEP_ALIVE);
            } else {
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
                        Unpooled.EMPTY_BUFFER);
            }
            HttpUtil.setContentLength(response, 0);
            HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
            ctx.writeAndFlush(response);
        }
    }
}
