package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A device's take record (take-owner.lua, give-back-owner.lua), against a real Redis. A registration that took a
 * device from another user and then failed before it knew so gives the device back, once, and not after a later take;
 * a take run again for the same connection (re-sent after a reconnect) answers as its first run; and a later
 * registration of any user ends the sessions that users who had the device in the last two minutes may still have on
 * it.
 */
class DeviceTakeRecordTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static final String OWNER_MILLIS = "60000";
    private static final String RECORD_MILLIS = "60000";

    private static RedisServers redis;
    private static RedisTestConnections connections;
    private static RedisScripts scripts;

    @BeforeAll
    static void startRedis() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
        connections = RedisTestConnections.open(redis, Map.of());
        scripts = new RedisScripts(connections.connections().commands);
    }

    @AfterAll
    static void stopRedis() {
        if (connections != null) {
            connections.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static List<Object> take(String device, String uid, String nonce) {
        return scripts.run(RedisScripts.Script.TAKE_OWNER, new String[] {KEYS.deviceOwner(device), KEYS.deviceTakes(device)},
                uid, OWNER_MILLIS, RECORD_MILLIS, nonce).join();
    }

    private static boolean giveBack(String device, String uid, String nonce) {
        return (Long) scripts.run(RedisScripts.Script.GIVE_BACK_OWNER,
                new String[] {KEYS.deviceOwner(device), KEYS.deviceTakes(device)},
                uid, nonce, OWNER_MILLIS, RECORD_MILLIS).join().get(0) == 1;
    }

    private static String owner(String device) {
        return redis.servers().get(0).cli("GET", KEYS.deviceOwner(device)).trim();
    }

    private static String device() {
        return "d-" + UUID.randomUUID();
    }

    @Test
    void aDeviceThatStaysWithItsUserLeavesNoRecord() {
        String device = device();
        assertThat(take(device, "u-a", "k1")).containsExactly("");
        assertThat(take(device, "u-a", "k2")).containsExactly("");
        assertThat(redis.servers().get(0).cli("EXISTS", KEYS.deviceTakes(device)).trim()).isEqualTo("0");
    }

    @Test
    void aTakeRunAgainForTheSameConnectionAnswersAsItsFirstRun() {
        String device = device();
        take(device, "u-a", "k1");
        assertThat(take(device, "u-b", "k2")).containsExactly("u-a");
        assertThat(take(device, "u-b", "k2")).as("run again").containsExactly("u-a");
        assertThat(owner(device)).isEqualTo("u-b");
    }

    @Test
    void aDeviceIsGivenBackOnceToTheUserItWasTakenFrom() {
        String device = device();
        take(device, "u-a", "k1");
        take(device, "u-b", "k2");
        assertThat(giveBack(device, "u-b", "k2")).isTrue();
        assertThat(owner(device)).isEqualTo("u-a");
        assertThat(giveBack(device, "u-b", "k2")).as("a second run").isFalse();
        assertThat(owner(device)).isEqualTo("u-a");
        assertThat(take(device, "u-b", "k3")).as("the user's connection, back, takes it again").containsExactly("u-a");
        assertThat(owner(device)).isEqualTo("u-b");
    }

    @Test
    void aGiveBackAfterALaterTakeOfTheSameUserChangesNothing() {
        String device = device();
        take(device, "u-a", "k1");
        take(device, "u-b", "k2");
        assertThat(take(device, "u-b", "k3")).as("the retry ends the session the failed one did not")
                .containsExactly("", "u-a");
        assertThat(giveBack(device, "u-b", "k2")).as("the failed registration's give-back, late").isFalse();
        assertThat(owner(device)).isEqualTo("u-b");
    }

    @Test
    void aTakeOfAThirdUserInBetweenEndsTheSessionsOfBothAndNothingIsGivenBack() {
        String device = device();
        take(device, "u-a", "k1");
        take(device, "u-b", "k2");
        assertThat(take(device, "u-c", "k3")).containsExactlyInAnyOrder("u-b", "u-a");
        assertThat(giveBack(device, "u-b", "k2")).isFalse();
        assertThat(owner(device)).isEqualTo("u-c");
        assertThat(take(device, "u-a", "k4")).as("the first user, back").containsExactlyInAnyOrder("u-c", "u-b");
    }

    @Test
    void aTakeRefusedForNoRoomIsGivenBackAndTheOwnerWins() {
        String device = device();
        take(device, "u-a", "k1");
        take(device, "u-b", "k2");
        assertThat(giveBack(device, "u-b", "k2")).isTrue();
        assertThat(take(device, "u-a", "k3")).as("the owner, back: the refused user's entry may linger")
                .containsExactly("", "u-b");
        assertThat(owner(device)).isEqualTo("u-a");
    }

    /**
     * A registration that took a device from another user and failed before it ended that user's session, whose
     * give-back never reached Redis either: the user's next registration (its connection, back) ends that session,
     * on a single Redis (where the presence script sends it to the take record first) and on a Redis Cluster.
     */
    @ParameterizedTest(name = "Redis Cluster: {0}")
    @ValueSource(booleans = {false, true})
    void theNextRegistrationEndsTheSessionThatAFailedTakeLeft(boolean cluster) {
        try (RedisServers servers = cluster ? RedisServers.cluster() : RedisServers.standalone();
             RedisTestConnections direct = RedisTestConnections.open(servers, Map.of())) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession had = session("u-had-" + UUID.randomUUID(), device, "k1had");
                assertThat(engine.register(had, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                // the step of a registration that then failed: the device recorded as the other user's, nothing more
                String took = "u-took-" + UUID.randomUUID();
                assertThat(new RedisScripts(direct.connections().commands).run(RedisScripts.Script.TAKE_OWNER,
                        new String[] {KEYS.deviceOwner(device), KEYS.deviceTakes(device)},
                        took, OWNER_MILLIS, RECORD_MILLIS, "k2failed").join()).containsExactly(had.uid());

                Registration next = engine.register(session(took, device, "k3next"), 4, System.currentTimeMillis()).join();
                assertThat(next.accepted()).isTrue();
                assertThat(next.replaced()).extracting(DeviceSession::nonce).isEqualTo(had.nonce());
                assertThat(extruded).containsExactly(had.nonce());
                assertThat(engine.device(device).join()).map(DeviceSession::uid).contains(took);
                assertThat(engine.userDevices(had.uid()).join()).as("the user it was taken from").isEmpty();
            } finally {
                engine.close();
            }
        }
    }

    /**
     * A registration on a Redis Cluster that took a device from another user, ended that user's session there, and
     * then failed (its presence script answered an error): the device is not given back, as that user's connection
     * was ended with its session, and messages to the device go to the stream of the registering user, whose
     * connection comes back.
     */
    @Test
    void aDeviceIsNotGivenBackToAUserWhoseSessionTheFailedRegistrationEnded() {
        try (RedisServers servers = RedisServers.cluster()) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession had = session("u-had-" + UUID.randomUUID(), device, "k1had");
                assertThat(engine.register(had, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                String took = "u-took-" + UUID.randomUUID();
                // the registering user's presence script fails once the device is taken: its stream's record is no hash
                String meta = KEYS.userMeta(took);
                servers.ownerOf(servers.slotOf(meta)).cli("SET", meta, "not a hash");

                assertThat(engine.register(session(took, device, "k2failed"), 4, System.currentTimeMillis()))
                        .failsWithin(Duration.ofSeconds(10));
                assertThat(extruded).as("the session taken, ended").containsExactly(had.nonce());
                RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                        .until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(took));
            } finally {
                engine.close();
            }
        }
    }

    /**
     * The removal of the session taken ran, and a later step of that removal failed (the online users' set is no set):
     * the session is known removed, its connection is ended, and the device is not given back to its user.
     */
    @Test
    void aDeviceIsNotGivenBackWhenTheRemovalOfTheSessionTakenRanAndFailedAfter() {
        try (RedisServers servers = RedisServers.cluster()) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession had = session("u-had-" + UUID.randomUUID(), device, "k1had");
                assertThat(engine.register(had, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                String users = KEYS.onlineUsers();
                servers.ownerOf(servers.slotOf(users)).cli("SET", users, "not a set");

                String took = "u-took-" + UUID.randomUUID();
                assertThat(engine.register(session(took, device, "k2failed"), 4, System.currentTimeMillis()))
                        .failsWithin(Duration.ofSeconds(10));
                assertThat(extruded).as("the session taken, ended").containsExactly(had.nonce());
                RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                        .until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(took));
            } finally {
                engine.close();
            }
        }
    }

    /**
     * A registration whose take answers the user it took the device from and a user with a stale session on it: the
     * stale session is removed, the removal from the first user fails before it ran. The stale session's connection is
     * ended, and the device is given back to the first user.
     */
    @Test
    void aRemovalThatFailedBeforeItRanGivesTheDeviceBackWhileTheStaleSessionsRemovedAreEnded() {
        try (RedisServers servers = RedisServers.cluster();
             RedisTestConnections direct = RedisTestConnections.open(servers, Map.of())) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession stale = session("u-stale-" + UUID.randomUUID(), device, "k1stale");
                assertThat(engine.register(stale, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                // a registration of another user that took the device and failed before it ended that session
                String had = "u-had-" + UUID.randomUUID();
                assertThat(new RedisScripts(direct.connections().commands).run(RedisScripts.Script.TAKE_OWNER,
                        new String[] {KEYS.deviceOwner(device), KEYS.deviceTakes(device)},
                        had, OWNER_MILLIS, RECORD_MILLIS, "k2had").join()).containsExactly(stale.uid());
                // the removal from that user fails before it runs: its presence is no hash
                String presence = KEYS.userPresence(had);
                servers.ownerOf(servers.slotOf(presence)).cli("SET", presence, "not a hash");

                String took = "u-took-" + UUID.randomUUID();
                assertThat(engine.register(session(took, device, "k3failed"), 4, System.currentTimeMillis()))
                        .failsWithin(Duration.ofSeconds(10));
                assertThat(extruded).as("the stale session, ended").containsExactly(stale.nonce());
                RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(had));
            } finally {
                engine.close();
            }
        }
    }

    /**
     * A registration that took the device and then failed to look whether its user has room for it: nothing was
     * removed, and the device is given back to the user it was taken from, whose session is not ended.
     */
    @Test
    void aLookForRoomThatFailedGivesTheDeviceBack() {
        try (RedisServers servers = RedisServers.cluster()) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession had = session("u-had-" + UUID.randomUUID(), device, "k1had");
                assertThat(engine.register(had, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                String took = "u-took-" + UUID.randomUUID();
                String presence = KEYS.userPresence(took);
                servers.ownerOf(servers.slotOf(presence)).cli("SET", presence, "not a hash");

                assertThat(engine.register(session(took, device, "k2failed"), 4, System.currentTimeMillis()))
                        .failsWithin(Duration.ofSeconds(10));
                RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(had.uid()));
                assertThat(extruded).isEmpty();
                assertThat(engine.device(device).join()).map(DeviceSession::nonce).contains(had.nonce());
            } finally {
                engine.close();
            }
        }
    }

    /**
     * A registration that took the device from a user without a session there (that removal ran and removed nothing)
     * and failed to remove a stale session of another user: the device is not given back, as no session of the user
     * it was taken from is left to get its messages.
     */
    @Test
    void aTakeFromAUserWithoutASessionThereIsNotGivenBackWhenAStaleRemovalFails() {
        try (RedisServers servers = RedisServers.cluster();
             RedisTestConnections direct = RedisTestConnections.open(servers, Map.of())) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                RedisScripts directScripts = new RedisScripts(direct.connections().commands);
                String stale = "u-stale-" + UUID.randomUUID();
                String had = "u-had-" + UUID.randomUUID();
                for (String uid : List.of(stale, had)) {
                    directScripts.run(RedisScripts.Script.TAKE_OWNER, new String[] {KEYS.deviceOwner(device), KEYS.deviceTakes(device)},
                            uid, OWNER_MILLIS, RECORD_MILLIS, "k-" + uid).join();
                }
                String presence = KEYS.userPresence(stale);
                servers.ownerOf(servers.slotOf(presence)).cli("SET", presence, "not a hash");

                String took = "u-took-" + UUID.randomUUID();
                assertThat(engine.register(session(took, device, "k3failed"), 4, System.currentTimeMillis()))
                        .failsWithin(Duration.ofSeconds(10));
                assertThat(extruded).isEmpty();
                RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                        .until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(took));
            } finally {
                engine.close();
            }
        }
    }

    private static RedisEngine startedRecordingExtrusions(RedisServers servers, List<String> extruded) {
        RedisEngine engine = new RedisEngine(TestEngines.config(servers), "127.0.0.1:7001", "test", StateChangeListener.NONE);
        engine.start(new IgnoringEngineListener() {
            @Override
            public void extrude(DeviceSession session, String byClientAddress) {
                extruded.add(session.nonce());
            }
        });
        return engine;
    }

    private static DeviceSession session(String uid, String device, String nonce) {
        return new DeviceSession(uid, device, nonce, "127.0.0.1:7001", "127.0.0.1:5555", System.currentTimeMillis());
    }
}
