package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
    void aTakeGivenBackLeavesTheDeviceToItsOwnerWhoseNextTakeEndsTheLingeringEntry() {
        String device = device();
        take(device, "u-a", "k1");
        take(device, "u-b", "k2");
        assertThat(giveBack(device, "u-b", "k2")).isTrue();
        assertThat(take(device, "u-a", "k3")).as("the owner, back: the failed registration's entry may linger")
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
                DeviceSession had = registered(engine, device);
                // the step of a registration that then failed: the device recorded as the other user's, nothing more
                String took = "u-took-" + UUID.randomUUID();
                assertThat(take(direct, device, took)).containsExactly(had.uid());

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
     * A registration on a Redis Cluster that took a device from another user and removed that user's session there,
     * then failed: in its own presence script (its stream's record is of the wrong type), or in a later step of that
     * removal (the online users' set is). The removal is known to have run: that user's connection is ended, and the
     * device is not given back to it; it stays the registering user's, whose connection comes back.
     */
    @ParameterizedTest(name = "failing in {0}")
    @ValueSource(strings = {"the presence script", "the removal"})
    void aDeviceIsNotGivenBackToAUserWhoseSessionTheFailedRegistrationEnded(String failing) {
        try (RedisServers servers = RedisServers.cluster()) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession had = registered(engine, device);
                String took = "u-took-" + UUID.randomUUID();
                breakKey(servers, failing.equals("the removal") ? KEYS.onlineUsers() : KEYS.userMeta(took));

                assertRegistrationFails(engine, took, device);
                assertThat(extruded).as("the session taken, ended").containsExactly(had.nonce());
                awaitOwner(servers, device, took, true);
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
                DeviceSession stale = registered(engine, device);
                // a registration of another user that took the device and failed before it ended that session
                String had = "u-had-" + UUID.randomUUID();
                assertThat(take(direct, device, had)).containsExactly(stale.uid());
                breakKey(servers, KEYS.userPresence(had));

                String took = "u-took-" + UUID.randomUUID();
                assertRegistrationFails(engine, took, device);
                assertThat(extruded).as("the stale session, ended").containsExactly(stale.nonce());
                awaitOwner(servers, device, had, false);
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
                DeviceSession had = registered(engine, device);
                String took = "u-took-" + UUID.randomUUID();
                breakKey(servers, KEYS.userPresence(took));

                assertRegistrationFails(engine, took, device);
                awaitOwner(servers, device, had.uid(), false);
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
                String stale = "u-stale-" + UUID.randomUUID();
                take(direct, device, stale);
                take(direct, device, "u-had-" + UUID.randomUUID());
                breakKey(servers, KEYS.userPresence(stale));

                String took = "u-took-" + UUID.randomUUID();
                assertRegistrationFails(engine, took, device);
                assertThat(extruded).isEmpty();
                awaitOwner(servers, device, took, true);
            } finally {
                engine.close();
            }
        }
    }

    /**
     * A registration refused because its user has no room for another device never holds the device, not even for a
     * moment (a registration of the device's user meanwhile would read it as taken, and end): no take is recorded,
     * the owner stays, and so does the owner's connection.
     */
    @ParameterizedTest(name = "Redis Cluster: {0}")
    @ValueSource(booleans = {false, true})
    void aRegistrationRefusedForWantOfRoomNeverTakesTheDevice(boolean cluster) {
        try (RedisServers servers = cluster ? RedisServers.cluster() : RedisServers.standalone()) {
            List<String> extruded = new CopyOnWriteArrayList<>();
            RedisEngine engine = startedRecordingExtrusions(servers, extruded);
            try {
                String device = device();
                DeviceSession had = registered(engine, device);
                String full = "u-full-" + UUID.randomUUID();
                assertThat(engine.register(session(full, "d-own-" + UUID.randomUUID(), "k-own"), 1,
                        System.currentTimeMillis()).join().accepted()).isTrue();

                Registration refused = engine.register(session(full, device, "k-refused"), 1, System.currentTimeMillis()).join();
                assertThat(refused.outcome()).isEqualTo(Registration.Outcome.TOO_MANY_DEVICES);
                RedisServers.Server owners = cluster ? servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device))) : servers.first();
                assertThat(owners.cli("EXISTS", KEYS.deviceTakes(device)).trim()).as("no take recorded").isEqualTo("0");
                assertThat(owners.cli("GET", KEYS.deviceOwner(device)).trim()).isEqualTo(had.uid());
                assertThat(engine.device(device).join()).map(DeviceSession::nonce).contains(had.nonce());
                assertThat(extruded).isEmpty();
            } finally {
                engine.close();
            }
        }
    }

    /**
     * Two users register one device at once on a Redis Cluster: the first one's take of the device is done, its
     * presence script waits (writes are paused on the shard of its node's index, which it writes first), and the
     * second one takes the device from it and registers meanwhile; its removal of the first user's session finds none
     * yet. The first registration, when its script runs, finds the device taken: it ends, and the device stays online
     * under the second user only.
     */
    @Test
    void ofTwoUsersRegisteringOneDeviceAtOnceTheLaterTakeKeepsIt() {
        try (RedisServers servers = RedisServers.cluster()) {
            RedisEngine first = null;
            RedisEngine second = null;
            try {
                // the first node's index must be on a shard that nothing else of this case writes to
                List<String> nodes = new ArrayList<>();
                RedisServers.Server listing = servers.ownerOf(servers.slotOf(KEYS.onlineUsers()));
                first = startedIndexingAway(servers, "127.0.0.1:7001", nodes, listing);
                RedisServers.Server paused = indexShard(servers, nodes.get(nodes.size() - 1));
                second = startedIndexingAway(servers, "127.0.0.1:7002", nodes, paused);
                String device = ShardPlacement.nameAwayFrom(servers, paused, "d-", KEYS::deviceOwner);
                String firstUid = ShardPlacement.nameAwayFrom(servers, paused, "u-first-", KEYS::userPresence);
                String secondUid = ShardPlacement.nameAwayFrom(servers, paused, "u-second-", KEYS::userPresence);

                paused.cli("CLIENT", "PAUSE", "4000", "WRITE"); // within the engines' command timeout (5 s)
                CompletableFuture<Registration> racing =
                        first.register(session(firstUid, device, "k-first"), 4, System.currentTimeMillis());
                RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
                await().atMost(Duration.ofSeconds(2)).until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(firstUid));
                Registration later = second.register(session(secondUid, device, "k-second"), 4, System.currentTimeMillis())
                        .get(3, TimeUnit.SECONDS);
                assertThat(later.accepted()).isTrue();
                assertThat(racing.isDone()).as("the first registration still waits for its shard").isFalse();

                assertThat(racing.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Registration.Outcome.ENDED);
                assertThat(first.userDevices(firstUid).join()).as("the user that lost the device").isEmpty();
                assertThat(second.device(device).join()).map(DeviceSession::uid).contains(secondUid);
                assertThat(owners.cli("GET", KEYS.deviceOwner(device)).trim()).isEqualTo(secondUid);
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                if (first != null) {
                    first.close();
                }
                if (second != null) {
                    second.close();
                }
            }
        }
    }

    /**
     * An engine started as the node at {@code address} whose index of its sessions is not on {@code away}'s shard
     * (engines whose random node id puts it there are closed again); the ids of the nodes started are added to
     * {@code nodes}, the kept one's last.
     */
    private static RedisEngine startedIndexingAway(RedisServers servers, String address, List<String> nodes,
                                                   RedisServers.Server away) {
        RedisServers.Server listing = servers.ownerOf(servers.slotOf(KEYS.nodes()));
        while (true) {
            RedisEngine engine = TestEngines.started(servers, address);
            String node = await().atMost(Duration.ofSeconds(10)).until(() -> Arrays.stream(listing.cli("SMEMBERS", KEYS.nodes())
                            .split("\n")).map(String::trim).filter(id -> !id.isEmpty() && !nodes.contains(id)).findFirst().orElse(null),
                    Objects::nonNull);
            nodes.add(node);
            if (indexShard(servers, node) != away) {
                return engine;
            }
            engine.close();
        }
    }

    private static RedisServers.Server indexShard(RedisServers servers, String node) {
        return servers.ownerOf(servers.slotOf(KEYS.nodeDevices(node)));
    }

    /** A take by a connection of {@code uid} whose registration went no further, through a connection of its own. */
    private static List<Object> take(RedisTestConnections direct, String device, String uid) {
        return new RedisScripts(direct.connections().commands).run(RedisScripts.Script.TAKE_OWNER,
                new String[] {KEYS.deviceOwner(device), KEYS.deviceTakes(device)},
                uid, OWNER_MILLIS, RECORD_MILLIS, "k-" + UUID.randomUUID()).join();
    }

    /** A connection of a new user on the device, registered. */
    private static DeviceSession registered(RedisEngine engine, String device) {
        DeviceSession session = session("u-" + UUID.randomUUID(), device, "k-" + UUID.randomUUID());
        assertThat(engine.register(session, 4, System.currentTimeMillis()).join().accepted()).isTrue();
        return session;
    }

    /** Gives the key a value of another type: the step that uses it fails at once (WRONGTYPE). */
    private static void breakKey(RedisServers servers, String key) {
        servers.ownerOf(servers.slotOf(key)).cli("SET", key, "of another type");
    }

    private static void assertRegistrationFails(RedisEngine engine, String uid, String device) {
        assertThat(engine.register(session(uid, device, "k-failed"), 4, System.currentTimeMillis()))
                .failsWithin(Duration.ofSeconds(10));
    }

    /** Awaits the device's owner; with {@code stays}, that the device stays that user's for two seconds. */
    private static void awaitOwner(RedisServers servers, String device, String uid, boolean stays) {
        RedisServers.Server owners = servers.ownerOf(servers.slotOf(KEYS.deviceOwner(device)));
        (stays ? await().during(Duration.ofSeconds(2)) : await()).atMost(Duration.ofSeconds(10))
                .until(() -> owners.cli("GET", KEYS.deviceOwner(device)).trim().equals(uid));
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
