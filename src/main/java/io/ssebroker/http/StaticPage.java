package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The built-in API and demo page, read once from the jar. */
final class StaticPage {
    private final ByteBuf content;

    StaticPage(String resource) {
        try (InputStream in = StaticPage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            content = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ByteBuf content() {
        return content.duplicate();
    }

    String contentType() {
        return "text/html; charset=utf-8";
    }
}
