package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** A cursor written into a frame reads back as the position it was written from, whatever the offsets. */
class CursorTest {
    private static final byte[] PREFIX = Cursor.prefix("1vr7bhydwu", "user-1965", "1icgapg79b9kt");

    @Property
    void writtenCursorIsTheFormattedTextAndParsesBack(@ForAll @LongRange(min = 0) long userOffset,
                                                      @ForAll @LongRange(min = 0) long broadcastOffset) {
        ByteBuf buf = Unpooled.buffer(4);
        try {
            Cursor.write(buf, PREFIX, userOffset, broadcastOffset);
            String written = buf.toString(StandardCharsets.US_ASCII);

            assertThat(written).isEqualTo(Cursor.format(PREFIX, userOffset, broadcastOffset));
            assertThat(buf.readableBytes()).isEqualTo(Cursor.length(PREFIX, userOffset, broadcastOffset));
            Cursor parsed = Cursor.parse(written).orElseThrow();
            assertThat(parsed.userOffset()).isEqualTo(userOffset);
            assertThat(parsed.broadcastOffset()).isEqualTo(broadcastOffset);
            assertThat(parsed.epoch()).isEqualTo("1vr7bhydwu");
            assertThat(parsed.uidTag()).isEqualTo(Cursor.uidTag("user-1965"));
        } finally {
            buf.release();
        }
    }

    @Example
    void offsetsAtTheirBoundsAreWrittenInFull() {
        for (long offset : new long[] {0, 35, 36, Long.MAX_VALUE}) {
            ByteBuf buf = Unpooled.buffer(4);
            Cursor.write(buf, PREFIX, offset, offset);
            assertThat(buf.toString(StandardCharsets.US_ASCII)).endsWith(
                    "." + Long.toString(offset, 36) + "." + Long.toString(offset, 36));
            buf.release();
        }
    }

    @Example
    void anEpochThatCouldBreakTheIdLineIsRefused() {
        // the epoch may come from Redis; a cursor is written into frames unchecked, so it is checked here
        for (String epoch : new String[] {"1\n", "a\rb", "x\0", "é", "a b"}) {
            assertThatThrownBy(() -> Cursor.prefix(epoch, "u", "n")).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
