package io.ssebroker.bench;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads an SSE byte stream and hands over the {@link Stamp} of each unnamed event whose first data line carries
 * one. Comments, ids, retry lines and named events (the brokers' own system events) are skipped. Only the first
 * bytes of a line are kept, so a connection costs a few dozen bytes however long the messages are.
 */
final class StampedEventParser implements ByteProcessor {
    interface Listener {
        void onStamp(Stamp stamp);
    }

    /** Long enough for "data: " and two 18-digit numbers. */
    private static final int KEPT = 64;
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE = "message".getBytes(StandardCharsets.US_ASCII);

    private final Listener listener;
    private final byte[] line = new byte[KEPT];
    private int length;
    private boolean afterCarriageReturn;
    private boolean named;
    private boolean dataSeen;
    private Stamp stamp;

    StampedEventParser(Listener listener) {
        this.listener = listener;
    }

    void feed(ByteBuf bytes) {
        bytes.forEachByte(this);
    }

    @Override
    public boolean process(byte b) {
        if (b == '\n' && afterCarriageReturn) {
            afterCarriageReturn = false;
            return true;
        }
        afterCarriageReturn = b == '\r';
        if (b == '\n' || b == '\r') {
            endLine();
        } else if (length < KEPT) {
            line[length++] = b;
        }
        return true;
    }

    private void endLine() {
        if (length == 0) {
            if (stamp != null && !named) {
                listener.onStamp(stamp);
            }
            stamp = null;
            named = false;
            dataSeen = false;
        } else if (startsWith(DATA)) {
            if (!dataSeen) {
                dataSeen = true;
                stamp = Stamp.parse(line, valueStart(DATA.length), length);
            }
        } else if (startsWith(EVENT)) {
            int from = valueStart(EVENT.length);
            named = !Arrays.equals(line, from, length, MESSAGE, 0, MESSAGE.length);
        }
        length = 0;
    }

    private boolean startsWith(byte[] prefix) {
        return length >= prefix.length && Arrays.equals(line, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** A field's value starts after its colon and one optional space. */
    private int valueStart(int afterColon) {
        return afterColon < length && line[afterColon] == ' ' ? afterColon + 1 : afterColon;
    }
}
