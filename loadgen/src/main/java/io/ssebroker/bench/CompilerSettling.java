package io.ssebroker.bench;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Warm-up beyond its fixed time while a JVM server's JIT compiler is still busy. The table compares servers that
 * have been running a while; on a slower machine the fixed warm-up ends before the compiler is done with the paths
 * the scenario takes, and the measured window would count its work. After the fixed warm-up the same load goes on,
 * step by step, until a step in which the server's compilers worked for at most {@link #QUIET_SHARE} of the step's
 * time, or until the limit. Servers that are not JVMs have no compiler to wait for and get the fixed warm-up only.
 */
final class CompilerSettling {
    /** Compile time per wall time of a step below which the compiler counts as done. */
    static final double QUIET_SHARE = 0.05;

    /** One step of the warm-up's load. */
    interface Step {
        void run() throws InterruptedException;
    }

    private CompilerSettling() {
    }

    static boolean quiet(long compileNanos, long stepNanos) {
        return compileNanos <= QUIET_SHARE * stepNanos;
    }

    /** Runs steps while the server's compiler is busy, for at most {@code limitSeconds}; returns the seconds taken. */
    static double settle(Optional<ServerProbe> server, int limitSeconds, Step step, Progress progress)
            throws InterruptedException {
        return server.isEmpty() ? 0 : settle(server.get()::compileNanos, limitSeconds, step, progress);
    }

    /** The same with the compile time read from {@code compiledSoFar} (empty: no JVM, nothing to wait for). */
    static double settle(Supplier<OptionalLong> compiledSoFar, int limitSeconds, Step step, Progress progress)
            throws InterruptedException {
        OptionalLong first = limitSeconds > 0 ? compiledSoFar.get() : OptionalLong.empty();
        if (first.isEmpty()) {
            return 0;
        }
        progress.phase("settling: warm-up goes on while the server's JIT compiler is busy");
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(limitSeconds);
        long compiled = first.getAsLong();
        boolean quiet = false;
        while (!quiet && System.nanoTime() < deadline) {
            long stepStart = System.nanoTime();
            step.run();
            long now = System.nanoTime();
            long total = compiledSoFar.get().orElse(compiled);
            quiet = quiet(total - compiled, now - stepStart);
            compiled = total;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        progress.phase(String.format(Locale.ROOT, "settled after %.1f s more%s", seconds,
                quiet ? "" : " (the limit; the compiler was still busy)"));
        return seconds;
    }
}
