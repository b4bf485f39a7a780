package io.ssebroker.sse;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.AttributeKey;
import java.util.Set;

/**
 * Notices a client that is gone without a word ({@code sse.heartbeat_timeout}). A client that vanishes without a FIN
 * or a reset (a sleeping laptop, a switched network) leaves its stream open on the node, and its device online, until
 * TCP gives up retransmitting: about 15 minutes with Linux's defaults. With TCP_USER_TIMEOUT on the listening socket
 * (accepted sockets inherit it, so it costs no system call per connection), the kernel aborts a connection whose sent
 * bytes stay unacknowledged that long, or whose receive window stays closed that long (a client that stopped
 * reading); the heartbeats make sure that something is sent at least every {@code sse.heartbeat_interval}. The next
 * read or write of the socket fails with ETIMEDOUT, or with EHOSTUNREACH or ENETUNREACH when the network said so
 * while the kernel retransmitted (an accepted socket learns of those only this way). This handler, first in every
 * connection's pipeline (nearest the socket), marks such a connection when a failed read reports it, or a failed
 * write without a promise (an SSE stream's, on cleartext HTTP/1.1). TLS and HTTP/2 write with promises, and learn of a
 * write the socket refused through its promise alone: on their connections {@link #PROMISED_WRITES}, right after
 * this handler, marks the connection when such a promise fails. Its streams then end with the presence reason {@code
 * heartbeat_fail} (go-sse-broker's reason for a heartbeat that could not be written) rather than {@code
 * device_disconnect}.
 *
 * <p>When a write fails, Netty closes the channel (its close future's listeners run), then fails the flushed writes'
 * promises. The mark still comes first for the streams: they learn of the close through a task that the close future's
 * listener queues on the loop ({@code SseStream.whenClosed}), which runs after both.
 *
 * <p>Linux and Netty's epoll transport only: the JDK's sockets have no such option.
 */
@ChannelHandler.Sharable
public final class HeartbeatTimeout extends ChannelInboundHandlerAdapter {
    public static final String NAME = "heartbeat-timeout";
    public static final HeartbeatTimeout INSTANCE = new HeartbeatTimeout();
    /** The name of {@link #PROMISED_WRITES} in a pipeline. */
    public static final String PROMISED_WRITES_NAME = "heartbeat-timeout-writes";
    /**
     * Marks a connection whose write failed through its promise, as TLS and HTTP/2 write. Only on their connections:
     * every write of a connection passes through it, where the SSE streams of cleartext HTTP/1.1 write without
     * promises and need none of it.
     */
    public static final ChannelOutboundHandler PROMISED_WRITES = new PromisedWrites();
    /**
     * Linux's IPPROTO_TCP and TCP_USER_TIMEOUT (the same on every architecture Netty's epoll transport is built for), as
     * a raw option: Netty's own {@code EpollChannelOption.TCP_USER_TIMEOUT} is taken by accepted channels only, where it
     * would cost each connection a system call.
     */
    private static final IntegerUnixChannelOption TCP_USER_TIMEOUT = new IntegerUnixChannelOption("TCP_USER_TIMEOUT", 6, 18);
    /**
     * What a failed read or write reports when the kernel gave the connection up: Linux's ETIMEDOUT, EHOSTUNREACH and
     * ENETUNREACH, negated as Netty's native transport reports a failed call. Written out, not read from Netty's
     * {@code Errors}, whose constants come from the native library: a node on the NIO transport has none loaded, and
     * every connection's end asks {@link #timedOut}.
     */
    private static final Set<Integer> GIVEN_UP = Set.of(-110, -113, -101);
    private static final AttributeKey<Boolean> TIMED_OUT = AttributeKey.valueOf(HeartbeatTimeout.class, "timedOut");
    /** Told of a write's outcome; one for every write, as it keeps no state. */
    private static final ChannelFutureListener MARK_IF_GIVEN_UP = written -> {
        if (givenUp(written.cause())) {
            written.channel().attr(TIMED_OUT).set(Boolean.TRUE);
        }
    };

    private HeartbeatTimeout() {
    }

    /** Sets the timeout on the listening socket of an epoll server; every connection it accepts has it. */
    public static void setOn(ServerBootstrap bootstrap, int seconds) {
        bootstrap.option(TCP_USER_TIMEOUT, seconds * 1000);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (givenUp(cause)) {
            ctx.channel().attr(TIMED_OUT).set(Boolean.TRUE);
        }
        ctx.fireExceptionCaught(cause);
    }

    private static boolean givenUp(Throwable cause) {
        return cause instanceof Errors.NativeIoException failed && GIVEN_UP.contains(failed.expectedErr());
    }

    /** Whether the connection that carries this channel (itself, or an HTTP/2 stream's parent) timed out so. */
    public static boolean timedOut(Channel channel) {
        return channel.hasAttr(TIMED_OUT) || (channel.parent() != null && channel.parent().hasAttr(TIMED_OUT));
    }

    /** See {@link #PROMISED_WRITES}. */
    @ChannelHandler.Sharable
    private static final class PromisedWrites extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!promise.isVoid()) {
                promise.addListener(MARK_IF_GIVEN_UP);
            }
            ctx.write(msg, promise);
        }
    }
}
