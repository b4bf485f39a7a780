package io.ssebroker.callback;

import io.ssebroker.engine.StateChange;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * The undelivered state changes of one uid, in the order they happened. One of them at most is being posted
 * ({@link #inFlight}); the next waits for it, so that the receiver sees a uid's changes in order. A held offline at
 * the head holds back the changes behind it for the same reason. A held offline of a kind posted nowhere is kept
 * apart, only for an online to take it back within its grace: it holds nothing back. Used by the dispatcher's thread
 * only.
 */
final class UidBacklog {
    private final ArrayDeque<PendingChange> changes = new ArrayDeque<>();
    /** Held offlines of a kind that has no URL, oldest first. */
    private final ArrayDeque<PendingChange> unposted = new ArrayDeque<>();
    private boolean inFlight;

    void add(PendingChange change) {
        changes.addLast(change);
    }

    /** Keeps a held offline that is posted nowhere, for its grace, to be taken back. */
    void addUnposted(PendingChange change) {
        unposted.addLast(change);
    }

    /** Drops the unposted offlines whose grace has passed (all of them with {@code all}), handing each to {@code dropped}. */
    void dropUnposted(long nowNanos, boolean all, Consumer<PendingChange> dropped) {
        for (PendingChange first = unposted.peekFirst(); first != null && (all || !first.heldAt(nowNanos));
             first = unposted.peekFirst()) {
            dropped.accept(unposted.removeFirst());
        }
    }

    /** Removes the most recent held offline that this online takes back; returns it, or null when there is none. */
    PendingChange takeBack(StateChange online, long nowNanos) {
        PendingChange held = takeBack(changes, online, nowNanos);
        return held != null ? held : takeBack(unposted, online, nowNanos);
    }

    private static PendingChange takeBack(ArrayDeque<PendingChange> from, StateChange online, long nowNanos) {
        Iterator<PendingChange> newestFirst = from.descendingIterator();
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
        return !inFlight && changes.isEmpty() && unposted.isEmpty();
    }
}
