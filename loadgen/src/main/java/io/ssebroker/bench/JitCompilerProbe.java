package io.ssebroker.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long a JVM's JIT compilers have worked so far, from its performance counters ({@code PerfCounter.print}): the
 * time of every compilation, summed over the compiler threads.
 */
final class JitCompilerProbe {
    private static final Pattern TOTAL_TIME = Pattern.compile("(?m)^java\\.ci\\.totalTime=(\\d+)$");
    private static final Pattern FREQUENCY = Pattern.compile("(?m)^sun\\.os\\.hrt\\.frequency=(\\d+)$");

    private final Jcmd jcmd;

    JitCompilerProbe(Jcmd jcmd) {
        this.jcmd = jcmd;
    }

    long compileNanos() {
        return compileNanos(jcmd.run("PerfCounter.print"));
    }

    /** The counter is in ticks of the JVM's high-resolution clock, whose frequency is another counter. */
    static long compileNanos(String counters) {
        Matcher total = TOTAL_TIME.matcher(counters);
        Matcher frequency = FREQUENCY.matcher(counters);
        if (!total.find() || !frequency.find()) {
            throw new IllegalStateException("no compile time in PerfCounter.print output");
        }
        return (long) (Long.parseLong(total.group(1)) * (1e9 / Long.parseLong(frequency.group(1))));
    }
}
