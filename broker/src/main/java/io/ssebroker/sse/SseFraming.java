package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * How an SSE stream hands its bytes to the channel; this depends on the HTTP version of the response. A stream writes
 * two kinds of buffers: its own (made for it by {@link SseFrames}, with room for a chunk header in front and a chunk
 * end behind) and shared ones (a message body queued on many streams, a constant), which must never be modified.
 */
public interface SseFraming {
    /**
     * HTTP/1.0: the HTTP codec is gone once the head is written, bytes go to the socket as they are, and the body
     * ends when the connection closes.
     */
    SseFraming RAW = new SseFraming() {
        @Override
        public Object own(ByteBuf frame) {
            return frame;
        }

        @Override
        public Object ownHead(ByteBuf head, int sharedBytes) {
            return head;
        }

        @Override
        public Object shared(ByteBuf bytes) {
            return bytes;
        }

        @Override
        public Object sharedEnd() {
            return null;
        }

        @Override
        public Object heartbeat() {
            return SseFrames.heartbeat();
        }

        @Override
        public Object end() {
            return Unpooled.EMPTY_BUFFER;
        }
    };

    /** A whole frame made for this stream. */
    Object own(ByteBuf frame);

    /** The start of a frame made for this stream, followed by {@code sharedBytes} of {@link #shared} bytes. */
    Object ownHead(ByteBuf head, int sharedBytes);

    /** Bytes shared with other streams, after an {@link #ownHead}. */
    Object shared(ByteBuf bytes);

    /** What closes an {@link #ownHead} and its shared bytes; null when nothing does. */
    Object sharedEnd();

    /** The heartbeat comment, framed: a constant, so that idle streams allocate nothing. */
    Object heartbeat();

    /** The message that ends the response. */
    Object end();
}
