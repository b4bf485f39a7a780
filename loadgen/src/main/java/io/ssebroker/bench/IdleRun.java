package io.ssebroker.bench;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The idle scenario: the server's growth for connections that only receive heartbeats. Samples the server after
 * the setup (tokens minted) and a rest, and again after the connections were held a while, and divides by the open
 * ones.
 */
final class IdleRun {
    /**
     * The rest between the setup and the first sample, so that it is of a server at rest: right after serving the
     * tokens a JVM still holds its compiler's scratch memory, which it frees every five seconds (a node read 107 MiB
     * one second after minting 15,000 tokens and 92 MiB from five seconds on).
     */
    private static final long REST_BEFORE_SAMPLING_MILLIS = 6_000;

    private final RunContext context;

    IdleRun(RunContext context) {
        this.context = context;
    }

    BenchResult run() throws Exception {
        Optional<ServerProbe> server = context.server();
        try (RunHarness harness = new RunHarness(context, Scenario.IDLE)) {
            harness.progress.phase("resting");
            Thread.sleep(REST_BEFORE_SAMPLING_MILLIS);
            harness.progress.phase("sampling the server");
            Optional<ServerProbe.MemorySample> before = server.map(ServerProbe::memory);
            BenchResult.Connect connect = harness.openSubscriptions();

            harness.progress.phase("holding");
            Optional<ServerProcesses.Usage> cpuBefore = server.map(ServerProbe::usage);
            long holdStart = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(context.settings().holdSeconds()));
            long heldNanos = System.nanoTime() - holdStart;
            Optional<ServerProcesses.Usage> cpuAfter = server.map(ServerProbe::usage);

            harness.progress.phase("sampling the server");
            Optional<ServerProbe.MemorySample> after = server.map(ServerProbe::memory);
            int open = harness.subscribers.openCount();
            BenchResult.Memory memory = before.isEmpty() ? null : ServerProbe.growth(before.get(), after.get(), open);
            BenchResult.Cpu cpu = cpuBefore.isEmpty() ? null
                    : BenchResult.Cpu.of(cpuAfter.get().cpuSecondsSince(cpuBefore.get()), 0);
            BenchResult.Delivery held = BenchResult.Delivery.of(heldNanos, 0, 0, harness.deliveries.measured(), 0,
                    harness.deliveries.duplicated(), 0, harness.subscribers.dropped(), null);
            return new BenchResult(context.target().name(), Scenario.IDLE.label, context.settings().connections(), null,
                    connect, held, memory, cpu, null);
        }
    }
}
