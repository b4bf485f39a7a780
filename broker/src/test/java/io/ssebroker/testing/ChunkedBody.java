package io.ssebroker.testing;

import java.io.IOException;
import java.io.InputStream;

/**
 * The body of a chunked HTTP/1.1 response, decoded strictly: it ends (read gives -1) only at the last chunk; a
 * connection that closes before it is an {@link IOException}, as an HTTP client sees a cut.
 */
final class ChunkedBody extends InputStream {
    private final InputStream in;
    private int leftInChunk;
    private boolean lastChunkSeen;

    ChunkedBody(InputStream in) {
        this.in = in;
    }

    /** True once the last chunk arrived: the server ended the body deliberately. */
    boolean lastChunkSeen() {
        return lastChunkSeen;
    }

    @Override
    public int read() throws IOException {
        if (lastChunkSeen) {
            return -1;
        }
        if (leftInChunk == 0) {
            int size = Integer.parseInt(line().split(";", 2)[0].trim(), 16);
            if (size == 0) {
                while (!line().isEmpty()) {
                    // trailer fields: none expected, skipped
                }
                lastChunkSeen = true;
                return -1;
            }
            leftInChunk = size;
        }
        int b = in.read();
        if (b < 0) {
            throw new IOException("connection cut inside a chunk");
        }
        if (--leftInChunk == 0 && !line().isEmpty()) {
            throw new IOException("chunk not followed by CRLF");
        }
        return b;
    }

    private String line() throws IOException {
        return SseClient.readHeaderLine(in);
    }

    @Override
    public int available() throws IOException {
        return lastChunkSeen ? 0 : Math.min(leftInChunk, in.available());
    }
}
