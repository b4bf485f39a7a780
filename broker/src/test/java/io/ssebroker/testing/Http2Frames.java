package io.ssebroker.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameWriter;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * HTTP/2 spoken on a plain socket, for tests that need frames no HTTP client sends (prior knowledge on cleartext,
 * streams cancelled at once): a client's frames encoded by Netty's frame writer, and the server's frames read off the
 * socket.
 */
public final class Http2Frames {
    public static final int DATA = 0x0;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int GOAWAY = 0x7;

    private Http2Frames() {
    }

    /** One frame as it came off the socket (RFC 9113, 4.1). */
    public record Frame(int type, int streamId, byte[] payload) {
        public static Frame read(DataInputStream in) throws IOException {
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            in.readUnsignedByte(); // flags
            int streamId = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            return new Frame(type, streamId, payload);
        }
    }

    /**
     * What a client opening a connection with prior knowledge writes: the preface, its SETTINGS (all defaults), then
     * the frames {@code frames} writes, in order. One writer encodes them all, so header blocks share one HPACK state.
     */
    public static byte[] clientOpening(BiConsumer<Http2FrameWriter, ChannelHandlerContext> frames) {
        return clientOpening(new Http2Settings(), frames);
    }

    /** The same with the client's own SETTINGS (a larger window it offers, say). */
    public static byte[] clientOpening(Http2Settings settings, BiConsumer<Http2FrameWriter, ChannelHandlerContext> frames) {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = channel.pipeline().firstContext();
        DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBufUtil.getBytes(Http2CodecUtil.connectionPrefaceBuf()));
        writer.writeSettings(ctx, settings, ctx.newPromise());
        frames.accept(writer, ctx);
        channel.flushOutbound();
        for (Object frame = channel.readOutbound(); frame != null; frame = channel.readOutbound()) {
            ByteBuf bytes = (ByteBuf) frame;
            out.writeBytes(ByteBufUtil.getBytes(bytes));
            bytes.release();
        }
        channel.finishAndReleaseAll();
        return out.toByteArray();
    }
}
