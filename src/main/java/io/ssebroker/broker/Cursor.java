package io.ssebroker.broker;

import io.ssebroker.engine.Position;
import java.util.Optional;

/**
 * The SSE {@code id:} of a frame: the engine's epoch, a tag of the uid (a cursor of another user is not reused),
 * the connection's nonce (a kicked or extruded connection is recognised when it comes back), and the offsets
 * reached in the user stream and the broadcast stream. Opaque to clients; only [0-9a-z.] characters.
 */
public record Cursor(String epoch, String uidTag, String nonce, long userOffset, long broadcastOffset) {
    private static final int MAX_LENGTH = 128;

    public static String uidTag(String uid) {
        return Integer.toString(uid.hashCode() & 0x7fffffff, 36);
    }

    /** The text up to the offsets; constant for one connection. */
    public static String prefix(String epoch, String uid, String nonce) {
        return epoch + '.' + uidTag(uid) + '.' + nonce + '.';
    }

    public static String format(String prefix, long userOffset, long broadcastOffset) {
        return prefix + Long.toString(userOffset, 36) + '.' + Long.toString(broadcastOffset, 36);
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
                    Long.parseLong(parts[3], 36), Long.parseLong(parts[4], 36)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
