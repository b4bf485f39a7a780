package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A connection registered again after Redis lost its presence gives way to whatever has its device by then: a newer
 * connection of the device, or another user that took the device, registered between the node's look at the entry
 * and the restore. It never overwrites them; a device nobody has is restored, and, after a master lost writes, the
 * entry of an older connection of the device (brought back by that master) is replaced.
 */
class PresenceRestoreTest {
    private static final String NODE = "127.0.0.1:7001";
    private static final RedisPresence.Run AGAIN = RedisPresence.Run.AGAIN;
    private static final RedisPresence.Run OVER_OLDER = RedisPresence.Run.AGAIN_OVER_OLDER;

    @ParameterizedTest(name = "on a Redis Cluster: {0}")
    @ValueSource(booleans = {false, true})
    void aRestoredConnectionGivesWayToWhateverHasItsDeviceByNow(boolean cluster) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = cluster ? RedisServers.cluster() : RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisPresence presence = parts.presence(NODE);

            long now = System.currentTimeMillis();
            register(presence, session("u-restored", "d-switched", "newer", now));
            assertThat(presence.restore(session("u-restored", "d-switched", "older", now - 5_000), OVER_OLDER).join())
                    .as("a newer connection of the device").isEqualTo(RedisPresence.Restored.GAVE_WAY);
            assertThat(presence.restore(session("u-restored", "d-switched", "as-old", now), OVER_OLDER).join())
                    .as("a connection of the device that logged in with it").isEqualTo(RedisPresence.Restored.GAVE_WAY);
            assertThat(presence.restore(session("u-restored", "d-switched", "later", now + 5_000), AGAIN).join())
                    .as("any other connection of the device, when no master lost writes").isEqualTo(RedisPresence.Restored.GAVE_WAY);
            assertThat(presence.device("d-switched").join()).map(DeviceSession::nonce).contains("newer");

            register(presence, session("u-other", "d-taken", "theirs", now));
            assertThat(presence.restore(session("u-restored", "d-taken", "mine", now + 5_000), OVER_OLDER).join())
                    .as("another user's device by now").isEqualTo(RedisPresence.Restored.GAVE_WAY);
            assertThat(presence.device("d-taken").join()).map(DeviceSession::uid).contains("u-other");
            assertThat(presence.userDevices("u-restored").join()).extracting(DeviceSession::device)
                    .containsExactly("d-switched");

            assertThat(presence.nodeSessions().join()).as("the node's index keeps none that gave way")
                    .extracting(DeviceSession::nonce).doesNotContain("older", "mine");

            DeviceSession restored = session("u-restored", "d-free", "restored", now);
            assertThat(presence.restore(restored, AGAIN).join()).isEqualTo(new RedisPresence.Restored(true, null));
            assertThat(presence.device("d-free").join()).map(DeviceSession::nonce).contains("restored");
            assertThat(presence.restore(restored, AGAIN).join())
                    .as("restored twice: its own entry").isEqualTo(new RedisPresence.Restored(true, null));

            // the entry of a connection that this one had replaced, brought back by a master that lost the write
            DeviceSession stale = session("u-restored", "d-rolled-back", "stale", now - 5_000);
            register(presence, stale);
            RedisPresence.Restored overStale =
                    presence.restore(session("u-restored", "d-rolled-back", "live", now), OVER_OLDER).join();
            assertThat(overStale.registered()).as("an older connection's entry is replaced").isTrue();
            assertThat(overStale.replaced()).as("handed back to be ended").extracting(DeviceSession::nonce)
                    .isEqualTo("stale");
            assertThat(presence.device("d-rolled-back").join()).map(DeviceSession::nonce).contains("live");
        }
    }

    /**
     * On a Redis Cluster, where the owner is read apart from the script: a restore that read its user as the owner,
     * and whose script then waits (writes paused on the shard of its node's index, written first), while another
     * user takes the device and registers; that take's removal found no entry to remove. The restore's script, run
     * once the shard is back, finds the device taken: it gives way, and the device is online under the other user only.
     */
    @Test
    void aRestoreGivesWayToAUserThatTookTheDeviceWhileItsScriptWaited() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of("redis.timeout", "15"))) {
            RedisKeys keys = new RedisKeys("sse");
            RedisServers.Server listing = redis.ownerOf(redis.slotOf(keys.onlineUsers()));
            String restoringNode = ShardPlacement.nameAwayFrom(redis, listing, "127.0.0.1:7001~", keys::nodeDevices);
            RedisServers.Server paused = redis.ownerOf(redis.slotOf(keys.nodeDevices(restoringNode)));
            String takingNode = ShardPlacement.nameAwayFrom(redis, paused, "127.0.0.1:7002~", keys::nodeDevices);
            String device = ShardPlacement.nameAwayFrom(redis, paused, "d-", keys::deviceOwner, keys::kickedDevice);
            String had = ShardPlacement.nameAwayFrom(redis, paused, "u-had-", keys::userPresence);
            String took = ShardPlacement.nameAwayFrom(redis, paused, "u-took-", keys::userPresence, keys::kickedUid);
            RedisPresence restoring = parts.presence(restoringNode);
            RedisPresence taking = parts.presence(takingNode);
            long now = System.currentTimeMillis();
            DeviceSession lost = new DeviceSession(had, device, "lost", restoringNode, "127.0.0.1:5555", now);
            register(restoring, lost);
            redis.ownerOf(redis.slotOf(keys.userPresence(had))).cli("HDEL", keys.userPresence(had), device); // Redis lost it

            // held back there, the restore's index write holds back what comes after it on the same connection: the
            // other user's registration (on the same connections) touches no key of that shard
            paused.cli("CLIENT", "PAUSE", "4000", "WRITE");
            CompletableFuture<RedisPresence.Restored> restore = restoring.restore(lost, AGAIN);
            Thread.sleep(300); // the owner read, the index write waiting
            register(taking, new DeviceSession(took, device, "took", takingNode, "127.0.0.1:5556", now + 1));
            assertThat(restore).isNotDone();

            assertThat(restore.get(20, TimeUnit.SECONDS)).isEqualTo(RedisPresence.Restored.GAVE_WAY);
            assertThat(restoring.userDevices(had).join()).isEmpty();
            assertThat(taking.device(device).join()).map(DeviceSession::uid).contains(took);
        }
    }

    private static void register(RedisPresence presence, DeviceSession session) {
        presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
    }

    private static DeviceSession session(String uid, String device, String nonce, long loginTimeMillis) {
        return new DeviceSession(uid, device, nonce, NODE, "127.0.0.1:5555", loginTimeMillis);
    }
}
