package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StampedEventParserTest {
    private final List<Stamp> stamps = new ArrayList<>();
    private final StampedEventParser parser = new StampedEventParser(stamps::add);

    private void feed(String... chunks) {
        for (String chunk : chunks) {
            ByteBuf bytes = Unpooled.copiedBuffer(chunk, StandardCharsets.UTF_8);
            parser.feed(bytes);
            bytes.release();
        }
    }

    @Test
    void readsTheStampOfEachUnnamedEvent() {
        feed("id: a.1\ndata: 1:1000\n\nid: a.2\ndata: 2:2000\n\n");

        assertThat(stamps).containsExactly(new Stamp(1, 1000), new Stamp(2, 2000));
    }

    @Test
    void eventsMayBeSplitAnywhereAcrossReads() {
        String stream = "retry: 3000\n\nid: x\ndata: 17:123456789 padding-padding\n\n:heartbeat\n\ndata: 18:5\n\n";
        for (int i = 0; i < stream.length(); i++) {
            feed(stream.substring(i, i + 1));
        }

        assertThat(stamps).containsExactly(new Stamp(17, 123456789), new Stamp(18, 5));
    }

    @Test
    void skipsNamedEventsCommentsAndDataThatIsNoStamp() {
        feed("event: sys_connected\nid: c\ndata: 127.0.0.1:4242\n\n",
                "event: sys_kick_offline\ndata: 5:6\n\n",
                ": 1:2\n\n",
                "data: hello\n\n",
                "data: 12:\n\n",
                "data: 12:34x\n\n",
                "event: message\ndata: 7:8\n\n");

        assertThat(stamps).containsExactly(new Stamp(7, 8));
    }

    @Test
    void acceptsCarriageReturnLineEndsAndNoSpaceAfterTheColon() {
        feed("data:3:4\r\n\r\ndata: 5:6\r\r");

        assertThat(stamps).containsExactly(new Stamp(3, 4), new Stamp(5, 6));
    }

    @Test
    void onlyTheFirstDataLineOfAnEventCounts() {
        feed("data: 1:1\ndata: 2:2\n\n");

        assertThat(stamps).containsExactly(new Stamp(1, 1));
    }

    @Test
    void longLinesAreCutWithoutLosingTheStamp() {
        feed("data: 9:99 " + "y".repeat(10_000) + "\n\n");

        assertThat(stamps).containsExactly(new Stamp(9, 99));
    }

    @Test
    void payloadRoundTrips() {
        byte[] plain = new Stamp(42, 987654321L).payload("").getBytes(StandardCharsets.US_ASCII);
        byte[] padded = new Stamp(42, 987654321L).payload("xxxx").getBytes(StandardCharsets.US_ASCII);

        assertThat(Stamp.parse(plain, 0, plain.length)).isEqualTo(new Stamp(42, 987654321L));
        assertThat(Stamp.parse(padded, 0, padded.length)).isEqualTo(new Stamp(42, 987654321L));
        assertThat(new String(padded, StandardCharsets.US_ASCII)).isEqualTo("42:987654321 xxxx");
    }
}
