package io.ssebroker.sse;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
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
 * write: one without a promise (an SSE stream's, on cleartext HTTP/1.1) through the pipeline, one with a promise (TLS
 * and HTTP/2 write so, and fail a write the socket refused through its promise alone) through that promise. Its
 * streams then end with the presence reason {@code heartbeat_fail} (go-sse-broker's reason for a heartbeat that could
 * not be written) rather than {@code device_disconnect}; the mark is set before the connection closes.
 *
 * <p>Linux and Netty's epoll transport only: the JDK's sockets have no such option.
 */
@ChannelHandler.Sharable
public final class HeartbeatTimeout extends ChannelDuplexHandler {
    public static final String NAME = "heartbeat-timeout";
    public static final HeartbeatTimeout INSTANCE = new HeartbeatTimeout();
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
    /**
     * Told of a write's outcome. A write the socket refused fails its promise before the channel closes for it (Netty
     * fails the flushed writes, then closes), so the mark is there when the streams end. One listener for every write:
     * it keeps no state.
     */
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

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!promise.isVoid()) {
            promise.addListener(MARK_IF_GIVEN_UP);
        }
        ctx.write(msg, promise);
    }

    private static boolean givenUp(Throwable cause) {
        return cause instanceof Errors.NativeIoException failed && GIVEN_UP.contains(failed.expectedErr());
    }

    /** Whether the connection that carries this channel (itself, or an HTTP/2 stream's parent) timed out so. */
    public static boolean timedOut(Channel channel) {
        return channel.hasAttr(TIMED_OUT) || (channel.parent() != null && channel.parent().hasAttr(TIMED_OUT));
    }
}
