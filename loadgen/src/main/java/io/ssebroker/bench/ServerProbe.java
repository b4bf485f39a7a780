package io.ssebroker.bench;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Samples the server under test: CPU, memory and page faults of its process tree always, and for JVMs (every node of a
 * sse-broker cluster) also the live heap and direct memory after a full GC, summed (which is why a memory sample is
 * taken only outside measured windows), and the time their JIT compilers have worked.
 */
final class ServerProbe {
    record MemorySample(ServerProcesses.Usage usage, JvmMemoryProbe.Sample jvm) {
    }

    private final ServerProcesses processes;
    private final List<JvmMemoryProbe> jvms;
    private final List<JitCompilerProbe> compilers;

    ServerProbe(ServerProcesses processes) {
        this.processes = processes;
        List<Jcmd> reachable = processes.roots().stream().map(Jcmd::forProcess).flatMap(Optional::stream).toList();
        this.jvms = reachable.stream().map(JvmMemoryProbe::new).toList();
        this.compilers = reachable.stream().map(jcmd -> new JitCompilerProbe(jcmd.pid())).toList();
    }

    ServerProcesses.Usage usage() {
        return processes.usage();
    }

    MemorySample memory() {
        JvmMemoryProbe.Sample live = null;
        for (JvmMemoryProbe jvm : jvms) {
            JvmMemoryProbe.Sample one = jvm.sample();
            live = live == null ? one : new JvmMemoryProbe.Sample(live.heapUsedKiB() + one.heapUsedKiB(),
                    live.directKiB() == null || one.directKiB() == null ? null : live.directKiB() + one.directKiB());
        }
        return new MemorySample(processes.usage(), live);
    }

    /** How far the server has warmed up: its compilers' time and the pages it has touched so far. */
    WarmUpSettling.Warmth warmth() {
        return new WarmUpSettling.Warmth(compileNanos(), processes.usage().minorFaults());
    }

    /** The time the server's JIT compilers have worked so far, summed over its JVMs; empty when it runs none. */
    private OptionalLong compileNanos() {
        return compilers.isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(compilers.stream().mapToLong(JitCompilerProbe::compileNanos).sum());
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
