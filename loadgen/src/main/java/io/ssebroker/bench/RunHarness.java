package io.ssebroker.bench;

import java.util.concurrent.TimeUnit;

/**
 * What every scenario starts with and ends by closing: publisher connections, the subscribers, progress lines,
 * and the target prepared for the run's number of connections.
 */
final class RunHarness implements AutoCloseable {
    /** Long enough for a server to take the presence of the warm-up's connections away, in Redis too. */
    private static final long REST_AFTER_WARM_UP_MILLIS = 3_000;

    final Deliveries deliveries = new Deliveries();
    final HttpRequester publisher;
    final Subscribers subscribers;
    final Progress progress;
    private final RunContext context;

    RunHarness(RunContext context, Scenario scenario) throws Exception {
        this.context = context;
        Target target = context.target();
        publisher = new HttpRequester(context.publishing(), target.publishAddresses(), context.settings().publishers());
        subscribers = new Subscribers(context.transport(), target, deliveries);
        progress = new Progress(scenario.label + " " + target.name(), new LiveStatus(subscribers, deliveries), context.log());
        progress.phase("preparing");
        target.prepare(publisher, context.settings().connections());
    }

    BenchResult.Connect openSubscriptions() throws InterruptedException {
        progress.phase("connecting");
        return open(subscribers);
    }

    /**
     * Opens every subscription and closes them again, storm after storm for the warm-up time (at least once), then
     * rests while the server finishes the last closes: its connect path is then compiled and its caches filled, as in
     * a server that has been running for a while. One storm is not enough for a JVM: its compiler is still busy with
     * the connect path during the next, and its heap still grows into new memory. Storms go on past the warm-up time
     * while either is (see {@link WarmUpSettling}).
     */
    void warmUpConnects() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(context.settings().warmupSeconds());
        do {
            warmUpStorm();
        } while (System.nanoTime() < end);
        WarmUpSettling.settle(context.server(), context.settings().settleSeconds(), this::warmUpStorm, progress);
        progress.phase("resting");
        Thread.sleep(REST_AFTER_WARM_UP_MILLIS);
    }

    private void warmUpStorm() throws InterruptedException {
        progress.phase("warm-up storm");
        try (Subscribers warmUp = new Subscribers(context.transport(), context.target(), new Deliveries())) {
            open(warmUp);
        }
    }

    private BenchResult.Connect open(Subscribers set) throws InterruptedException {
        BenchSettings settings = context.settings();
        return set.open(settings.connections(), settings.connectConcurrency(),
                TimeUnit.SECONDS.toNanos(settings.openTimeoutSeconds()));
    }

    @Override
    public void close() {
        progress.close();
        subscribers.close();
        publisher.close();
    }
}
