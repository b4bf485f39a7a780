package io.ssebroker.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;

/** What a handler under test wrote to an {@link EmbeddedChannel}. */
public final class Outbound {
    private Outbound() {
    }

    /** The bytes written since the last call, as UTF-8 text; each buffer is released once read. */
    public static String text(EmbeddedChannel channel) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf bytes = channel.readOutbound(); bytes != null; bytes = channel.readOutbound()) {
            out.append(bytes.toString(StandardCharsets.UTF_8));
            bytes.release();
        }
        return out.toString();
    }
}
