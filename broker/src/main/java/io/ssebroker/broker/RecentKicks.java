package io.ssebroker.broker;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kicks this node was asked for lately. A connection that was still being registered when a kick came was not
 * found by it; once attached, it looks here for a kick of its user or device that came meanwhile and was decided
 * at or after its token was issued, and ends itself with that kick's data. Kept for a minute (a registration takes
 * milliseconds) and at most {@link #MAX_KICKS}.
 */
final class RecentKicks {
    private static final long KEEP_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int MAX_KICKS = 4096;

    /** A kick, numbered in the order this node was asked for it. */
    private record Kick(long sequence, Set<String> uids, Set<String> devices, String data, long kickedAtMillis,
                        long receivedNanos) {
    }

    private final ArrayDeque<Kick> kicks = new ArrayDeque<>();

    /**
     * Adds a kick, numbered by moving {@code endsAsked} (the count that connections compare before and after they
     * attach) here, under this class's lock: a connection that sees the count moved and looks here finds the kick,
     * never a number whose kick is not added yet (it would end without the kick's data).
     */
    synchronized void add(AtomicLong endsAsked, Set<String> uids, Set<String> devices, String data, long kickedAtMillis) {
        long sequence = endsAsked.incrementAndGet();
        long now = System.nanoTime();
        while (!kicks.isEmpty() && (kicks.size() >= MAX_KICKS || now - kicks.peekFirst().receivedNanos() > KEEP_NANOS)) {
            kicks.removeFirst();
        }
        kicks.addLast(new Kick(sequence, Set.copyOf(uids), Set.copyOf(devices), data, kickedAtMillis, now));
    }

    /**
     * The data of the latest kick numbered after {@code after} that ends a connection of this uid and device whose
     * token was issued at {@code tokenIssuedAtMillis}; null when there is none.
     */
    synchronized String endingKick(long after, String uid, String device, long tokenIssuedAtMillis) {
        for (Iterator<Kick> newestFirst = kicks.descendingIterator(); newestFirst.hasNext(); ) {
            Kick kick = newestFirst.next();
            if (kick.sequence() <= after) {
                continue; // asked for before the connection: an older kick added late, or the newer ones end here
            }
            if ((kick.uids().contains(uid) || kick.devices().contains(device)) && tokenIssuedAtMillis <= kick.kickedAtMillis()) {
                return kick.data();
            }
        }
        return null;
    }
}
