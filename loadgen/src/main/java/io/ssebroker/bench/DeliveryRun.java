package io.ssebroker.bench;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The broadcast and unicast scenarios: open the subscriptions, publish through a warm-up (longer while the server
 * is still warming up, see {@link WarmUpSettling}) and then a measured window, let what is in flight arrive,
 * and count. Server CPU is taken over the measured window only.
 */
final class DeliveryRun {
    private static final long DRAIN_POLL_MILLIS = 10;
    private static final long SETTLE_STEP_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final RunContext context;

    DeliveryRun(RunContext context) {
        this.context = context;
    }

    BenchResult run(Scenario scenario) throws Exception {
        boolean broadcast = scenario == Scenario.BROADCAST;
        BenchSettings settings = context.settings();
        Optional<ServerProbe> server = context.server();
        try (RunHarness harness = new RunHarness(context, scenario)) {
            Deliveries deliveries = harness.deliveries;
            BenchResult.Connect connect = harness.openSubscriptions();
            if (connect.opened() == 0) {
                throw new IllegalStateException("no subscription opened on " + context.target().subscribeAddress(0));
            }
            PublishLoop publishing = new PublishLoop(context.target(), harness.publisher, settings.publishers(),
                    harness.subscribers, deliveries,
                    broadcast, settings.connections(), settings.rate(), settings.window(), settings.paddingBytes());
            harness.progress.phase("warm-up");
            publishing.run(System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.warmupSeconds()));
            WarmUpSettling.settle(server, settings.settleSeconds(),
                    () -> publishing.run(System.nanoTime() + SETTLE_STEP_NANOS), harness.progress);

            harness.progress.phase("measuring");
            long start = System.nanoTime();
            deliveries.measureFrom(start);
            Optional<ServerProcesses.Usage> cpuBefore = server.map(ServerProbe::usage);
            Optional<RedisProbe.Sample> redisBefore = context.redis().map(RedisProbe::sample);
            long freshBefore = deliveries.fresh();
            long publishedBefore = deliveries.published();
            publishing.run(start + TimeUnit.SECONDS.toNanos(settings.durationSeconds()));
            long end = System.nanoTime();
            Optional<ServerProcesses.Usage> cpuAfter = server.map(ServerProbe::usage);
            Optional<RedisProbe.Sample> redisAfter = context.redis().map(RedisProbe::sample);
            long measuredDeliveries = deliveries.fresh() - freshBefore;
            long measuredPublished = deliveries.published() - publishedBefore;

            harness.progress.phase("draining");
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.drainSeconds());
            while (deliveries.outstanding() > 0 && System.nanoTime() < drainDeadline) {
                Thread.sleep(DRAIN_POLL_MILLIS);
            }
            BenchResult.Delivery delivery = BenchResult.Delivery.of(end - start, measuredPublished, measuredDeliveries,
                    deliveries.measured(), Math.max(0, deliveries.outstanding()), deliveries.duplicated(),
                    deliveries.publishErrors(), harness.subscribers.dropped(), deliveries.measuredAnswers());
            BenchResult.Cpu cpu = cpuBefore.isEmpty() ? null
                    : BenchResult.Cpu.of(cpuAfter.get().cpuSecondsSince(cpuBefore.get()), measuredDeliveries);
            BenchResult.Redis redis = redisBefore.isEmpty() ? null
                    : BenchResult.Redis.of(redisBefore.get(), redisAfter.get(), measuredDeliveries);
            Double rate = settings.rate() > 0 ? settings.rate() : null;
            return new BenchResult(context.target().name(), scenario.label, settings.connections(), rate, connect,
                    delivery, null, cpu, redis);
        }
    }
}
