package io.ssebroker.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A few keep-alive HTTP/1.1 connections with one request in flight on each, spread over the given servers in turn:
 * the publisher's side of the bench (and its setup calls, such as minting tokens). A connection a server closes is
 * replaced by one to the same server. Whoever takes an idle connection owns it until it gives it back: {@link #send}
 * gives it back when the answer comes, a {@link PublishLoop} keeps it for a whole run.
 */
final class HttpRequester implements AutoCloseable {
    /** @param reusable the connection stays open for another request (it did not announce or suffer a close) */
    record Response(int status, String body, boolean reusable) {
        boolean isSuccess() {
            return status >= 200 && status < 300;
        }
    }

    private static final int MAX_RESPONSE_BYTES = 1 << 20;

    private final ClientTransport transport;
    private final Bootstrap bootstrap;
    private final LinkedBlockingQueue<Channel> idle = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    HttpRequester(ClientTransport transport, List<InetSocketAddress> servers, int connections) throws InterruptedException {
        this.transport = transport;
        this.bootstrap = transport.bootstrap(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                        new ResponseHandler());
            }
        });
        for (int i = 0; i < connections; i++) {
            Channel channel = transport.connect(bootstrap, servers.get(i % servers.size())).sync().channel();
            idle.add(channel);
        }
    }

    /**
     * Sends a request on the next idle connection, waiting for one until {@code deadlineNanos}; the request is made
     * only once a connection is free (so a stamp in it is taken at sending time). Null when none became idle in time.
     */
    CompletableFuture<Response> send(Supplier<FullHttpRequest> request, long deadlineNanos) throws InterruptedException {
        Channel channel = idle.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (channel == null) {
            return null;
        }
        return exchange(channel, request.get()).whenComplete((response, error) -> {
            if (response != null && response.reusable()) {
                giveBack(channel);
            }
        });
    }

    /** An idle connection, now the caller's; null when none is idle (all taken, or being replaced). */
    Channel tryTake() {
        return idle.poll();
    }

    /**
     * Sends a request on a connection the caller took and completes with its answer, on the connection's event loop
     * (so a caller on that loop continues there, with no hand-over to another thread).
     */
    CompletableFuture<Response> exchange(Channel channel, FullHttpRequest request) {
        CompletableFuture<Response> response = new CompletableFuture<>();
        channel.pipeline().get(ResponseHandler.class).pending = response;
        channel.writeAndFlush(request).addListener(future -> {
            if (!future.isSuccess()) {
                response.completeExceptionally(future.cause());
            }
        });
        return response;
    }

    /**
     * Gives back a taken connection whose last answer left it open: it becomes idle again, unless it closed since (its
     * replacement will).
     */
    void giveBack(Channel channel) {
        // On the connection's loop, in order with its close (which takes it out of the idle queue there).
        try {
            channel.eventLoop().execute(() -> {
                if (channel.isActive() && !closed) {
                    idle.add(channel);
                }
            });
        } catch (RejectedExecutionException shutDown) {
            // the client is shutting down with its connections
        }
    }

    /** An event loop of the connections, for a caller that holds none at the moment. */
    EventLoop anyLoop() {
        return transport.group().next();
    }

    @Override
    public void close() {
        closed = true;
        idle.forEach(Channel::close);
    }

    private void replace(InetSocketAddress server) {
        transport.connect(bootstrap, server).addListener(future -> {
            if (future.isSuccess() && !closed) {
                idle.add(((ChannelFuture) future).channel());
            }
        });
    }

    private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private volatile CompletableFuture<Response> pending;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            CompletableFuture<Response> answered = pending;
            pending = null;
            // A response that announces a close leaves its connection out; the close then replaces it.
            Response result = new Response(response.status().code(), response.content().toString(StandardCharsets.UTF_8),
                    HttpUtil.isKeepAlive(response) && ctx.channel().isActive());
            if (answered != null) {
                answered.complete(result);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            idle.remove(ctx.channel());
            CompletableFuture<Response> answered = pending;
            pending = null;
            if (answered != null) {
                answered.completeExceptionally(new IOException("connection closed by " + ctx.channel().remoteAddress()));
            }
            // A channel keeps its remote address after it closes; one that never connected has none to replace.
            if (!closed && ctx.channel().remoteAddress() instanceof InetSocketAddress server) {
                replace(server);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
