package io.ssebroker.engine.redis;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code callback.offline_grace} across the cluster: an offline is held in Redis for the grace, and an online of
 * the same user or device within it, on any node, takes it back, so that neither is reported. It applies to the
 * webhook, and to go-sse-broker's Redis channels when {@code callback.offline_grace_channels} is set (go-sse-broker
 * published every change at once, so the channels default to that).
 */
record OfflineGrace(long millis, boolean onChannels, ScheduledExecutorService scheduler) {
    OfflineGrace {
        // Without a grace nothing is held: the channels get every change at once, whatever the setting (held for
        // them, with no grace and no webhook, the changes would go to no outbox and reach them never).
        onChannels = onChannels && millis > 0;
    }

    /** Past the grace by this much, so that a held offline is due when the node comes back for it. */
    private static final long MARGIN_MILLIS = 100;

    /** Runs the task once the grace of an offline held now has passed (not at all when the node stops). */
    void later(Runnable task) {
        try {
            scheduler.schedule(task, millis + MARGIN_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // the node is stopping: the next operation on the user takes the held offline
        }
    }
}
