package io.ssebroker.broker;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An engine whose registrations (and, once asked, removals and replays) are answered only when the test says so: they
 * are made at once, in the order they come, by the engine it forwards to.
 */
final class HeldRegistrations extends ForwardingEngine {
    private final List<CompletableFuture<Void>> answers = new CopyOnWriteArrayList<>();
    private volatile boolean answering;
    private volatile CompletableFuture<Void> removalsAnswered = CompletableFuture.completedFuture(null);
    private volatile CompletableFuture<Void> replaysAnswered = CompletableFuture.completedFuture(null);

    HeldRegistrations(Engine engine) {
        super(engine);
    }

    /** Answers the registrations made so far, and those to come at once. */
    void answerRegistrations() {
        answering = true;
        answers.forEach(answer -> answer.complete(null));
    }

    /** Answers the registration made {@code index}th (from 0). */
    void answerRegistration(int index) {
        answers.get(index).complete(null);
    }

    void holdReplays() {
        replaysAnswered = new CompletableFuture<>();
    }

    void answerReplays() {
        replaysAnswered.complete(null);
    }

    @Override
    public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
        CompletableFuture<Replay> made = super.replay(uid, device, from);
        return replaysAnswered.thenCompose(answered -> made);
    }

    void holdRemovals() {
        removalsAnswered = new CompletableFuture<>();
    }

    void answerRemovals() {
        removalsAnswered.complete(null);
    }

    @Override
    public CompletableFuture<Boolean> unregister(DeviceSession session, String reason) {
        CompletableFuture<Boolean> made = super.unregister(session, reason);
        return removalsAnswered.thenCompose(answered -> made);
    }

    @Override
    public CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis) {
        CompletableFuture<Registration> made = super.register(session, maxDevicesPerUser, tokenIssuedAtMillis);
        CompletableFuture<Void> answer = answering ? CompletableFuture.completedFuture(null) : new CompletableFuture<>();
        answers.add(answer);
        return answer.thenCompose(answered -> made);
    }
}
