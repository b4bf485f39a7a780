package io.ssebroker.engine.redis;

/**
 * Converts Redis stream ids ({@code <ms>-<seq>}) to the long offsets of cursors and back: the milliseconds in the
 * high bits, the sequence in the low 20, so offsets order like ids.
 */
final class StreamIds {
    private static final int SEQUENCE_BITS = 20;
    private static final long SEQUENCE_MASK = (1L << SEQUENCE_BITS) - 1;

    private StreamIds() {
    }

    static long toOffset(String id) {
        if (id == null || id.isEmpty()) {
            return 0;
        }
        int dash = id.indexOf('-');
        long millis = Long.parseLong(id.substring(0, dash));
        long sequence = Long.parseLong(id.substring(dash + 1));
        return (millis << SEQUENCE_BITS) | Math.min(sequence, SEQUENCE_MASK);
    }

    static String toId(long offset) {
        return (offset >>> SEQUENCE_BITS) + "-" + (offset & SEQUENCE_MASK);
    }
}
