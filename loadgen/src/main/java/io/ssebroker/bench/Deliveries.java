package io.ssebroker.bench;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What was published against what the subscribers received, shared by every event loop (publishers and
 * subscribers): counts, end-to-end latency of fresh deliveries, how long publications waited for their answers, and
 * (when a window is set) the credits that keep at most so many deliveries outstanding. Nothing here blocks: a
 * publisher short of credits leaves a task that runs once they are back.
 */
final class Deliveries {
    private final LongAdder published = new LongAdder();
    private final LongAdder publishErrors = new LongAdder();
    private final LongAdder expected = new LongAdder();
    private final LongAdder fresh = new LongAdder();
    private final LongAdder duplicated = new LongAdder();
    private final Recorder latencyMicros = new Recorder(3);
    private final Histogram measured = new Histogram(3);
    private final Recorder answerMicros = new Recorder(3);
    /**
     * Messages sent before this are not measured. Until {@link #measureFrom} everything is recorded (and shown in the
     * warm-up's progress lines): the recording code is then compiled and warm when the window opens, instead of
     * being compiled on the subscribers' threads, and by the compiler's own thread, in the window's first seconds.
     */
    private volatile long measuredFromNanos = Long.MIN_VALUE;
    /** Deliveries that may still be published before the window is full; unused without a window. */
    private final AtomicLong credits = new AtomicLong();
    private volatile boolean windowed;
    /** Publishers short of credits, in the order they ran short. */
    private final Queue<CreditWait> waiting = new ConcurrentLinkedQueue<>();

    /** A publisher short of credits: {@code task} runs once {@code fanout} of them may be there. */
    record CreditWait(int fanout, Runnable task) {
    }

    /** From now on a publication waits while {@code deliveries} are outstanding. */
    void limitOutstanding(int deliveries) {
        credits.set(deliveries);
        windowed = true;
    }

    /** Takes the credits for {@code fanout} deliveries if there are that many; false when the window is full. */
    boolean tryReserve(int fanout) {
        if (!windowed) {
            return true;
        }
        while (true) {
            long available = credits.get();
            if (available < fanout) {
                return false;
            }
            if (credits.compareAndSet(available, available - fanout)) {
                return true;
            }
        }
    }

    /**
     * Runs {@code task} once credits for {@code fanout} deliveries may be there (the task then tries
     * {@link #tryReserve} again), on the thread that returns them. Null when they are there already: the task is not
     * kept, and the caller tries again at once.
     */
    CreditWait whenCredits(int fanout, Runnable task) {
        if (!windowed) {
            return null;
        }
        CreditWait wait = new CreditWait(fanout, task);
        waiting.add(wait);
        // Credits returned between the failed reservation and the line above found nobody waiting.
        if (credits.get() >= fanout && waiting.remove(wait)) {
            return null;
        }
        return wait;
    }

    /** True when the wait was still pending, and is now dropped: its task will not run. */
    boolean stopWaiting(CreditWait wait) {
        return waiting.remove(wait);
    }

    /** A publication was sent: {@code fanout} subscribers should receive it. */
    void published(int fanout) {
        published.increment();
        expected.add(fanout);
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

    /** The answer to a publication sent at {@code sentNanos} (the time its stamp carries) came at {@code nowNanos}. */
    void answered(long sentNanos, long nowNanos) {
        if (sentNanos >= measuredFromNanos) {
            answerMicros.recordValue(Math.max(0, (nowNanos - sentNanos) / 1000));
        }
    }

    void returnCredits(int deliveries) {
        if (!windowed) {
            return;
        }
        credits.addAndGet(deliveries);
        // Every waiter the credits may serve: those that find them taken by another wait again.
        for (CreditWait first = waiting.peek(); first != null && credits.get() >= first.fanout(); first = waiting.peek()) {
            if (waiting.remove(first)) {
                first.task().run();
            }
        }
    }

    /** Latency counts for messages sent from {@code nanos} on; what was recorded before (the warm-up's) is dropped. */
    synchronized void measureFrom(long nanos) {
        measuredFromNanos = nanos;
        latencyMicros.getIntervalHistogram();
        measured.reset();
        answerMicros.getIntervalHistogram();
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

    /** How long the publications sent since {@link #measureFrom} waited for their answers. */
    LatencySummary measuredAnswers() {
        return LatencySummary.of(answerMicros.getIntervalHistogram());
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
