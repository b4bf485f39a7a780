package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CompilerSettlingTest {
    private final StringWriter log = new StringWriter();
    private final Progress progress = new Progress("test", () -> "", new PrintWriter(log));

    @Test
    void aStepWithLittleCompilingIsQuiet() {
        long step = TimeUnit.SECONDS.toNanos(2);

        assertThat(CompilerSettling.quiet(TimeUnit.MILLISECONDS.toNanos(100), step)).isTrue();
        assertThat(CompilerSettling.quiet(TimeUnit.MILLISECONDS.toNanos(101), step)).isFalse();
    }

    @Test
    void stepsGoOnUntilOneInWhichTheCompilerWasQuiet() throws InterruptedException {
        AtomicLong compiled = new AtomicLong();
        AtomicInteger steps = new AtomicInteger();
        // two steps in which the compiler works all the time, then one with nothing to compile
        CompilerSettling.Step step = () -> {
            Thread.sleep(20);
            if (steps.incrementAndGet() <= 2) {
                compiled.addAndGet(TimeUnit.MILLISECONDS.toNanos(50));
            }
        };

        double seconds = CompilerSettling.settle(() -> OptionalLong.of(compiled.get()), 30, step, progress);

        assertThat(steps).hasValue(3);
        assertThat(seconds).isGreaterThan(0).isLessThan(30);
        assertThat(log.toString()).contains("settled after").doesNotContain("the limit");
    }

    @Test
    void aCompilerBusyToTheEndStopsAtTheLimit() throws InterruptedException {
        AtomicLong compiled = new AtomicLong();
        CompilerSettling.Step step = () -> {
            Thread.sleep(100);
            compiled.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        };

        double seconds = CompilerSettling.settle(() -> OptionalLong.of(compiled.get()), 1, step, progress);

        assertThat(seconds).isBetween(1.0, 5.0);
        assertThat(log.toString()).contains("the limit; the compiler was still busy");
    }

    @Test
    void noJvmOrNoLimitMeansNoExtraWarmUp() throws InterruptedException {
        AtomicInteger steps = new AtomicInteger();
        CompilerSettling.Step step = steps::incrementAndGet;

        assertThat(CompilerSettling.settle(OptionalLong::empty, 30, step, progress)).isZero();
        assertThat(CompilerSettling.settle(() -> OptionalLong.of(0), 0, step, progress)).isZero();
        assertThat(steps).hasValue(0);
    }
}
