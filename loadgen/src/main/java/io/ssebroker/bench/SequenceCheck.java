package io.ssebroker.bench;

import java.util.Arrays;

/**
 * Tells fresh messages from repeats on one connection. Sequences rise per stream (the broadcast, or one user's
 * messages), but publications sent over several publisher connections at once may be accepted, and so arrive, in
 * another order; so the check remembers which of the {@value #WINDOW} sequences above everything seen were seen.
 * Losses are counted from the totals instead: expected minus fresh deliveries.
 */
final class SequenceCheck {
    static final int WINDOW = 1024;

    /** Bit {@code s % WINDOW}: sequence s, in (base, base + WINDOW], was seen. */
    private final long[] seen = new long[WINDOW / Long.SIZE];
    /** Every sequence up to this one was seen, or fell behind the window. */
    private long base;

    /** True when {@code sequence} was not seen before on this connection. */
    boolean isFresh(long sequence) {
        if (sequence <= base) {
            return false;
        }
        if (sequence - base > 2L * WINDOW) {
            Arrays.fill(seen, 0);
            base = sequence - WINDOW;
        }
        while (sequence > base + WINDOW) {
            clear(++base);
        }
        if (isSet(sequence)) {
            return false;
        }
        set(sequence);
        while (isSet(base + 1)) {
            clear(++base);
        }
        return true;
    }

    private boolean isSet(long sequence) {
        int bit = (int) (sequence % WINDOW);
        return (seen[bit >>> 6] & (1L << bit)) != 0;
    }

    private void set(long sequence) {
        int bit = (int) (sequence % WINDOW);
        seen[bit >>> 6] |= 1L << bit;
    }

    private void clear(long sequence) {
        int bit = (int) (sequence % WINDOW);
        seen[bit >>> 6] &= ~(1L << bit);
    }
}
