package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;
import java.util.function.Consumer;

/**
 * Recognises a cleartext client that opens with the HTTP/2 connection preface (prior knowledge, RFC 9113 3.3) and
 * hands the connection to HTTP/2; any other first bytes leave it to HTTP/1.1. Either way it then steps aside.
 */
final class Http2PriorKnowledge extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Unpooled.unreleasableBuffer(Http2CodecUtil.connectionPrefaceBuf()).asReadOnly();

    private final Consumer<ChannelPipeline> switchToHttp2;

    Http2PriorKnowledge(Consumer<ChannelPipeline> switchToHttp2) {
        this.switchToHttp2 = switchToHttp2;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int compared = Math.min(in.readableBytes(), PREFACE.readableBytes());
        if (!ByteBufUtil.equals(PREFACE, PREFACE.readerIndex(), in, in.readerIndex(), compared)) {
            ctx.pipeline().remove(this);
        } else if (compared == PREFACE.readableBytes()) {
            switchToHttp2.accept(ctx.pipeline());
            // Removing a decoder passes the bytes it holds, the preface included, to the HTTP/2 codec.
            ctx.pipeline().remove(this);
        }
    }
}
