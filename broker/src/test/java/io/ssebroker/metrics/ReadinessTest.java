package io.ssebroker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineUnavailableException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Readiness decided from the engine's canary round trip, with an engine whose canary the test controls. */
class ReadinessTest {
    private final AtomicInteger pings = new AtomicInteger();

    @Test
    void readyWhenTheCanaryComesBack() throws Exception {
        Readiness readiness = new Readiness(engine(() -> CompletableFuture.completedFuture(null)), Duration.ofSeconds(2));
        assertThat(readiness.check().get(1, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void notReadyWhenTheEngineCannotBeReached() throws Exception {
        Readiness readiness = new Readiness(engine(() -> CompletableFuture.failedFuture(
                new EngineUnavailableException("connection refused", null))), Duration.ofSeconds(2));
        assertThat(readiness.check().get(1, TimeUnit.SECONDS)).contains(
                new Readiness.NotReady("engine unavailable", "connection refused"));
    }

    @Test
    void notReadyWhenTheCanaryDoesNotComeBackInTimeAndTheEnginesFutureIsLeftAlone() throws Exception {
        CompletableFuture<Void> lost = new CompletableFuture<>();
        Readiness readiness = new Readiness(engine(() -> lost), Duration.ofMillis(100));
        assertThat(readiness.check().get(2, TimeUnit.SECONDS).map(Readiness.NotReady::detailed))
                .contains("engine canary not received back within 100 ms");
        assertThat(lost).isNotDone();
    }

    @Test
    void overlappingChecksShareOneCanary() throws Exception {
        CompletableFuture<Void> first = new CompletableFuture<>();
        Readiness readiness = new Readiness(engine(() -> pings.get() == 1 ? first : CompletableFuture.completedFuture(null)),
                Duration.ofSeconds(2));
        CompletableFuture<Optional<Readiness.NotReady>> a = readiness.check();
        CompletableFuture<Optional<Readiness.NotReady>> b = readiness.check();
        assertThat(pings).hasValue(1);
        first.complete(null);
        assertThat(a.get(1, TimeUnit.SECONDS)).isEmpty();
        assertThat(b.get(1, TimeUnit.SECONDS)).isEmpty();
        readiness.check().get(1, TimeUnit.SECONDS);
        assertThat(pings).as("a finished probe is not reused").hasValue(2);
    }

    @Test
    void notReadyOnceDrainingStarted() throws Exception {
        Readiness readiness = new Readiness(engine(() -> CompletableFuture.completedFuture(null)), Duration.ofSeconds(2));
        readiness.startDraining();
        assertThat(readiness.check().get(1, TimeUnit.SECONDS).map(Readiness.NotReady::detailed))
                .contains("draining: the node is shutting down");
        assertThat(pings).as("no canary while draining").hasValue(0);
    }

    /** An engine that answers {@code ping()} only; anything else is a test failure. */
    private Engine engine(Supplier<CompletableFuture<Void>> ping) {
        return (Engine) Proxy.newProxyInstance(Engine.class.getClassLoader(), new Class<?>[] {Engine.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("ping")) {
                        pings.incrementAndGet();
                        return ping.get();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
