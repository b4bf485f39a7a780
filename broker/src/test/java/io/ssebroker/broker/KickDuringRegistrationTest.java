package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.memory.MemoryEngine;
import io.ssebroker.sse.SseStream;
import io.ssebroker.testing.Outbound;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A kick (or an extrusion) that reaches the node while a connection of the kicked user is registered but not attached
 * yet finds no connection to end; the connection ends itself once attached, with the kick's data. Here the registration's answer
 * is held back until the kick has come. A shutdown's drain that begins meanwhile sends the client elsewhere.
 */
class KickDuringRegistrationTest {
    private final BrokerConfig config = new ConfigLoader(Map.of())
            .load(Optional.empty(), Map.of("jwt.secret", "kick-during-registration-secret-of-32-bytes")).config();
    private final HeldRegistrations engine = new HeldRegistrations(new MemoryEngine(config, "node:1", "test", StateChangeListener.NONE));
    private final Broker broker = new Broker(engine, config, "node:1");
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        engine.close();
    }

    /** The kick of the engine (it revoked the token after it was issued). */
    @Test
    void aKickOfTheEngineEndsTheConnectionWithItsData() {
        broker.start();
        long issuedAt = System.currentTimeMillis() - 1;
        broker.connect(new ConnectRequest("u", "d", null, issuedAt, "127.0.0.1:1"), opener());
        assertThat(engine.kick(Set.of("u"), Set.of(), "bye now").join()).as("online when kicked").isEqualTo(1);
        engine.answerRegistrations();
        channel.runPendingTasks();
        assertThat(Outbound.text(channel)).contains("event: sys_kick_offline\n").contains("data: bye now\n");
        assertThat(channel.isOpen()).isFalse();
    }

    /** A kick decided in the millisecond its token was issued: the kick's revocation does not refuse such a token. */
    @Test
    void aKickOfTheTokensOwnMillisecondEndsTheConnection() {
        broker.start();
        long issuedAt = System.currentTimeMillis();
        broker.connect(new ConnectRequest("u", "d", null, issuedAt, "127.0.0.1:1"), opener());
        broker.kick(Set.of("u"), Set.of(), "same millisecond", issuedAt);
        engine.answerRegistrations();
        channel.runPendingTasks();
        assertThat(Outbound.text(channel)).contains("event: sys_kick_offline\n").contains("data: same millisecond\n");
    }

    /** A kick decided before the token was issued is not the connection's: it stays. */
    @Test
    void aKickBeforeTheTokenLeavesTheConnection() {
        broker.start();
        long issuedAt = System.currentTimeMillis();
        broker.connect(new ConnectRequest("u", "d", null, issuedAt, "127.0.0.1:1"), opener());
        broker.kick(Set.of("u"), Set.of(), "too early", issuedAt - 1);
        engine.answerRegistrations();
        channel.runPendingTasks();
        assertThat(Outbound.text(channel)).contains("event: sys_connected\n").doesNotContain("sys_kick_offline");
        assertThat(channel.isOpen()).isTrue();
    }

    /**
     * An extrusion works the same way: the newer connection of the device, registered while the first one was not
     * attached yet, ends it once attached, and {@code sys_extrude_offline} names the newer connection's client.
     */
    @Test
    void anExtrusionDuringTheRegistrationNamesTheNewConnection() {
        broker.start();
        EmbeddedChannel newer = new EmbeddedChannel();
        try {
            long issuedAt = System.currentTimeMillis();
            broker.connect(new ConnectRequest("u", "d", null, issuedAt, "127.0.0.1:1"), opener());
            broker.connect(new ConnectRequest("u", "d", null, issuedAt, "198.51.100.7:4242"), TestOpeners.on(newer));
            engine.answerRegistrations();
            channel.runPendingTasks();
            newer.runPendingTasks();
            assertThat(Outbound.text(channel)).contains("event: sys_extrude_offline\n").contains("data: 198.51.100.7:4242\n");
            assertThat(channel.isOpen()).isFalse();
            assertThat(Outbound.text(newer)).contains("event: sys_connected\n").doesNotContain("sys_extrude_offline");
            // the newer connection is the device's on this node, though its registration was answered first here
            broker.kick(Set.of(), Set.of("d"), "by device", System.currentTimeMillis());
            newer.runPendingTasks();
            assertThat(Outbound.text(newer)).contains("event: sys_kick_offline\n");
        } finally {
            newer.finishAndReleaseAll();
        }
    }

    /**
     * Three quick connections of one device: the engine decides their registrations in the order they came (each
     * replaces the one before), and its answers come the last first, then the first, then the second. The last is
     * the device's connection on this node: the other two are extruded, and a kick by device finds the last.
     */
    @Test
    void theLastOfThreeQuickConnectionsIsTheDevicesWhateverOrderItsAnswerCame() {
        broker.start();
        List<EmbeddedChannel> quick = List.of(new EmbeddedChannel(), new EmbeddedChannel(), new EmbeddedChannel());
        try {
            long issuedAt = System.currentTimeMillis();
            broker.connect(new ConnectRequest("u", "d", null, issuedAt, "127.0.0.1:1"), opener());
            engine.answerRegistration(0);
            channel.runPendingTasks();
            for (EmbeddedChannel each : quick) {
                broker.connect(new ConnectRequest("u", "d", null, issuedAt, "127.0.0.1:2"), TestOpeners.on(each));
            }
            for (int answered : new int[] {3, 1, 2}) {
                engine.answerRegistration(answered);
                quick.forEach(EmbeddedChannel::runPendingTasks);
            }
            channel.runPendingTasks();
            assertThat(Outbound.text(channel)).contains("event: sys_extrude_offline\n");
            for (EmbeddedChannel replaced : quick.subList(0, 2)) {
                assertThat(Outbound.text(replaced)).contains("event: sys_extrude_offline\n");
                assertThat(replaced.isOpen()).isFalse();
            }
            EmbeddedChannel last = quick.get(2);
            assertThat(Outbound.text(last)).contains("event: sys_connected\n").doesNotContain("sys_extrude_offline");
            broker.kick(Set.of(), Set.of("d"), "by device", System.currentTimeMillis());
            last.runPendingTasks();
            assertThat(Outbound.text(last)).contains("event: sys_kick_offline\n").contains("data: by device\n");
            assertThat(last.isOpen()).isFalse();
        } finally {
            quick.forEach(EmbeddedChannel::finishAndReleaseAll);
        }
    }

    /**
     * A drain that began while the connection was registered: the client is sent to another node at a spread pace,
     * as those that came once the drain began, and its device is not left online.
     */
    @Test
    void aConnectionRegisteredWhileTheNodeDrainsIsToldToComeBackLater() {
        broker.start();
        List<String> refusals = new ArrayList<>();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"), new StreamOpener() {
            @Override
            public EventExecutor executor() {
                return channel.eventLoop();
            }

            @Override
            public SseStream open() {
                throw new AssertionError("opened on a draining node");
            }

            @Override
            public void reject(int status, String message) {
                throw new AssertionError("refused: " + status + " " + message);
            }

            @Override
            public void comeBackLater(String reason, int retryMillis) {
                refusals.add(reason + " (retry " + (retryMillis > 0) + ")");
            }
        });
        assertThat(broker.drain(0)).as("the registration is still pending").isFalse();
        engine.holdRemovals();
        engine.answerRegistrations();
        channel.runPendingTasks();
        assertThat(refusals).containsExactly("node is shutting down; connect to another node (retry true)");
        assertThat(broker.awaitDetached(100)).as("the drain waits for the removal of its presence").isFalse();
        engine.answerRemovals();
        assertThat(broker.awaitDetached(5000)).as("nothing left to drain").isTrue();
        assertThat(engine.device("d").join()).as("the device is not left online").isEmpty();
    }

    private StreamOpener opener() {
        return TestOpeners.on(channel);
    }
}
