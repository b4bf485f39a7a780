package io.ssebroker.engine.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Keeps the order of one node's takes of a user's presence changes: Redis carries them out in the order they are sent
 * (one user's outbox is on one connection), and what each took is handed on in that order too. A take whose answer
 * was lost is run again (its request id answers what its first run took) and may be answered after a later take
 * that was: that one's changes wait until the earlier take's were handed on, or it was given up. Without it an
 * offline could be posted before the online that came before it.
 *
 * <p>Threads: any; a take is sent under the user's entry in the map, so that the order of sending is the order of
 * the turns.
 */
final class TakeTurns {
    /** Per user: completes when the last take sent for the user was handed on (or given up). */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> lastTurn = new ConcurrentHashMap<>();

    /**
     * Sends a take of the user's changes now, and answers what it took once every take sent before it for the user
     * was handed on. {@code handedOn} is this take's turn: the caller completes it once it has handed on what the take
     * took, or the take failed, on every path; the next take waits for it.
     */
    <T> CompletableFuture<T> inTurn(String uid, Supplier<CompletableFuture<T>> take, CompletableFuture<Void> handedOn) {
        AtomicReference<CompletableFuture<Void>> before = new AtomicReference<>();
        AtomicReference<CompletableFuture<T>> taken = new AtomicReference<>();
        lastTurn.compute(uid, (user, last) -> {
            before.set(last);
            taken.set(take.get());
            return handedOn;
        });
        handedOn.whenComplete((done, error) -> lastTurn.remove(uid, handedOn));
        if (before.get() == null) {
            return taken.get();
        }
        // answered only once the earlier take's changes were handed on, whatever became of them
        CompletableFuture<T> inTurn = new CompletableFuture<>();
        taken.get().whenComplete((value, error) -> before.get().whenComplete((earlier, itsError) -> {
            if (error != null) {
                inTurn.completeExceptionally(error);
            } else {
                inTurn.complete(value);
            }
        }));
        return inTurn;
    }
}
