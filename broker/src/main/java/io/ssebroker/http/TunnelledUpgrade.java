package io.ssebroker.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import java.util.Collection;

/**
 * The h2c upgrade, which first notes whose tunnel the connection becomes ({@link ForwardedConnection#upgrading}): the
 * upgrading request is the last one on which a tunnelling proxy writes its forwarding header.
 */
final class TunnelledUpgrade implements HttpServerUpgradeHandler.UpgradeCodec {
    private final HttpServerUpgradeHandler.UpgradeCodec upgrade;
    private final ClientAddress addresses;

    TunnelledUpgrade(HttpServerUpgradeHandler.UpgradeCodec upgrade, ClientAddress addresses) {
        this.upgrade = upgrade;
        this.addresses = addresses;
    }

    @Override
    public Collection<CharSequence> requiredUpgradeHeaders() {
        return upgrade.requiredUpgradeHeaders();
    }

    @Override
    public boolean prepareUpgradeResponse(ChannelHandlerContext ctx, FullHttpRequest upgradeRequest,
                                          HttpHeaders upgradeHeaders) {
        return upgrade.prepareUpgradeResponse(ctx, upgradeRequest, upgradeHeaders);
    }

    @Override
    public void upgradeTo(ChannelHandlerContext ctx, FullHttpRequest upgradeRequest) {
        ForwardedConnection.upgrading(ctx.channel(), upgradeRequest.headers(), addresses);
        upgrade.upgradeTo(ctx, upgradeRequest);
    }
}
