package io.ssebroker.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Warm-up beyond its fixed time while the server is still warming up. The table compares servers that have been
 * running a while; on a slower machine the fixed warm-up can end before that, and the measured window would count
 * work a server does once:
 * <ul>
 *   <li>a JVM's JIT compiler still busy with the paths the scenario takes;</li>
 *   <li>any server still touching memory for the first time: minor page faults, each a page the kernel maps and
 *       zeroes. A JVM's young generation grows in steps under a new load, and each step moves allocation into pages
 *       the process never used; until a collection has passed over the grown space, every page costs a fault (on a
 *       paravirtualised VM tens of microseconds each, twice a connect storm's CPU). A server that has run a while
 *       reuses those pages.</li>
 * </ul>
 * After the fixed warm-up the same load goes on, step by step, until a step in which the server's compilers worked
 * for at most {@link #QUIET_COMPILE_SHARE} of the step's time and it faulted in at most
 * {@link #QUIET_FAULTS_PER_SECOND} pages a second, or until the limit. Servers that are not JVMs have no compiler
 * to wait for; their page faults are waited for the same way.
 */
final class WarmUpSettling {
    /** Compile time per wall time of a step below which the compiler counts as done. */
    static final double QUIET_COMPILE_SHARE = 0.05;
    /** Minor page faults per second of a step below which the server counts as grown into its memory (~4 MiB/s). */
    static final long QUIET_FAULTS_PER_SECOND = 1_000;

    /** How far a server has warmed up: its compilers' time so far (empty: no JVM) and its minor page faults so far. */
    record Warmth(OptionalLong compileNanos, long minorFaults) {
    }

    /** One step of the warm-up's load. */
    interface Step {
        void run() throws InterruptedException;
    }

    private WarmUpSettling() {
    }

    /** What kept the server from counting as warm in a step that took {@code stepNanos}; empty when nothing did. */
    static List<String> stillWarming(Warmth before, Warmth after, long stepNanos) {
        List<String> reasons = new ArrayList<>(2);
        if (before.compileNanos().isPresent() && after.compileNanos().isPresent()
                && after.compileNanos().getAsLong() - before.compileNanos().getAsLong() > QUIET_COMPILE_SHARE * stepNanos) {
            reasons.add("the compiler was still busy");
        }
        if ((after.minorFaults() - before.minorFaults()) * 1e9 > QUIET_FAULTS_PER_SECOND * (double) stepNanos) {
            reasons.add("memory was still being touched for the first time");
        }
        return reasons;
    }

    /** Runs steps while the server is still warming up, for at most {@code limitSeconds}; returns the seconds taken. */
    static double settle(Optional<ServerProbe> server, int limitSeconds, Step step, Progress progress)
            throws InterruptedException {
        return server.isEmpty() ? 0 : settle(server.get()::warmth, limitSeconds, step, progress);
    }

    /** The same with the server's warmth read from {@code warmthSoFar}. */
    static double settle(Supplier<Warmth> warmthSoFar, int limitSeconds, Step step, Progress progress)
            throws InterruptedException {
        if (limitSeconds <= 0) {
            return 0;
        }
        progress.phase("settling: warm-up goes on while the server's compiler is busy or it touches new memory");
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(limitSeconds);
        Warmth warmth = warmthSoFar.get();
        List<String> warming = List.of("not measured yet");
        while (!warming.isEmpty() && System.nanoTime() < deadline) {
            long stepStart = System.nanoTime();
            step.run();
            long now = System.nanoTime();
            Warmth next = warmthSoFar.get();
            warming = stillWarming(warmth, next, now - stepStart);
            warmth = next;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        progress.phase(String.format(Locale.ROOT, "settled after %.1f s more%s", seconds,
                warming.isEmpty() ? "" : " (the limit; " + String.join(", ", warming) + ")"));
        return seconds;
    }
}
