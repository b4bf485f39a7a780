package io.ssebroker.engine.redis;

import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The results of sends made with an idempotency key, kept in Redis for the idempotency window, so that a repeat on
 * any node is answered the first result and sends nothing, whatever its targets come to now: a device that has
 * moved to another user since, other targets under the same key, more devices online for a broadcast.
 *
 * <p>A repeat that comes while the first is still under way, or after the first's result could not be written,
 * finds no result and sends again: each of its appends is then answered by the one of the first run to the same
 * stream (the publication's id, see publish.lua), so nothing is appended twice to a stream both runs target. A send
 * that failed (Redis unreachable, replicas that did not confirm it) leaves no result: its repeat runs again, and is
 * confirmed or refused as the first was. So does a broadcast whose devices could not be counted: it answers 0, and
 * its repeat, whose append is answered by the first's, counts them again.
 */
final class SendResults {
    private static final Logger log = LoggerFactory.getLogger(SendResults.class);

    private final RedisClusterAsyncCommands<String, String> commands;
    private final RedisKeys keys;

    /** What a send answered: the devices it reached, and whether that is its result to keep for its repeats. */
    record Sent(int devices, boolean counted) {
        static Sent counted(int devices) {
            return new Sent(devices, true);
        }

        static Sent uncounted() {
            return new Sent(0, false);
        }
    }

    SendResults(RedisClusterAsyncCommands<String, String> commands, RedisKeys keys) {
        this.commands = commands;
        this.keys = keys;
    }

    /** Sends once per key within the window: completes with the first result of the key. */
    CompletableFuture<Integer> once(String idempotencyKey, long windowMillis, Supplier<CompletableFuture<Sent>> send) {
        String resultKey = keys.sendResult(idempotencyKey);
        return commands.get(resultKey).toCompletableFuture().thenCompose(first -> {
            if (first != null) {
                return CompletableFuture.completedFuture(Integer.valueOf(first));
            }
            return send.get().thenCompose(sent -> sent.counted() ? keep(idempotencyKey, resultKey, windowMillis, sent.devices())
                    : CompletableFuture.completedFuture(sent.devices()));
        });
    }

    private CompletableFuture<Integer> keep(String idempotencyKey, String resultKey, long windowMillis, int result) {
        return commands.setGet(resultKey, Integer.toString(result), SetArgs.Builder.nx().px(windowMillis))
                .toCompletableFuture()
                // a repeat that ran alongside and wrote its result first: that one is the key's answer
                .handle((earlier, error) -> {
                    if (error != null) {
                        log.warn("the result of the send with idempotency key {} could not be kept: {}",
                                idempotencyKey, error.getMessage());
                        return result;
                    }
                    return earlier != null ? Integer.valueOf(earlier) : result;
                });
    }
}
