package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.ChangeReceipt;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * A survivor takes over the presence changes a stopped node had out for its webhook; the take-over's script is
 * carried out (the changes renamed after the survivor) but its answer does not come within the command timeout
 * (writes paused on Redis past it). Run again, it answers what the first run renamed: the survivor hands the changes
 * on, under their delivery ids, rather than leaving them under its name until it stops.
 */
class PostingsTakeOverTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static final String STOPPED = "127.0.0.1:7001~stopped";
    private static final String SURVIVOR = "127.0.0.1:7002~survivor";

    @Test
    void aTakeOverWhoseAnswerIsLostIsRunAgainAndHandsTheChangesOn() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections stoppedParts = RedisTestConnections.open(redis, Map.of());
             RedisTestConnections survivorParts = RedisTestConnections.open(redis, Map.of("redis.timeout", "1"))) {
            // the stopped node's webhook never finished the change: it stays recorded under the node's name
            List<String> neverPosted = new CopyOnWriteArrayList<>();
            RedisPresence stopped = stoppedParts.presence(STOPPED, receiving((change, receipt) ->
                    neverPosted.add(receipt.deliveryId())), 0);
            stopped.register(new DeviceSession("u-taken-over", "d-taken-over", "k1", STOPPED, "127.0.0.1:5555",
                    System.currentTimeMillis()), 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
            await().atMost(Duration.ofSeconds(5)).until(() -> neverPosted.size() == 2); // the user's and the device's online

            List<String> posted = new CopyOnWriteArrayList<>();
            RedisPresence survivor = survivorParts.presence(SURVIVOR, receiving((change, receipt) -> {
                posted.add(receipt.deliveryId());
                receipt.finished();
            }), 0);
            // reads go on (the stopped node's users are read), writes wait past the survivor's one-second timeout
            redis.first().cli("CLIENT", "PAUSE", "2500", "WRITE");
            CompletableFuture<Integer> takingOver = survivor.takeOverPostings(STOPPED);

            assertThat(takingOver.get(15, TimeUnit.SECONDS)).isEqualTo(2);
            await().atMost(Duration.ofSeconds(5)).until(() -> posted.size() == 2);
            assertThat(posted).containsExactlyInAnyOrderElementsOf(neverPosted);
            await().atMost(Duration.ofSeconds(5)).until(() -> redis.first().cli("LLEN", KEYS.userPostings("u-taken-over"))
                    .trim().equals("0"));
        }
    }

    /** A listener of the changes handed on with their receipts. */
    private static StateChangeListener receiving(BiConsumer<StateChange, ChangeReceipt> changes) {
        return new StateChangeListener() {
            @Override
            public void stateChanged(StateChange change) {
                throw new AssertionError("a change without its receipt");
            }

            @Override
            public void stateChanged(StateChange change, ChangeReceipt receipt) {
                changes.accept(change, receipt);
            }
        };
    }
}
