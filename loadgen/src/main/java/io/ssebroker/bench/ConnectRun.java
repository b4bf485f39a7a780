package io.ssebroker.bench;

import java.util.Optional;

/**
 * The connect storm: every subscription opened as fast as the concurrency allows. Tokens are minted beforehand, so
 * the storm measures the server's connect path (token verification included), not minting; with a warm-up, storms of
 * the same size come before it for that long. Server CPU (and Redis's commands and CPU) cover the measured storm.
 */
final class ConnectRun {
    private final RunContext context;

    ConnectRun(RunContext context) {
        this.context = context;
    }

    BenchResult run() throws Exception {
        Optional<ServerProbe> server = context.server();
        try (RunHarness harness = new RunHarness(context, Scenario.CONNECT)) {
            if (context.settings().warmupSeconds() > 0) {
                harness.warmUpConnects();
            }
            Optional<ServerProcesses.Usage> cpuBefore = server.map(ServerProbe::usage);
            Optional<RedisProbe.Sample> redisBefore = context.redis().map(RedisProbe::sample);
            BenchResult.Connect connect = harness.openSubscriptions();
            Optional<ServerProcesses.Usage> cpuAfter = server.map(ServerProbe::usage);
            Optional<RedisProbe.Sample> redisAfter = context.redis().map(RedisProbe::sample);
            BenchResult.Cpu cpu = cpuBefore.isEmpty() ? null
                    : BenchResult.Cpu.of(cpuAfter.get().cpuSecondsSince(cpuBefore.get()), 0);
            BenchResult.Redis redis = redisBefore.isEmpty() ? null
                    : BenchResult.Redis.of(redisBefore.get(), redisAfter.get(), 0);
            return new BenchResult(context.target().name(), Scenario.CONNECT.label, context.settings().connections(),
                    null, connect, null, null, cpu, redis);
        }
    }
}
