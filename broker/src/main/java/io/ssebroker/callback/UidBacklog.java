package io.ssebroker.callback;

import io.ssebroker.engine.StateChange;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The undelivered state changes of one uid, in the order they happened. One of them at most is being posted
 * ({@link #inFlight}); the next waits for it, so that the receiver sees a uid's changes in order. A held offline at
 * the head holds back the changes behind it for the same reason. Used by the dispatcher's thread only.
 */
final class UidBacklog {
    private final ArrayDeque<PendingChange> changes = new ArrayDeque<>();
    private boolean inFlight;

    void add(PendingChange change) {
        changes.addLast(change);
    }

    /** Removes the most recent held offline that this online takes back; returns it, or null when there is none. */
    PendingChange takeBack(StateChange online, long nowNanos) {
        Iterator<PendingChange> newestFirst = changes.descendingIterator();
        while (newestFirst.hasNext()) {
            PendingChange held = newestFirst.next();
            if (held.undoneBy(online, nowNanos)) {
                newestFirst.remove();
                return held;
            }
        }
        return null;
    }

    /**
     * The change to post next; null while one is in flight, when the backlog is empty, or while the first change
     * is held (unless {@code ignoreHolds}).
     */
    PendingChange peekDue(long nowNanos, boolean ignoreHolds) {
        PendingChange first = changes.peekFirst();
        if (inFlight || first == null || (!ignoreHolds && first.heldAt(nowNanos))) {
            return null;
        }
        return first;
    }

    void removeFirst() {
        changes.removeFirst();
    }

    void setInFlight(boolean inFlight) {
        this.inFlight = inFlight;
    }

    boolean isIdle() {
        return !inFlight && changes.isEmpty();
    }
}
