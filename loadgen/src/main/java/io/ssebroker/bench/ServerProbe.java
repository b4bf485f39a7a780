package io.ssebroker.bench;

import java.util.Optional;

/**
 * Samples the server under test: CPU and memory of its process tree always, and for a JVM also the live heap and
 * direct memory after a full GC (which is why a memory sample is taken only outside measured windows).
 */
final class ServerProbe {
    record MemorySample(ServerProcesses.Usage usage, JvmMemoryProbe.Sample jvm) {
    }

    private final ServerProcesses processes;
    private final Optional<JvmMemoryProbe> jvm;

    ServerProbe(ServerProcesses processes) {
        this.processes = processes;
        this.jvm = JvmMemoryProbe.attachTo(processes.mainPid());
    }

    ServerProcesses.Usage usage() {
        return processes.usage();
    }

    MemorySample memory() {
        JvmMemoryProbe.Sample live = jvm.map(JvmMemoryProbe::sample).orElse(null);
        return new MemorySample(processes.usage(), live);
    }

    /** How much the server grew between the samples, per connection. */
    static BenchResult.Memory growth(MemorySample before, MemorySample after, int connections) {
        long rss = BenchResult.perConnection((after.usage().rssKiB() - before.usage().rssKiB()) * 1024, connections);
        Long pss = before.usage().pssKiB() == 0 ? null
                : BenchResult.perConnection((after.usage().pssKiB() - before.usage().pssKiB()) * 1024, connections);
        Long heap = null;
        Long direct = null;
        if (before.jvm() != null && after.jvm() != null) {
            heap = BenchResult.perConnection((after.jvm().heapUsedKiB() - before.jvm().heapUsedKiB()) * 1024, connections);
            if (before.jvm().directKiB() != null && after.jvm().directKiB() != null) {
                direct = BenchResult.perConnection((after.jvm().directKiB() - before.jvm().directKiB()) * 1024, connections);
            }
        }
        return new BenchResult.Memory(before.usage().rssKiB(), after.usage().rssKiB(), rss, pss, heap, direct);
    }
}
