package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/** A frame id given as ASCII text, for tests and benchmarks of the frame encoding. */
public record TextId(String text) implements FrameId {
    @Override
    public int idLength() {
        return text.length();
    }

    @Override
    public void writeTo(ByteBuf buf) {
        ByteBufUtil.writeAscii(buf, text);
    }
}
