package io.ssebroker.metrics;

import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether this node should get traffic ({@code /readyz}): not while it drains, and only when a canary sent through
 * the engine comes back to it within the deadline, which proves both that the engine is reachable and that
 * messages published there reach this node. Probes that overlap share one canary, so a crowd of load-balancer
 * checks costs the engine one round trip.
 */
public final class Readiness {
    /**
     * Why the node is not ready: a reason anyone may be told, and what caused it (null when nothing more is known),
     * which may name internal addresses or users (a Redis error, a user's channel under repair): told to publishers
     * alone.
     */
    public record NotReady(String reason, String cause) {
        /** The reason, with its cause when there is one. */
        public String detailed() {
            return cause == null ? reason : reason + ": " + cause;
        }
    }

    private final Engine engine;
    private final Duration deadline;
    private volatile boolean draining;
    private CompletableFuture<Optional<NotReady>> probe;

    public Readiness(Engine engine, Duration deadline) {
        this.engine = engine;
        this.deadline = deadline;
    }

    /** Completes with empty when ready, else with why the node is not. Never fails. */
    public CompletableFuture<Optional<NotReady>> check() {
        if (draining) {
            return CompletableFuture.completedFuture(Optional.of(new NotReady("draining: the node is shutting down", null)));
        }
        synchronized (this) {
            if (probe == null || probe.isDone()) {
                probe = canary();
            }
            return probe;
        }
    }

    /** From now on the node is not ready: it is shutting down and hands its clients to other nodes. */
    public void startDraining() {
        draining = true;
    }

    private CompletableFuture<Optional<NotReady>> canary() {
        CompletableFuture<Void> roundTrip;
        try {
            // A copy: the deadline must not complete the engine's own future.
            roundTrip = engine.ping().copy();
        } catch (RuntimeException e) {
            roundTrip = CompletableFuture.failedFuture(e);
        }
        return roundTrip.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .handle((done, error) -> error == null ? Optional.empty() : Optional.of(reason(error)));
    }

    private NotReady reason(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof TimeoutException) {
            return new NotReady("engine canary not received back within " + deadline.toMillis() + " ms", null);
        }
        if (cause instanceof EngineUnavailableException) {
            return new NotReady("engine unavailable", cause.getMessage());
        }
        return new NotReady("engine check failed", cause.toString());
    }
}
