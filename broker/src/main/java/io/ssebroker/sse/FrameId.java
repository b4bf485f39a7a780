package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;

/**
 * The id of a frame, written straight into the frame's buffer: an id that changes with every frame (a cursor)
 * then costs no String per frame. Implementations guarantee the id is safe on an {@code id:} line, so frames do
 * not check it byte by byte again.
 */
public interface FrameId {
    /** How many bytes {@link #writeTo} writes. */
    int idLength();

    /** Writes the id: printable ASCII only, never CR, LF or NUL. */
    void writeTo(ByteBuf buf);
}
