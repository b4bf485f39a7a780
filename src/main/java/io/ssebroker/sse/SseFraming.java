package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** How an SSE stream hands its bytes to the channel; this depends on the HTTP version of the response. */
public interface SseFraming {
    /** HTTP/1.1: the HTTP codec is gone once the head is written, so bytes go to the socket as they are. */
    SseFraming RAW = new SseFraming() {
        @Override
        public Object body(ByteBuf bytes) {
            return bytes;
        }

        @Override
        public Object end() {
            return Unpooled.EMPTY_BUFFER;
        }
    };

    /** Wraps part of the response body. */
    Object body(ByteBuf bytes);

    /** The message that ends the response. */
    Object end();
}
