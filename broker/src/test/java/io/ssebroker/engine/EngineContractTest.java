package io.ssebroker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every engine promises the broker; run once per engine. */
public abstract class EngineContractTest {
    protected static final String NODE = "127.0.0.1:7001";
    private static final Duration WAIT = Duration.ofSeconds(10);

    protected final RecordingListener listener = new RecordingListener();
    protected final List<StateChange> changes = new CopyOnWriteArrayList<>();
    protected Engine engine;
    private String run;

    /** An engine for this node, not started yet. */
    protected abstract Engine newEngine(BrokerConfig config, StateChangeListener stateChanges);

    /** Settings the engine needs besides the shared ones (a Redis address, say). */
    protected Map<String, String> engineSettings() {
        return Map.of();
    }

    private BrokerConfig config;

    @BeforeEach
    void startEngine() {
        config = config(Map.of());
        engine = newEngine(config, changes::add);
        listener.engine = engine;
        engine.start(listener);
        run = UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    protected void stopEngine() {
        engine.close();
    }

    /** A second engine of this node, started with these settings besides the shared ones; the test closes it. */
    protected Engine startedEngine(Map<String, String> settings) {
        Engine started = newEngine(config(settings), change -> { });
        started.start(new RecordingListener());
        return started;
    }

    /** The shared settings (five messages of history per stream), the engine's, and these. */
    protected BrokerConfig config(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(engineSettings());
        settings.put("jwt.secret", "contract-test-secret-of-32-bytes-or-more");
        settings.put("sse.device_frame_cache_size", "5");
        settings.putAll(more);
        return new ConfigLoader(Map.of()).load(Optional.empty(), settings).config();
    }

    protected String id(String name) {
        return name + "-" + run;
    }

    protected DeviceSession session(String uid, String device) {
        return new DeviceSession(uid, device, UUID.randomUUID().toString().replace("-", ""), NODE, "127.0.0.1:5555",
                System.currentTimeMillis());
    }

    @Test
    void aMessageForAnOfflineUserIsRetainedAndReplayedAfterItsCursor() {
        String uid = id("u");
        Replay start = engine.replay(uid, "d1", Optional.empty()).join();
        assertThat(start.messages()).isEmpty();
        assertThat(engine.publish(new Publication("chat", "hello", Set.of(uid), Set.of())).join()).isZero();
        Replay replay = engine.replay(uid, "d1", Optional.of(start.start())).join();
        assertThat(replay.resetReason()).isNull();
        assertThat(replay.messages()).extracting(StreamMessage::data).containsExactly("hello");
        assertThat(replay.messages().get(0).event()).isEqualTo("chat");
        Position after = new Position(start.start().epoch(), replay.messages().get(0).offset(), start.start().broadcastOffset());
        assertThat(engine.replay(uid, "d1", Optional.of(after)).join().messages()).isEmpty();
    }

    @Test
    void registrationTellsTheFirstDeviceAndRefusesBeyondTheLimit() {
        String uid = id("u");
        assertThat(engine.register(session(uid, id("a")), 2, System.currentTimeMillis()).join()).extracting(Registration::accepted, Registration::firstDeviceOfUser)
                .containsExactly(true, true);
        assertThat(engine.register(session(uid, id("b")), 2, System.currentTimeMillis()).join().firstDeviceOfUser()).isFalse();
        assertThat(engine.register(session(uid, id("c")), 2, System.currentTimeMillis()).join().accepted()).isFalse();
        assertThat(engine.userDevices(uid).join()).extracting(DeviceSession::device).containsExactlyInAnyOrder(id("a"), id("b"));
    }

    /**
     * A connection that replaced another and ended before it went live: its take-back brings the replaced connection
     * back, online again when the node has not ended it (registering still, it goes live once attached).
     */
    @Test
    void aTakeBackBringsBackAReplacedConnectionNotAttachedOnline() {
        String uid = id("u");
        DeviceSession registering = session(uid, id("d"));
        engine.register(registering, 10, System.currentTimeMillis()).join();
        DeviceSession failed = session(uid, id("d"));
        assertThat(engine.register(failed, 10, System.currentTimeMillis()).join().replaced().nonce())
                .isEqualTo(registering.nonce());
        assertThat(engine.unregister(failed, StateChange.DEVICE_DISCONNECT).join()).isTrue();
        engine.takeBackReplaced(failed, registering, false);
        await().atMost(WAIT).until(() -> engine.device(id("d")).join().map(DeviceSession::nonce)
                .filter(registering.nonce()::equals).isPresent());
        assertThat(engine.isEnded(uid, registering.nonce()).join()).isFalse();
        assertThat(engine.unregister(registering, StateChange.DEVICE_DISCONNECT).join()).isTrue();
        assertThat(engine.device(id("d")).join()).isEmpty();
    }

    /** The same with the replaced connection ended on the node (by its extrusion): it may come back, offline. */
    @Test
    void aTakeBackLeavesAnAttachedReplacedConnectionOffline() {
        String uid = id("u");
        DeviceSession attached = session(uid, id("d"));
        engine.register(attached, 10, System.currentTimeMillis()).join();
        DeviceSession failed = session(uid, id("d"));
        engine.register(failed, 10, System.currentTimeMillis()).join();
        assertThat(engine.unregister(failed, StateChange.DEVICE_DISCONNECT).join()).isTrue();
        engine.takeBackReplaced(failed, attached, true);
        await().atMost(WAIT).until(() -> !engine.isEnded(uid, attached.nonce()).join());
        await().atMost(WAIT).during(Duration.ofSeconds(1)).until(() -> engine.device(id("d")).join().isEmpty());
    }

    @Test
    void aSecondConnectionOfADeviceReplacesAndExtrudesTheFirst() {
        String uid = id("u");
        DeviceSession first = session(uid, id("d"));
        engine.register(first, 10, System.currentTimeMillis()).join();
        DeviceSession second = session(uid, id("d"));
        Registration registration = engine.register(second, 10, System.currentTimeMillis()).join();
        assertThat(registration.replaced().nonce()).isEqualTo(first.nonce());
        await().atMost(WAIT).until(() -> listener.extruded.contains(first.nonce()));
        assertThat(engine.isEnded(uid, first.nonce()).join()).isTrue();
        assertThat(engine.unregister(first, StateChange.DEVICE_DISCONNECT).join()).as("late unregister of the old one").isFalse();
        assertThat(engine.device(id("d")).join()).get().extracting(DeviceSession::nonce).isEqualTo(second.nonce());
        assertThat(engine.unregister(second, StateChange.DEVICE_DISCONNECT).join()).isTrue();
        assertThat(engine.device(id("d")).join()).isEmpty();
    }

    /** A registration re-sent for the same connection (a command replayed after a reconnect) changes nothing. */
    @Test
    void registeringTheSameConnectionAgainExtrudesNobody() {
        String uid = id("u");
        DeviceSession session = session(uid, id("d"));
        engine.register(session, 10, System.currentTimeMillis()).join();
        Registration again = engine.register(session, 10, System.currentTimeMillis()).join();
        assertThat(again.accepted()).isTrue();
        assertThat(again.replaced()).isNull();
        assertThat(engine.isEnded(uid, session.nonce()).join()).isFalse();
        assertThat(listener.extruded).doesNotContain(session.nonce());
        assertThat(engine.device(id("d")).join()).get().extracting(DeviceSession::nonce).isEqualTo(session.nonce());
    }

    /**
     * A connection without a cursor starts where its registration was written: what follows is after it. (A replay
     * asked for while this node has handed on nothing after the position may leave out what it will still hand on
     * live; the node's connection is findable by then. Asked once the message was handed on, it reads it.)
     */
    @Test
    void aRegistrationFixesWhereItsConnectionStarts() {
        String uid = id("u");
        engine.publish(new Publication(null, "before", Set.of(uid), Set.of())).join();
        Registration registration = engine.register(session(uid, id("d")), 10, System.currentTimeMillis()).join();
        assertThat(engine.publish(new Publication(null, "after", Set.of(uid), Set.of())).join()).isEqualTo(1);
        await().atMost(WAIT).until(() -> listener.delivered(uid).stream().anyMatch(m -> m.data().equals("after")));
        Replay replay = engine.replay(uid, id("d"), Optional.of(registration.start())).join();
        assertThat(replay.resetReason()).isNull();
        assertThat(replay.messages()).extracting(StreamMessage::data).containsExactly("after");
    }

    @Test
    void aPublicationRepeatedWithItsIdempotencyKeyAnswersTheFirstResultAndAppendsOnce() {
        String uid = id("u");
        Registration registration = engine.register(session(uid, id("d")), 10, System.currentTimeMillis()).join();
        String key = id("key");
        assertThat(engine.publish(new Publication(null, "once", Set.of(uid), Set.of(), key)).join()).isEqualTo(1);
        assertThat(engine.publish(new Publication(null, "once", Set.of(uid), Set.of(), key)).join()).isEqualTo(1);
        await().atMost(WAIT).until(() -> listener.delivered(uid).size() == 1);
        assertThat(engine.replay(uid, id("d"), Optional.of(registration.start())).join().messages())
                .extracting(StreamMessage::data).containsExactly("once");
    }

    @Test
    void presenceChangesAreReportedWithReasons() {
        String uid = id("u");
        DeviceSession a = session(uid, id("a"));
        DeviceSession b = session(uid, id("b"));
        engine.register(a, 10, System.currentTimeMillis()).join();
        engine.register(b, 10, System.currentTimeMillis()).join();
        engine.unregister(a, StateChange.KICK_OFFLINE).join();
        engine.unregister(b, StateChange.DEVICE_DISCONNECT).join();
        await().atMost(WAIT).until(() -> changes.stream().filter(c -> c.uid().equals(uid)).count() == 6);
        assertThat(changes.stream().filter(c -> c.uid().equals(uid)).map(c -> c.kind() + ":" + c.device() + ":" + c.reason()))
                .containsExactly(
                        "USER_ONLINE:" + id("a") + ":device_connected",
                        "DEVICE_ONLINE:" + id("a") + ":device_connected",
                        "DEVICE_ONLINE:" + id("b") + ":device_connected",
                        "DEVICE_OFFLINE:" + id("a") + ":kick_offline",
                        "DEVICE_OFFLINE:" + id("b") + ":device_disconnect",
                        "USER_OFFLINE:" + id("b") + ":device_disconnect");
    }

    @Test
    void aDeviceAddressedBothByItselfAndThroughItsUserCountsOnceOnline() {
        String uid = id("u");
        String other = id("v");
        engine.register(session(uid, id("a")), 10, System.currentTimeMillis()).join();
        engine.register(session(uid, id("b")), 10, System.currentTimeMillis()).join();
        engine.register(session(other, id("c")), 10, System.currentTimeMillis()).join();
        assertThat(engine.publish(new Publication(null, "mixed", Set.of(uid), Set.of(id("a"), id("c"), id("gone"))))
                .join()).isEqualTo(3);
        assertThat(engine.kick(Set.of(uid), Set.of(id("a"), id("c"), id("gone")), "bye").join()).isEqualTo(3);
    }

    @Test
    void liveMessagesReachTheListenerWithDeviceTagsAndOnlineCounts() {
        String uid = id("u");
        engine.register(session(uid, id("a")), 10, System.currentTimeMillis()).join();
        engine.register(session(uid, id("b")), 10, System.currentTimeMillis()).join();
        engine.replay(uid, id("a"), Optional.empty()).join();
        assertThat(engine.publish(new Publication(null, "to all", Set.of(uid), Set.of())).join()).isEqualTo(2);
        assertThat(engine.publish(new Publication(null, "to b", Set.of(), Set.of(id("b")))).join()).isEqualTo(1);
        await().atMost(WAIT).until(() -> listener.delivered(uid).size() == 2);
        assertThat(listener.delivered(uid)).extracting(StreamMessage::data).containsExactly("to all", "to b");
        assertThat(listener.delivered(uid).get(1).addressedTo(id("a"))).isFalse();
        assertThat(listener.delivered(uid).get(1).addressedTo(id("b"))).isTrue();
        assertThat(listener.delivered(uid).get(0).offset()).isLessThan(listener.delivered(uid).get(1).offset());
    }

    @Test
    void replayFiltersMessagesForOtherDevicesOfTheUser() {
        String uid = id("u");
        engine.register(session(uid, id("a")), 10, System.currentTimeMillis()).join();
        engine.register(session(uid, id("b")), 10, System.currentTimeMillis()).join();
        Position start = engine.replay(uid, id("a"), Optional.empty()).join().start();
        engine.publish(new Publication(null, "for b", Set.of(), Set.of(id("b")))).join();
        engine.publish(new Publication(null, "for a", Set.of(), Set.of(id("a")))).join();
        await().atMost(WAIT).until(() -> listener.delivered(uid).size() == 2);
        assertThat(engine.replay(uid, id("a"), Optional.of(start)).join().messages()).extracting(StreamMessage::data)
                .containsExactly("for a");
    }

    @Test
    void broadcastsAreRetainedAndDelivered() {
        Position start = engine.replay(id("u"), "d", Optional.empty()).join().start();
        engine.publish(new Publication(null, "everyone " + run, Set.of(), Set.of())).join();
        await().atMost(WAIT).until(() -> listener.messages.stream().anyMatch(m -> m.isBroadcast()
                && m.data().equals("everyone " + run)));
        assertThat(engine.replay(id("u"), "d", Optional.of(start)).join().messages()).extracting(StreamMessage::data)
                .contains("everyone " + run);
    }

    @Test
    void aCursorBehindTheRetainedHistoryIsResetAsExpired() {
        String uid = id("u");
        Position start = engine.replay(uid, "d", Optional.empty()).join().start();
        for (int i = 1; i <= 8; i++) {
            engine.publish(new Publication(null, "m" + i, Set.of(uid), Set.of())).join();
        }
        Replay replay = engine.replay(uid, "d", Optional.of(start)).join();
        assertThat(replay.resetReason()).isEqualTo(Replay.EXPIRED);
        assertThat(replay.messages()).extracting(StreamMessage::data).containsExactly("m4", "m5", "m6", "m7", "m8");
    }

    /**
     * Messages older than the retention are trimmed when the stream is next written: a cursor before them is reset
     * as expired, and one at the last of them (its client saw everything trimmed) resumes without a reset. A second
     * round checks the trimming again once the stream's oldest message has changed.
     */
    @Test
    void messagesOlderThanTheRetentionAreTrimmedAndOnlyCursorsBeforeThemReset() throws InterruptedException {
        Engine shortLived = startedEngine(Map.of("sse.device_frame_cache_expire", "1"));
        try {
            String uid = id("u");
            Position start = shortLived.replay(uid, "d", Optional.empty()).join().start();
            shortLived.publish(new Publication(null, "m1", Set.of(uid), Set.of())).join();
            Position afterM1 = after(shortLived.replay(uid, "d", Optional.of(start)).join(), start, "m1");
            Thread.sleep(1_100);
            shortLived.publish(new Publication(null, "m2", Set.of(uid), Set.of())).join();
            shortLived.publish(new Publication(null, "m3", Set.of(uid), Set.of())).join();

            Replay fromStart = shortLived.replay(uid, "d", Optional.of(start)).join();
            assertThat(fromStart.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(fromStart.messages()).extracting(StreamMessage::data).containsExactly("m2", "m3");
            Replay fromM1 = shortLived.replay(uid, "d", Optional.of(afterM1)).join();
            assertThat(fromM1.resetReason()).isNull();
            assertThat(fromM1.messages()).extracting(StreamMessage::data).containsExactly("m2", "m3");

            Position afterM2 = after(fromM1, afterM1, "m2");
            Position afterM3 = after(fromM1, afterM1, "m3");
            Thread.sleep(1_100);
            shortLived.publish(new Publication(null, "m4", Set.of(uid), Set.of())).join();
            Replay fromM2 = shortLived.replay(uid, "d", Optional.of(afterM2)).join();
            assertThat(fromM2.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(fromM2.messages()).extracting(StreamMessage::data).containsExactly("m4");
            Replay fromM3 = shortLived.replay(uid, "d", Optional.of(afterM3)).join();
            assertThat(fromM3.resetReason()).isNull();
            assertThat(fromM3.messages()).extracting(StreamMessage::data).containsExactly("m4");
        } finally {
            shortLived.close();
        }
    }

    /** The cursor of a connection that has seen the replay's messages up to the one with this data. */
    protected static Position after(Replay replay, Position from, String data) {
        long offset = replay.messages().stream().filter(m -> m.data().equals(data)).findFirst().orElseThrow().offset();
        return new Position(from.epoch(), offset, from.broadcastOffset());
    }

    @Test
    void aCursorAheadOfTheStreamIsUnknownAndOneFromAnotherHistoryIsLost() {
        String uid = id("u");
        Position start = engine.replay(uid, "d", Optional.empty()).join().start();
        engine.publish(new Publication(null, "x", Set.of(uid), Set.of())).join();
        Position ahead = new Position(start.epoch(), Long.MAX_VALUE / 2, start.broadcastOffset());
        assertThat(engine.replay(uid, "d", Optional.of(ahead)).join().resetReason()).isEqualTo(Replay.UNKNOWN_CURSOR);
        Position other = new Position("another-epoch", start.userOffset(), start.broadcastOffset());
        Replay lost = engine.replay(uid, "d", Optional.of(other)).join();
        assertThat(lost.resetReason()).isEqualTo(Replay.HISTORY_LOST);
        assertThat(lost.messages()).extracting(StreamMessage::data).contains("x");
    }

    @Test
    void kickEndsOnlineDevicesAndRevokesEarlierTokens() {
        String uid = id("u");
        DeviceSession online = session(uid, id("a"));
        engine.register(online, 10, System.currentTimeMillis()).join();
        listener.held.put(online.device(), online);
        long before = System.currentTimeMillis() - 1000;
        assertThat(engine.kick(Set.of(uid), Set.of(), "bye").join()).isEqualTo(1);
        assertThat(listener.kicks).contains(uid + ":bye");
        assertThat(engine.device(online.device()).join()).as("offline once the kick answered").isEmpty();
        assertThat(engine.isRevoked(uid, id("a"), before).join()).isTrue();
        assertThat(engine.isRevoked(uid, id("a"), System.currentTimeMillis() + 1000).join()).isFalse();
        assertThat(engine.isRevoked(id("other"), id("x"), before).join()).isFalse();
        assertThat(engine.kick(Set.of(), Set.of(id("nobody")), "").join()).isZero();
    }

    /** The revocation is checked by the registration itself: a token issued before a kick registers nothing. */
    @Test
    void aRegistrationWithATokenIssuedBeforeAKickIsRefused() {
        String uid = id("u");
        long before = System.currentTimeMillis() - 1000;
        engine.kick(Set.of(uid), Set.of(id("kicked-device")), "").join();
        long after = System.currentTimeMillis() + 1000;
        assertThat(engine.register(session(uid, id("a")), 10, before).join().outcome())
                .as("user kicked").isEqualTo(Registration.Outcome.REVOKED);
        assertThat(engine.register(session(id("other"), id("kicked-device")), 10, before).join().outcome())
                .as("device kicked").isEqualTo(Registration.Outcome.REVOKED);
        assertThat(engine.userDevices(uid).join()).isEmpty();
        assertThat(engine.device(id("kicked-device")).join()).isEmpty();
        assertThat(changes).as("nothing announced").noneMatch(c -> c.uid().equals(uid) || c.uid().equals(id("other")));
        assertThat(engine.register(session(uid, id("a")), 10, after).join().outcome()).isEqualTo(Registration.Outcome.ACCEPTED);
        assertThat(engine.register(session(id("other"), id("kicked-device")), 10, after).join().accepted()).isTrue();
    }

    /** A device that comes online for another user leaves its first user (offline first) and ends that connection. */
    @Test
    void aDeviceTakenByAnotherUserLeavesItsFirstUserFirst() {
        String device = id("shared");
        DeviceSession first = session(id("first"), device);
        DeviceSession second = session(id("second"), device);
        engine.register(first, 10, System.currentTimeMillis()).join();
        Registration registration = engine.register(second, 10, System.currentTimeMillis()).join();
        assertThat(registration.accepted()).isTrue();
        assertThat(registration.replaced()).extracting(DeviceSession::nonce).isEqualTo(first.nonce());
        await().atMost(WAIT).until(() -> listener.extruded.contains(first.nonce()));
        assertThat(engine.userDevices(id("first")).join()).isEmpty();
        assertThat(engine.device(device).join()).get().extracting(DeviceSession::nonce).isEqualTo(second.nonce());
        await().atMost(WAIT).until(() -> changes.stream().anyMatch(c -> c.uid().equals(id("second"))
                && c.kind() == StateChange.Kind.DEVICE_ONLINE));
        List<String> order = changes.stream().filter(c -> c.device().equals(device) && c.kind() != StateChange.Kind.USER_ONLINE
                && c.kind() != StateChange.Kind.USER_OFFLINE).map(c -> c.kind() + ":" + c.uid()).toList();
        assertThat(order).containsExactly("DEVICE_ONLINE:" + id("first"), "DEVICE_OFFLINE:" + id("first"),
                "DEVICE_ONLINE:" + id("second"));
    }

    /**
     * A user already at the maximum of devices is refused a device that another user has: that user keeps it, online
     * and not ended, and a message to the device alone still reaches it.
     */
    @Test
    void aDeviceRefusedToAUserWithoutRoomStaysWithTheUserThatHasIt() {
        String device = id("shared");
        DeviceSession holder = session(id("holder"), device);
        assertThat(engine.register(holder, 1, System.currentTimeMillis()).join().accepted()).isTrue();
        assertThat(engine.register(session(id("full"), id("own")), 1, System.currentTimeMillis()).join().accepted()).isTrue();
        Registration refused = engine.register(session(id("full"), device), 1, System.currentTimeMillis()).join();
        assertThat(refused.outcome()).isEqualTo(Registration.Outcome.TOO_MANY_DEVICES);
        assertThat(engine.device(device).join()).get().extracting(DeviceSession::nonce).isEqualTo(holder.nonce());
        assertThat(engine.userDevices(id("holder")).join()).extracting(DeviceSession::device).containsExactly(device);
        assertThat(engine.isEnded(id("holder"), holder.nonce()).join()).isFalse();
        assertThat(listener.extruded).doesNotContain(holder.nonce());
        assertThat(engine.publish(new Publication("chat", "to the device", Set.of(), Set.of(device))).join()).isEqualTo(1);
        await().atMost(WAIT).until(() -> listener.delivered(id("holder")).stream()
                .anyMatch(message -> message.data().equals("to the device")));
    }

    @Test
    void endedConnectionsAreRemembered() {
        String uid = id("u");
        String nonce = "n" + run;
        assertThat(engine.isEnded(uid, nonce).join()).isFalse();
        engine.markEnded(uid, nonce);
        await().atMost(WAIT).until(() -> engine.isEnded(uid, nonce).join());
        assertThat(engine.isEnded(id("other"), nonce).join()).isFalse();
    }

    /** One token churning connections cannot grow what is remembered of them: a user's most recent ones are kept. */
    @Test
    void aUsersEndedConnectionsAreBounded() {
        String uid = id("u");
        int kept = config.limits().endedConnectionsPerUser();
        for (int i = 0; i < kept + 10; i++) {
            engine.markEnded(uid, "n" + run + "-" + i);
        }
        String newest = "n" + run + "-" + (kept + 9);
        await().atMost(WAIT).until(() -> engine.isEnded(uid, newest).join());
        assertThat(engine.isEnded(uid, "n" + run + "-0").join()).as("the oldest is forgotten").isFalse();
    }

    @Test
    void nodesAndCountsDescribeTheCluster() {
        String uid = id("u");
        engine.register(session(uid, id("a")), 10, System.currentTimeMillis()).join();
        List<NodeStatus> nodes = engine.nodes().join();
        assertThat(nodes).extracting(NodeStatus::address).contains(NODE);
        assertThat(nodes.stream().filter(n -> n.address().equals(NODE)).findFirst().orElseThrow().deviceCount()).isPositive();
        assertThat(engine.userCount().join()).isPositive();
    }

    /** Records what the engine asked of the node; a kick ends the sessions a test put in {@link #held}. */
    protected static final class RecordingListener implements EngineListener {
        final Map<String, DeviceSession> held = new ConcurrentHashMap<>();
        volatile Engine engine;
        final List<StreamMessage> messages = new CopyOnWriteArrayList<>();
        final List<String> extruded = new CopyOnWriteArrayList<>();
        final List<String> kicks = new CopyOnWriteArrayList<>();
        final List<String> resets = new CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger revalidations = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void deliver(StreamMessage message) {
            messages.add(message);
        }

        @Override
        public void extrude(DeviceSession session, String byClientAddress) {
            extruded.add(session.nonce());
        }

        @Override
        public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data, long kickedAtMillis) {
            uids.forEach(uid -> kicks.add(uid + ":" + data));
            devices.forEach(device -> kicks.add(device + ":" + data));
            List<DeviceSession> ended = held.values().stream()
                    .filter(session -> uids.contains(session.uid()) || devices.contains(session.device())).toList();
            ended.forEach(session -> held.remove(session.device()));
            CompletableFuture<?>[] removals = ended.stream()
                    .map(session -> engine.unregister(session, StateChange.KICK_OFFLINE)).toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(removals).thenApply(done -> ended.size());
        }

        @Override
        public void streamReset(String uid, String reason) {
            resets.add(uid + ":" + reason);
        }

        @Override
        public void historyRestarted(String epoch) {
            resets.add("epoch:" + epoch);
        }

        @Override
        public void revalidate() {
            revalidations.incrementAndGet();
        }

        List<StreamMessage> delivered(String uid) {
            return messages.stream().filter(m -> uid.equals(m.uid())).toList();
        }
    }
}
