package io.ssebroker.engine.redis;

import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.StreamMessage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where the followers of the streams hand on what they read: the messages, and the resets of a stream's connections.
 * Runs on the Redis thread.
 *
 * <p>Redis sends a script's pub/sub message before the script's reply, and the Redis thread reads both in one go (in
 * one read on a standalone Redis's single connection; usually in one round over its sockets on a cluster's): handed
 * on at once, the fan-out of a broadcast published here would be queued on the event loops before the answer to its
 * publisher, which would wait for the fan-out's first slice, and its client would read it behind the first
 * deliveries. So a broadcast goes from the Redis thread's next task, and the answer goes first, as it does with the
 * memory engine. A message to a user goes at once (one connection's write).
 *
 * <p>Whatever concerns the broadcast stream takes that one queue, resets included: a {@code history_lost} reset that
 * overtook the broadcasts handed on before it would let the first of them pass each connection's check for copies
 * in its place, and the rewound messages older than that one would then be dropped as copies.
 */
final class FollowedStreamsOutlet {
    private final EngineListener listener;
    private final Executor redisThread;

    FollowedStreamsOutlet(EngineListener listener, Executor redisThread) {
        this.listener = listener;
        this.redisThread = redisThread;
    }

    void deliver(StreamMessage message) {
        if (message.isBroadcast()) {
            later(() -> listener.deliver(message));
        } else {
            listener.deliver(message);
        }
    }

    /** @param uid the user of the stream, null for the broadcast stream */
    void reset(String uid, String reason) {
        if (uid == null) {
            later(() -> listener.streamReset(null, reason));
        } else {
            listener.streamReset(uid, reason);
        }
    }

    private void later(Runnable task) {
        try {
            redisThread.execute(task);
        } catch (RejectedExecutionException stopped) {
            // the node is closing: its connections with it
        }
    }
}
