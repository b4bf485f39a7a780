package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.ssebroker.testing.KernelSockets;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link RequestTimeouts} ends a connection whose client stops reading, on real sockets: the server's send buffer
 * is made small, so that answers the client does not take stay with the server, as they do once a node's buffer (up
 * to megabytes) is full.
 */
class UnreadAnswersTest {
    private static final byte[] ANSWER = new byte[64 * 1024];
    private static final int KEEP_ALIVE_SECONDS = 1;

    private EventLoopGroup group;
    private Channel server;
    private int port;

    @BeforeEach
    void start() throws InterruptedException {
        assumeTrue(KernelSockets.available(), "no table of the kernel's TCP sockets");
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, 8192)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        RequestTimeouts timeouts = new RequestTimeouts(channel, 10, 10, KEEP_ALIVE_SECONDS, null);
                        channel.pipeline().addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes())
                                .addLast(new HttpServerCodec())
                                .addLast(RequestTimeouts.NAME, timeouts)
                                .addLast(new HttpObjectAggregator(1024))
                                .addLast(new AnswerEveryRequest());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * Closed in order, the kernel would keep what the client did not take for as long as its window stays shut, and
     * the client would learn of the close only after reading it all; reset, both end at once.
     */
    @Test
    void answersLeftUnreadForTheKeepAliveTimeoutResetTheConnection() throws Exception {
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", port));
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20).getBytes(StandardCharsets.US_ASCII));
            InputStream answers = client.getInputStream();
            assertThat(answers.read()).as("answering").isEqualTo('H');
            assertThat(KernelSockets.serverEndOpen(port, client.getLocalPort())).as("open while answering").isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> !KernelSockets.serverEndOpen(port, client.getLocalPort()));
            byte[] buffer = new byte[65536];
            assertThatThrownBy(() -> {
                while (answers.read(buffer) >= 0) {
                    // what reached the client before the reset is still read; an orderly end would come after it
                }
            }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
    }

    @Test
    void anIdleConnectionWhoseClientReadEverythingIsClosedInOrder() throws Exception {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port));
            client.setSoTimeout((int) TimeUnit.SECONDS.toMillis(KEEP_ALIVE_SECONDS + 5));
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream answers = client.getInputStream();
            long read = 0;
            byte[] buffer = new byte[65536];
            for (int n = answers.read(buffer); n >= 0; n = answers.read(buffer)) {
                read += n;
            }
            assertThat(read).as("the whole answer, then the end of the stream").isGreaterThan(ANSWER.length);
        }
    }

    /** Answers each request at once with {@link #ANSWER}, as the router answers one it needs nothing else for. */
    private static final class AnswerEveryRequest extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(ANSWER));
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ANSWER.length);
            ctx.writeAndFlush(response);
        }
    }
}
