package io.ssebroker.engine.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.ssebroker.engine.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs again a script whose answer did not come (a timeout, a dropped connection), for scripts whose run again
 * answers what the first run did: the first may have been carried out all the same, and nobody else would act on
 * what it did. Paused between runs (a dropped connection refuses commands until it is back), the pause doubling from
 * half a second up to four, for as long as a run starts within the window of the first; the first rerun is always
 * made, whatever the command timeout. An error that Redis answered to the first run fails at once: that run was not
 * carried out. Any failure of a rerun, an error answered by Redis included (LOADING, READONLY, BUSY while it
 * recovers), says nothing of the first run: it is run again.
 */
final class AnswerLostRetry {
    private static final Logger log = LoggerFactory.getLogger(AnswerLostRetry.class);
    private static final long FIRST_PAUSE_MILLIS = 500;
    private static final long LONGEST_PAUSE_MILLIS = 4_000;

    private final long windowNanos;

    /** @param windowMillis how long after the first run a rerun may still start */
    AnswerLostRetry(long windowMillis) {
        this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
    }

    /**
     * Runs the script, and again while its answer does not come.
     *
     * @param what       what the script does, for the log ("taking the presence changes of user u")
     * @param unanswered run once when the first run got no answer (it may have been carried out)
     * @param givenUp    what becomes of what the first run did when no run is answered in the window, for the log
     */
    <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> script, String what, Runnable unanswered, String givenUp) {
        long firstRunNanos = System.nanoTime();
        return script.get().exceptionallyCompose(error -> {
            Throwable cause = Failures.cause(error);
            if (cause instanceof RedisCommandExecutionException) {
                return CompletableFuture.failedFuture(cause);
            }
            unanswered.run();
            return again(script, what, givenUp, firstRunNanos, FIRST_PAUSE_MILLIS, cause);
        });
    }

    private <T> CompletableFuture<T> again(Supplier<CompletableFuture<T>> script, String what, String givenUp,
                                           long firstRunNanos, long pauseMillis, Throwable lastFailure) {
        if (pauseMillis != FIRST_PAUSE_MILLIS
                && System.nanoTime() - firstRunNanos + TimeUnit.MILLISECONDS.toNanos(pauseMillis) > windowNanos) {
            log.warn("{} got no answer for {} s: {}", what, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - firstRunNanos),
                    givenUp);
            return CompletableFuture.failedFuture(lastFailure);
        }
        log.warn("{} got no answer ({}): asking again in {} ms", what, lastFailure.toString(), pauseMillis);
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(pauseMillis, TimeUnit.MILLISECONDS))
                .thenCompose(paused -> script.get())
                .exceptionallyCompose(error -> again(script, what, givenUp, firstRunNanos,
                        Math.min(pauseMillis * 2, LONGEST_PAUSE_MILLIS), Failures.cause(error)));
    }
}
