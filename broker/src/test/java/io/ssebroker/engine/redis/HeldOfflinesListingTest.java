package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With an offline grace, a user is listed among the users with held offlines before a removal's script holds the
 * offline, on a Redis Cluster where the list lives on another shard than the user's keys: a node that dies right
 * after the script leaves the offline listed, for any node to take once the grace has passed. Shown with writes
 * paused on the user's shard, which holds the script back but not the listing.
 */
class HeldOfflinesListingTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static final String NODE = "127.0.0.1:7001~listing";

    @Test
    void theUserIsListedBeforeItsOfflineIsHeld() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisPresence presence = parts.presence(NODE, StateChangeListener.NONE, 60_000);
            RedisServers.Server listing = redis.ownerOf(redis.slotOf(KEYS.usersWithHeldOfflines()));
            String uid = ShardPlacement.nameAwayFrom(redis, listing, "u-", KEYS::userPresence);
            RedisServers.Server users = redis.ownerOf(redis.slotOf(KEYS.userPresence(uid)));
            DeviceSession session = new DeviceSession(uid, "d-held", "k-held", NODE, "127.0.0.1:5555",
                    System.currentTimeMillis());
            presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();

            users.cli("CLIENT", "PAUSE", "2000", "WRITE");
            CompletableFuture<Boolean> removal = presence.unregister(session, StateChange.DEVICE_DISCONNECT);
            await().atMost(Duration.ofSeconds(1)).until(() -> !listing.cli("ZSCORE", KEYS.usersWithHeldOfflines(), uid).isBlank());
            assertThat(removal).as("the removal's script waits for the paused shard").isNotDone();

            assertThat(removal.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(users.cli("HLEN", KEYS.userHeldOfflines(uid)).trim()).as("the offlines held").isNotEqualTo("0");
            assertThat(listing.cli("ZSCORE", KEYS.usersWithHeldOfflines(), uid)).isNotBlank();
        }
    }
}
