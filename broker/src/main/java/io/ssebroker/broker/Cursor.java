package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.ssebroker.engine.Position;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The SSE {@code id:} of a frame: the engine's epoch, a tag of the uid (a cursor of another user is not reused),
 * the connection's nonce (a kicked or extruded connection is recognised when it comes back), and the offsets
 * reached in the user stream and the broadcast stream. Opaque to clients; only [0-9a-z.] characters.
 */
public record Cursor(String epoch, String uidTag, String nonce, long userOffset, long broadcastOffset) {
    private static final int MAX_LENGTH = 128;
    private static final int RADIX = 36;

    public static String uidTag(String uid) {
        return Integer.toString(uid.hashCode() & 0x7fffffff, RADIX);
    }

    /**
     * The bytes up to the offsets, constant for one connection. Checked here, once per connection, so that a
     * cursor is always safe on an {@code id:} line (the epoch may come from Redis) and frames need not check it.
     */
    public static byte[] prefix(String epoch, String uid, String nonce) {
        String text = epoch + '.' + uidTag(uid) + '.' + nonce + '.';
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("a cursor must be printable ASCII: " + text);
            }
        }
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    public static String format(byte[] prefix, long userOffset, long broadcastOffset) {
        return new String(prefix, StandardCharsets.US_ASCII) + Long.toString(userOffset, RADIX) + '.'
                + Long.toString(broadcastOffset, RADIX);
    }

    /** How many bytes {@link #write} writes. */
    public static int length(byte[] prefix, long userOffset, long broadcastOffset) {
        return prefix.length + digits(userOffset) + 1 + digits(broadcastOffset);
    }

    /** Writes the same text as {@link #format}, straight into a frame's buffer. */
    public static void write(ByteBuf buf, byte[] prefix, long userOffset, long broadcastOffset) {
        buf.writeBytes(prefix);
        writeDigits(buf, userOffset);
        buf.writeByte('.');
        writeDigits(buf, broadcastOffset);
    }

    public Position position() {
        return new Position(epoch, userOffset, broadcastOffset);
    }

    /** Parses a cursor; empty for anything this broker did not write. */
    public static Optional<Cursor> parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length != 5) {
            return Optional.empty();
        }
        for (String part : parts) {
            if (part.isEmpty() || !part.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                return Optional.empty();
            }
        }
        try {
            return Optional.of(new Cursor(parts[0], parts[1], parts[2],
                    Long.parseLong(parts[3], RADIX), Long.parseLong(parts[4], RADIX)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static int digits(long value) {
        if (value < 0) {
            return Long.toString(value, RADIX).length();
        }
        int digits = 1;
        for (long rest = value / RADIX; rest > 0; rest /= RADIX) {
            digits++;
        }
        return digits;
    }

    private static void writeDigits(ByteBuf buf, long value) {
        if (value < 0) {
            buf.writeCharSequence(Long.toString(value, RADIX), StandardCharsets.US_ASCII);
            return;
        }
        int digits = digits(value);
        buf.ensureWritable(digits);
        int end = buf.writerIndex() + digits;
        buf.writerIndex(end);
        long rest = value;
        for (int at = end - 1; ; at--) {
            buf.setByte(at, Character.forDigit((int) (rest % RADIX), RADIX));
            rest /= RADIX;
            if (rest == 0) {
                return;
            }
        }
    }
}
