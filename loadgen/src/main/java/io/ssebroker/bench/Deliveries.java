package io.ssebroker.bench;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What was published against what the subscribers received, shared by the publisher thread and every event loop:
 * counts, end-to-end latency of fresh deliveries, and (when a window is set) the credits that keep at most so many
 * deliveries outstanding.
 */
final class Deliveries {
    private final LongAdder published = new LongAdder();
    private final LongAdder publishErrors = new LongAdder();
    private final LongAdder expected = new LongAdder();
    private final LongAdder fresh = new LongAdder();
    private final LongAdder duplicated = new LongAdder();
    private final Recorder latencyMicros = new Recorder(3);
    private final Histogram measured = new Histogram(3);
    private volatile long measuredFromNanos = Long.MAX_VALUE;
    private volatile Semaphore credits;

    /** From now on a publication waits while {@code deliveries} are outstanding. */
    void limitOutstanding(int deliveries) {
        credits = new Semaphore(deliveries);
    }

    /** Waits for credits for {@code fanout} deliveries until the deadline; false when they did not come. */
    boolean reserve(int fanout, long deadlineNanos) throws InterruptedException {
        Semaphore window = credits;
        return window == null || window.tryAcquire(fanout, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** A publication was sent: {@code fanout} subscribers should receive it. */
    void published(int fanout) {
        published.increment();
        expected.add(fanout);
    }

    /** Reserved credits that no publication used. */
    void unreserve(int fanout) {
        returnCredits(fanout);
    }

    /** The server refused a publication or its connection failed: nobody will receive it. */
    void publishFailed(int fanout) {
        publishErrors.increment();
        expected.add(-fanout);
        returnCredits(fanout);
    }

    /** One delivery: fresh or a repeat of what this subscriber already had. */
    void received(Stamp stamp, boolean isFresh, long nowNanos) {
        if (!isFresh) {
            duplicated.increment();
            return;
        }
        fresh.increment();
        if (stamp.sentNanos() >= measuredFromNanos) {
            latencyMicros.recordValue(Math.max(0, (nowNanos - stamp.sentNanos()) / 1000));
        }
    }

    void returnCredits(int deliveries) {
        Semaphore window = credits;
        if (window != null) {
            window.release(deliveries);
        }
    }

    /** Latency counts for messages sent from now on; what was recorded before is dropped. */
    synchronized void measureFrom(long nanos) {
        measuredFromNanos = nanos;
        latencyMicros.getIntervalHistogram();
        measured.reset();
    }

    /** Latency since the previous call (for progress lines); also added to the measured total. */
    synchronized LatencySummary interval() {
        Histogram interval = latencyMicros.getIntervalHistogram();
        measured.add(interval);
        return LatencySummary.of(interval);
    }

    /** Latency of every fresh delivery of a message sent since {@link #measureFrom}. */
    synchronized LatencySummary measured() {
        measured.add(latencyMicros.getIntervalHistogram());
        return LatencySummary.of(measured);
    }

    long published() {
        return published.sum();
    }

    long publishErrors() {
        return publishErrors.sum();
    }

    long fresh() {
        return fresh.sum();
    }

    long duplicated() {
        return duplicated.sum();
    }

    /** Deliveries expected and not received yet. */
    long outstanding() {
        return expected.sum() - fresh.sum();
    }
}
