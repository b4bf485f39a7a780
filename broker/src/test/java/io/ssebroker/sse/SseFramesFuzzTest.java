package io.ssebroker.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Any event name and data: the frame is exactly one event that a spec parser reads back unchanged (no forged field,
 * no second event), or an event name with a line end is refused; and the frame's chunk on HTTP/1.1 carries exactly
 * the frame's bytes.
 */
class SseFramesFuzzTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    @FuzzTest(maxDuration = "5m")
    void everyFrameIsOneEventAndOneChunk(FuzzedDataProvider input) {
        String event = input.consumeBoolean() ? null : input.consumeString(64);
        String data = input.consumeRemainingAsString();
        if (event != null && event.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
            assertThatThrownBy(() -> SseFrames.frame(ALLOC, new TextId("1.a"), event, data))
                    .isInstanceOf(IllegalArgumentException.class);
            return;
        }
        ByteBuf frame = SseFrames.frame(ALLOC, 3000, new TextId("1.a"), event, data);
        byte[] bytes = ByteBufUtil.getBytes(frame);
        SseFramesPropertyTest.Parsed parsed = SseFramesPropertyTest.parse(bytes);
        String type = event == null || event.isEmpty() ? "message" : utf8(event);
        assertThat(parsed.events()).containsExactly(new SseFramesPropertyTest.Dispatched("1.a", type,
                SseFramesPropertyTest.normalizeLineEnds(utf8(data))));
        assertThat(parsed.pendingAtEnd()).isFalse();

        ByteBuf chunk = (ByteBuf) ChunkedFraming.INSTANCE.own(frame);
        assertThat(dechunk(ByteBufUtil.getBytes(chunk))).isEqualTo(bytes);
        chunk.release();
    }

    /** What survives UTF-8: an unpaired surrogate becomes '?', as the JDK's encoder makes it. */
    private static String utf8(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /** One chunk: hex size, CRLF, that many bytes, CRLF, and nothing more. */
    private static byte[] dechunk(byte[] chunk) {
        String text = new String(chunk, StandardCharsets.ISO_8859_1);
        int lineEnd = text.indexOf("\r\n");
        int size = Integer.parseInt(text.substring(0, lineEnd), 16);
        assertThat(chunk.length).isEqualTo(lineEnd + 2 + size + 2);
        assertThat(text.substring(lineEnd + 2 + size)).isEqualTo("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(chunk, lineEnd + 2, size);
        return out.toByteArray();
    }
}
