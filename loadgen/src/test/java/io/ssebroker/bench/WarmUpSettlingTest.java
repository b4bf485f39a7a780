package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WarmUpSettlingTest {
    private static final long TWO_SECONDS = TimeUnit.SECONDS.toNanos(2);

    private final StringWriter log = new StringWriter();
    private final Progress progress = new Progress("test", () -> "", new PrintWriter(log));

    @Test
    void aStepWithLittleCompilingAndFewNewPagesIsQuiet() {
        WarmUpSettling.Warmth start = jvm(0, 0);

        assertThat(WarmUpSettling.stillWarming(start, jvm(TimeUnit.MILLISECONDS.toNanos(100), 2_000), TWO_SECONDS))
                .isEmpty();
        assertThat(WarmUpSettling.stillWarming(start, jvm(TimeUnit.MILLISECONDS.toNanos(101), 0), TWO_SECONDS))
                .containsExactly("the compiler was still busy");
        assertThat(WarmUpSettling.stillWarming(start, jvm(0, 2_001), TWO_SECONDS))
                .containsExactly("memory was still being touched for the first time");
    }

    @Test
    void aServerWithoutCompilerIsJudgedByItsPageFaultsAlone() {
        WarmUpSettling.Warmth start = new WarmUpSettling.Warmth(OptionalLong.empty(), 500);

        assertThat(WarmUpSettling.stillWarming(start, new WarmUpSettling.Warmth(OptionalLong.empty(), 2_500), TWO_SECONDS))
                .isEmpty();
        assertThat(WarmUpSettling.stillWarming(start, new WarmUpSettling.Warmth(OptionalLong.empty(), 9_000), TWO_SECONDS))
                .containsExactly("memory was still being touched for the first time");
    }

    @Test
    void stepsGoOnUntilOneInWhichTheCompilerWasQuietAndNoNewMemoryWasTouched() throws InterruptedException {
        AtomicLong compiled = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        AtomicInteger steps = new AtomicInteger();
        // two steps in which the compiler works all the time, one that grows into new memory, then a quiet one
        WarmUpSettling.Step step = () -> {
            Thread.sleep(20);
            int n = steps.incrementAndGet();
            if (n <= 2) {
                compiled.addAndGet(TimeUnit.MILLISECONDS.toNanos(50));
            } else if (n == 3) {
                faults.addAndGet(5_000);
            }
        };

        double seconds = WarmUpSettling.settle(() -> jvm(compiled.get(), faults.get()), 30, step, progress);

        assertThat(steps).hasValue(4);
        assertThat(seconds).isGreaterThan(0).isLessThan(30);
        assertThat(log.toString()).contains("settled after").doesNotContain("the limit");
    }

    @Test
    void aServerStillWarmingAtTheEndStopsAtTheLimitAndSaysWhy() throws InterruptedException {
        AtomicLong compiled = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        WarmUpSettling.Step step = () -> {
            Thread.sleep(100);
            compiled.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
            faults.addAndGet(10_000);
        };

        double seconds = WarmUpSettling.settle(() -> jvm(compiled.get(), faults.get()), 1, step, progress);

        assertThat(seconds).isBetween(1.0, 5.0);
        assertThat(log.toString()).contains("the limit; the compiler was still busy, "
                + "memory was still being touched for the first time");
    }

    @Test
    void noLimitMeansNoExtraWarmUp() throws InterruptedException {
        AtomicInteger steps = new AtomicInteger();
        WarmUpSettling.Step step = steps::incrementAndGet;

        assertThat(WarmUpSettling.settle(() -> jvm(0, 0), 0, step, progress)).isZero();
        assertThat(steps).hasValue(0);
    }

    @Test
    void aServerWarmFromTheStartTakesOneStep() throws InterruptedException {
        AtomicInteger steps = new AtomicInteger();
        WarmUpSettling.Step step = steps::incrementAndGet;

        WarmUpSettling.settle(() -> new WarmUpSettling.Warmth(OptionalLong.empty(), 42), 30, step, progress);

        assertThat(steps).hasValue(1);
    }

    private static WarmUpSettling.Warmth jvm(long compileNanos, long minorFaults) {
        return new WarmUpSettling.Warmth(OptionalLong.of(compileNanos), minorFaults);
    }
}
