package io.ssebroker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.NodeStatus;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * An engine that times every command of the engine it wraps, by command and outcome ({@code ok}, {@code unavailable}
 * when the store could not be reached, {@code error} otherwise), and counts the messages published.
 */
public final class MeteredEngine implements Engine {
    private final Engine engine;
    private final Counter published;
    private final Command publish;
    private final Command register;
    private final Command unregister;
    private final Command replay;
    private final Command kick;
    private final Command isRevoked;
    private final Command markEnded;
    private final Command isEnded;
    private final Command deviceLookup;
    private final Command userDevices;
    private final Command nodes;
    private final Command userCount;
    private final Command ping;

    public MeteredEngine(Engine engine, MeterRegistry registry) {
        this.engine = engine;
        this.published = Counter.builder("sse.broker.messages.published")
                .description("messages accepted by the engine from /send").register(registry);
        this.publish = new Command("publish", registry);
        this.register = new Command("register", registry);
        this.unregister = new Command("unregister", registry);
        this.replay = new Command("replay", registry);
        this.kick = new Command("kick", registry);
        this.isRevoked = new Command("is_revoked", registry);
        this.markEnded = new Command("mark_ended", registry);
        this.isEnded = new Command("is_ended", registry);
        this.deviceLookup = new Command("device", registry);
        this.userDevices = new Command("user_devices", registry);
        this.nodes = new Command("nodes", registry);
        this.userCount = new Command("user_count", registry);
        this.ping = new Command("ping", registry);
    }

    @Override
    public void start(EngineListener listener) {
        engine.start(listener);
    }

    @Override
    public CompletableFuture<Integer> publish(Publication publication) {
        return publish.time(() -> engine.publish(publication)).whenComplete((online, error) -> {
            if (error == null) {
                published.increment();
            }
        });
    }

    @Override
    public CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis) {
        return register.time(() -> engine.register(session, maxDevicesPerUser, tokenIssuedAtMillis));
    }

    @Override
    public CompletableFuture<Boolean> unregister(DeviceSession session, String reason) {
        return unregister.time(() -> engine.unregister(session, reason));
    }

    @Override
    public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
        return replay.time(() -> engine.replay(uid, device, from));
    }

    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data) {
        return kick.time(() -> engine.kick(uids, devices, data));
    }

    @Override
    public CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis) {
        return isRevoked.time(() -> engine.isRevoked(uid, device, issuedAtMillis));
    }

    @Override
    public void takeBackReplaced(DeviceSession session, DeviceSession replaced, boolean replacedEnded) {
        engine.takeBackReplaced(session, replaced, replacedEnded);
    }

    @Override
    public void markEnded(String uid, String nonce) {
        markEnded.time(() -> {
            engine.markEnded(uid, nonce);
            return CompletableFuture.completedFuture(null);
        });
    }

    @Override
    public CompletableFuture<Boolean> isEnded(String uid, String nonce) {
        return isEnded.time(() -> engine.isEnded(uid, nonce));
    }

    @Override
    public CompletableFuture<Optional<DeviceSession>> device(String device) {
        return deviceLookup.time(() -> engine.device(device));
    }

    @Override
    public CompletableFuture<List<DeviceSession>> userDevices(String uid) {
        return userDevices.time(() -> engine.userDevices(uid));
    }

    @Override
    public CompletableFuture<List<NodeStatus>> nodes() {
        return nodes.time(engine::nodes);
    }

    @Override
    public CompletableFuture<Integer> userCount() {
        return userCount.time(engine::userCount);
    }

    @Override
    public CompletableFuture<Void> ping() {
        return ping.time(engine::ping);
    }

    @Override
    public void close() {
        engine.close();
    }

    /**
     * The timers of one command. The {@code ok} timer is resolved once, so that timing a call costs no registry
     * lookup; the failure timers appear on the first failure (a lookup then is cheap next to the failure).
     */
    private static final class Command {
        private final String name;
        private final MeterRegistry registry;
        private final Timer ok;

        Command(String name, MeterRegistry registry) {
            this.name = name;
            this.registry = registry;
            this.ok = timer("ok");
        }

        private Timer timer(String outcome) {
            return LatencyTimers.builder("sse.broker.engine.commands").tag("command", name).tag("outcome", outcome)
                    .description("engine commands by outcome: ok, unavailable (store unreachable) or error")
                    .register(registry);
        }

        /** Runs the call and records its time when its future completes; a call that throws counts as failed. */
        <T> CompletableFuture<T> time(Supplier<CompletableFuture<T>> call) {
            long start = System.nanoTime();
            CompletableFuture<T> future;
            try {
                future = call.get();
            } catch (RuntimeException e) {
                record(start, e);
                throw e;
            }
            return future.whenComplete((value, failure) -> record(start, failure));
        }

        private void record(long start, Throwable failure) {
            Throwable cause = failure == null ? null : Failures.cause(failure);
            Timer timer = cause == null ? ok : timer(cause instanceof EngineUnavailableException ? "unavailable" : "error");
            timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}
