package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.ssebroker.metrics.RefusalMeters;
import io.ssebroker.testing.KernelSockets;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link RequestTimeouts} ends a connection whose client stops reading, on real sockets: the server's send buffer
 * is made small, so that answers the client does not take stay with the server, as they do once a node's buffer (up
 * to megabytes) is full.
 */
class UnreadAnswersTest {
    private static final byte[] ANSWER = new byte[64 * 1024];
    /** The head of a request whose body never comes. */
    private static final String LATE_BODY_HEAD = "POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n";

    private EventLoopGroup group;
    private Channel server;
    private int port;

    /**
     * Starts a server of these timeouts whose every answer is {@link #ANSWER}: whole, as the router answers, or in
     * pieces (a head, then the body), which the timeouts do not count as answers (as they do not count the bytes the
     * kernel took but the client did not).
     */
    private void start(int bodySeconds, int keepAliveSeconds, boolean inPieces) throws InterruptedException {
        assumeTrue(KernelSockets.available(), "no table of the kernel's TCP sockets");
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        RefusalMeters refusals = new RefusalMeters(new SimpleMeterRegistry());
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, 8192)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        RequestTimeouts timeouts = new RequestTimeouts(channel, 10, bodySeconds, keepAliveSeconds, refusals, Cors.NONE);
                        channel.pipeline().addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes())
                                .addLast(new HttpServerCodec())
                                .addLast(RequestTimeouts.NAME, timeouts)
                                .addLast(new HttpObjectAggregator(1024))
                                .addLast(new AnswerEveryRequest(inPieces));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connects a client that takes little at a time: a small receive buffer, from the handshake on. */
    private Socket connect() throws Exception {
        Socket client = new Socket();
        client.setReceiveBufferSize(4096);
        client.setSoTimeout(10_000);
        client.connect(new InetSocketAddress("127.0.0.1", port));
        return client;
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
        start(10, 1, false);
        try (Socket client = connect()) {
            client.getOutputStream().write(requests(20, ""));
            assertResetWithin(client, Duration.ofSeconds(5));
        }
    }

    /** A late body is not answered 408 behind answers the client has not taken: the connection is reset at once. */
    @Test
    void aLateBodyBehindUnreadAnswersResetsTheConnectionAtOnce() throws Exception {
        start(1, 5, false);
        try (Socket client = connect()) {
            long start = System.nanoTime();
            client.getOutputStream().write(requests(20, LATE_BODY_HEAD));
            assertResetWithin(client, Duration.ofSeconds(4));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("at the body timeout, not the keep-alive one")
                    .isLessThan(Duration.ofSeconds(4));
        }
    }

    /**
     * The 408 of a late body waits behind what the client has not read; the timers stopped with the refusal, and the
     * refusal closes the connection only once it is written: the connection is reset after the keep-alive timeout
     * instead of being held for as long as the client does not read.
     */
    @Test
    void aRefusalTheClientDoesNotTakeResetsTheConnectionAfterTheKeepAliveTimeout() throws Exception {
        start(1, 2, true);
        try (Socket client = connect()) {
            client.getOutputStream().write(requests(20, LATE_BODY_HEAD));
            assertResetWithin(client, Duration.ofSeconds(8));
        }
    }

    @Test
    void anIdleConnectionWhoseClientReadEverythingIsClosedInOrder() throws Exception {
        start(10, 1, false);
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port));
            client.setSoTimeout(10_000);
            client.getOutputStream().write(requests(1, ""));
            InputStream answers = client.getInputStream();
            long read = 0;
            byte[] buffer = new byte[65536];
            for (int n = answers.read(buffer); n >= 0; n = answers.read(buffer)) {
                read += n;
            }
            assertThat(read).as("the whole answer, then the end of the stream").isGreaterThan(ANSWER.length);
        }
    }

    /** {@code count} requests for a page, then {@code more}. */
    private static byte[] requests(int count, String more) {
        return ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(count) + more).getBytes(StandardCharsets.US_ASCII);
    }

    /** The server's end is seen open, then gone within the time; the client, reading, ends in a reset. */
    private void assertResetWithin(Socket client, Duration within) throws Exception {
        InputStream answers = client.getInputStream();
        assertThat(answers.read()).as("answering").isEqualTo('H');
        assertThat(KernelSockets.serverEndOpen(port, client.getLocalPort())).as("open while answering").isTrue();
        await().atMost(within).until(() -> !KernelSockets.serverEndOpen(port, client.getLocalPort()));
        byte[] buffer = new byte[65536];
        assertThatThrownBy(() -> {
            while (answers.read(buffer) >= 0) {
                // what reached the client before the reset is still read; an orderly end would come after it
            }
        }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }

    /** Answers each request at once with {@link #ANSWER}, whole or in pieces. */
    private static final class AnswerEveryRequest extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final boolean inPieces;

        AnswerEveryRequest(boolean inPieces) {
            this.inPieces = inPieces;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (inPieces) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ANSWER.length);
                ctx.write(head);
                ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(ANSWER)));
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(ANSWER));
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ANSWER.length);
            ctx.writeAndFlush(response);
        }
    }
}
