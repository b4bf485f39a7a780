package io.ssebroker.sse;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.AttributeKey;

/**
 * Notices a client that is gone without a word ({@code sse.heartbeat_timeout}). A client that vanishes without a FIN
 * or a reset (a sleeping laptop, a switched network) leaves its stream open on the node, and its device online, until
 * TCP gives up retransmitting: about 15 minutes with Linux's defaults. With TCP_USER_TIMEOUT on the listening socket
 * (accepted sockets inherit it, so it costs no system call per connection), the kernel aborts a connection whose sent
 * bytes stay unacknowledged that long, or whose receive window stays closed that long (a client that stopped
 * reading); the heartbeats make sure that something is sent at least every {@code sse.heartbeat_interval}. The next
 * read of the socket fails with ETIMEDOUT. This handler, first in every connection's pipeline, marks such a
 * connection, so that its streams end with the presence reason {@code heartbeat_fail} (go-sse-broker's reason for a
 * heartbeat that could not be written) rather than {@code device_disconnect}.
 *
 * <p>Linux and Netty's epoll transport only: the JDK's sockets have no such option.
 */
@ChannelHandler.Sharable
public final class HeartbeatTimeout extends ChannelInboundHandlerAdapter {
    public static final String NAME = "heartbeat-timeout";
    public static final HeartbeatTimeout INSTANCE = new HeartbeatTimeout();
    /** Linux's IPPROTO_TCP and TCP_USER_TIMEOUT: the same on every architecture Netty's epoll transport is built for. */
    private static final IntegerUnixChannelOption TCP_USER_TIMEOUT = new IntegerUnixChannelOption("TCP_USER_TIMEOUT", 6, 18);
    /** Linux's ETIMEDOUT, negated as Netty's native transport reports a failed call (the same on those architectures). */
    private static final int ETIMEDOUT_NEGATIVE = -110;
    private static final AttributeKey<Boolean> TIMED_OUT = AttributeKey.valueOf(HeartbeatTimeout.class, "timedOut");

    private HeartbeatTimeout() {
    }

    /** Sets the timeout on the listening socket of an epoll server; every connection it accepts has it. */
    public static void setOn(ServerBootstrap bootstrap, int seconds) {
        bootstrap.option(TCP_USER_TIMEOUT, seconds * 1000);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Errors.NativeIoException failed && failed.expectedErr() == ETIMEDOUT_NEGATIVE) {
            ctx.channel().attr(TIMED_OUT).set(Boolean.TRUE);
        }
        ctx.fireExceptionCaught(cause);
    }

    /** Whether the connection that carries this channel (itself, or an HTTP/2 stream's parent) timed out so. */
    public static boolean timedOut(Channel channel) {
        return channel.hasAttr(TIMED_OUT) || (channel.parent() != null && channel.parent().hasAttr(TIMED_OUT));
    }
}
