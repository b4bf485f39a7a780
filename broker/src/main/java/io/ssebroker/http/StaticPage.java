package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** A built-in file served as is (the API and demo page, the browser client), read once from the jar. */
final class StaticPage {
    private final ByteBuf content;
    private final String contentType;

    StaticPage(String resource, String contentType) {
        this.contentType = contentType;
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
        return contentType;
    }
}
