package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scan of request heads before the HTTP codec, fed the way a socket may deliver bytes: a head cut into pieces
 * anywhere, the scan's state carried from one read to the next.
 */
class RequestHeadScanTest {
    private EmbeddedChannel channel;

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    /**
     * On a new connection, writes the text one piece of {@code size} bytes at a time (while the connection is open)
     * and answers the bytes that passed the scan.
     */
    private String feed(String text, int size) {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        channel = new EmbeddedChannel();
        RequestTimeouts timeouts = new RequestTimeouts(channel, 10, 10, 10, null, Cors.NONE);
        channel.pipeline().addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes());
        channel.pipeline().addLast(RequestTimeouts.NAME, timeouts);
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at < bytes.length && channel.isOpen(); at += size) {
            channel.writeInbound(Unpooled.copiedBuffer(bytes, at, Math.min(size, bytes.length - at)));
        }
        StringBuilder passed = new StringBuilder();
        for (ByteBuf read; (read = channel.readInbound()) != null; ) {
            passed.append(read.toString(StandardCharsets.US_ASCII));
            read.release();
        }
        return passed.toString();
    }

    @Test
    void aHeadInPiecesOfAnySizePassesWhole() {
        String head = "\r\nPOST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\nuid=";
        for (int size = 1; size <= head.length(); size++) {
            assertThat(feed(head, size)).as("pieces of %d bytes", size).isEqualTo(head);
            assertThat((Object) channel.readOutbound()).isNull();
        }
    }

    @Test
    void aFoldedLineSplitAcrossReadsIsRefusedAndNothingAfterItPasses() {
        String head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\n";
        String passed = feed(head, 1);
        // the bytes before the folded line's leading space passed; the space and everything after did not
        assertThat(passed).isEqualTo(head.substring(0, head.indexOf("\r\n ") + 2));
        List<Integer> statuses = new ArrayList<>();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            if (out instanceof FullHttpResponse response) {
                statuses.add(response.status().code());
            }
            ReferenceCountUtil.release(out);
        }
        assertThat(statuses).containsExactly(400);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aFoldedLineAfterALongOneIsRefusedWhereverTheReadsSplitThem() {
        // the scan jumps from line feed to line feed: a long line cut anywhere must still leave it at the next line's start
        String head = "GET /events HTTP/1.1\r\nX-SSE-TOKEN: " + "t".repeat(400) + "\r\n\tTransfer-Encoding: chunked\r\n\r\n";
        String before = head.substring(0, head.indexOf("\r\n\t") + 2);
        for (int size : new int[] {1, 2, 7, 64, 399, 420, head.length()}) {
            // the read that holds the tab is refused whole: what passed is the head up to that read, never past the tab
            assertThat(before).as("pieces of %d bytes", size).startsWith(feed(head, size));
            assertThat(channel.isOpen()).as("pieces of %d bytes", size).isFalse();
        }
        assertThat(feed(head, 1)).isEqualTo(before);
    }

    @Test
    void bodyBytesAfterTheHeadAreNotScannedAsHeaders() {
        // a body line that starts with a space would be folding if the scan went on past the blank line
        String request = "POST /send HTTP/1.1\r\nContent-Length: 12\r\n\r\n\n uid=a&x=1\n";
        assertThat(feed(request, 7)).isEqualTo(request);
        assertThat((Object) channel.readOutbound()).isNull();
    }
}
