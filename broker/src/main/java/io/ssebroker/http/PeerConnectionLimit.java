package io.ssebroker.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.ssebroker.metrics.RefusalMeters;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Caps the TCP connections one peer holds ({@code limits.max_connections_per_address}) as they are accepted,
 * before any byte is read: a client that opens connections and sends nothing, or trickles a header, cannot take
 * the node's file descriptors. Trusted proxies are not capped here: their clients are counted one by one once
 * their requests name them.
 */
@ChannelHandler.Sharable
final class PeerConnectionLimit extends ChannelInboundHandlerAdapter {
    static final String NAME = "peer-connection-limit";

    private final AddressLimits limits;
    private final ClientAddress clientAddress;
    private final RefusalMeters refusals;

    PeerConnectionLimit(AddressLimits limits, ClientAddress clientAddress, RefusalMeters refusals) {
        this.limits = limits;
        this.clientAddress = clientAddress;
        this.refusals = refusals;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        InetAddress address = peer == null ? null : peer.getAddress();
        if (address == null || !clientAddress.trusted(address)) {
            if (limits.acquire(address) != null) {
                refusals.count(RefusalMeters.Reason.PEER_CONNECTIONS);
                ctx.close();
                return;
            }
            ctx.channel().closeFuture().addListener(closed -> limits.release(address));
        }
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }
}
