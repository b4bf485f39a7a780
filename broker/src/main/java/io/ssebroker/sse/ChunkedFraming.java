package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1: the body is chunked, so that a client can tell a deliberate end (the last chunk) from a cut connection
 * (no last chunk). The HTTP codec is gone once the head is written; chunks are framed here. A frame made for the
 * stream gets its chunk header written into the room {@link SseFrames} leaves in front of it and its CRLF behind it:
 * one buffer per frame, as without chunking. A shared body is never touched: the chunk header goes into the stream's
 * own id line, and a constant CRLF follows the body.
 */
public final class ChunkedFraming implements SseFraming {
    public static final ChunkedFraming INSTANCE = new ChunkedFraming();

    private static final ByteBuf CRLF = constant("\r\n");
    private static final ByteBuf LAST_CHUNK = constant("0\r\n\r\n");
    private static final ByteBuf HEARTBEAT_CHUNK = constant(Integer.toHexString(SseFrames.HEARTBEAT.readableBytes())
            + "\r\n" + SseFrames.HEARTBEAT.toString(StandardCharsets.US_ASCII) + "\r\n");
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private ChunkedFraming() {
    }

    @Override
    public Object own(ByteBuf frame) {
        return ownHead(frame, 0);
    }

    @Override
    public Object ownHead(ByteBuf head, int sharedBytes) {
        int size = head.readableBytes() + sharedBytes;
        if (size == 0) {
            return head; // nothing to send, and a zero-size chunk would end the body
        }
        int digits = hexDigits(size);
        int start = head.readerIndex() - digits - 2;
        if (start < 0 || head.isReadOnly()) {
            throw new IllegalArgumentException("a stream's own frame needs SseFrames' chunk headroom");
        }
        for (int i = digits - 1, value = size; i >= 0; i--, value >>>= 4) {
            head.setByte(start + i, HEX[value & 0xf]);
        }
        head.setByte(start + digits, '\r');
        head.setByte(start + digits + 1, '\n');
        head.readerIndex(start);
        if (sharedBytes == 0) {
            head.writeByte('\r').writeByte('\n');
        }
        return head;
    }

    @Override
    public Object shared(ByteBuf bytes) {
        return bytes;
    }

    @Override
    public Object sharedEnd() {
        return CRLF.duplicate();
    }

    @Override
    public Object heartbeat() {
        return HEARTBEAT_CHUNK.duplicate();
    }

    @Override
    public Object end() {
        return LAST_CHUNK.duplicate();
    }

    private static int hexDigits(int size) {
        return Math.max(1, (Integer.SIZE - Integer.numberOfLeadingZeros(size) + 3) / 4);
    }

    private static ByteBuf constant(String text) {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII))
                .asReadOnly());
    }
}
