package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.memory.MemoryEngine;
import io.ssebroker.testing.Outbound;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection whose registration replaced the device's previous connection, and that ended before it went live (its
 * replay failed): its client never had it and comes back with the previous connection's cursor, which must not be
 * refused as ended. A connection that went live keeps the previous one ended.
 */
class NeverLiveConnectionTest {
    private final BrokerConfig config = new ConfigLoader(Map.of())
            .load(Optional.empty(), Map.of("jwt.secret", "never-live-connection-secret-of-32-bytes")).config();
    private final FailingReplays engine = new FailingReplays(new MemoryEngine(config, "node:1", "test", StateChangeListener.NONE));
    private final Broker broker = new Broker(engine, config, "node:1");
    private final EmbeddedChannel previousChannel = new EmbeddedChannel();
    private final EmbeddedChannel nextChannel = new EmbeddedChannel();

    @AfterEach
    void close() {
        previousChannel.finishAndReleaseAll();
        nextChannel.finishAndReleaseAll();
        engine.close();
    }

    @Test
    void theEndOfTheReplacedConnectionIsTakenBackWhenTheNewOneNeverWentLive() {
        DeviceSession previous = connectPrevious();
        engine.failReplays = true;
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:2"),
                TestOpeners.on(nextChannel));
        nextChannel.runPendingTasks();
        previousChannel.runPendingTasks();
        assertThat(Outbound.text(previousChannel)).as("replaced").contains("event: sys_extrude_offline\n");
        assertThat(nextChannel.isOpen()).as("its replay failed").isFalse();
        assertThat(Outbound.text(nextChannel)).doesNotContain("sys_connected");
        assertThat(engine.isEnded("u", previous.nonce()).join()).as("may come back").isFalse();
    }

    @Test
    void theReplacedConnectionStaysEndedWhenTheNewOneWentLive() {
        DeviceSession previous = connectPrevious();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:2"),
                TestOpeners.on(nextChannel));
        nextChannel.runPendingTasks();
        assertThat(Outbound.text(nextChannel)).contains("event: sys_connected\n");
        nextChannel.close();
        nextChannel.runPendingTasks();
        assertThat(engine.isEnded("u", previous.nonce()).join()).isTrue();
    }

    /**
     * The replaced connection was still registering (its answer held back) when the new one ended before it went
     * live: attached, it goes live, and its device is online again (its presence entry, which the new one replaced,
     * is written back), as before the new one came.
     */
    @Test
    void aReplacedConnectionStillRegisteringIsOnlineAgain() {
        HeldRegistrations held = replacedWhileAnswersAreHeld();
        try {
            held.answerRegistration(1);
            nextChannel.runPendingTasks();
            held.answerRegistration(0);
            previousChannel.runPendingTasks();
            assertThat(Outbound.text(previousChannel)).contains("event: sys_connected\n").doesNotContain("sys_extrude_offline");
            assertThat(previousChannel.isOpen()).isTrue();
            assertThat(held.device("d").join()).as("online again").hasValueSatisfying(session ->
                    assertThat(session.clientAddress()).isEqualTo("127.0.0.1:1"));
            previousChannel.close();
            previousChannel.runPendingTasks();
            assertThat(held.device("d").join()).as("offline once closed").isEmpty();
        } finally {
            held.close();
        }
    }

    /**
     * The same with the replaced connection attached when the new one ends, its replay not done: its extrusion came
     * while it registered, and its end was not claimed yet. It goes live, its device online again.
     */
    @Test
    void aReplacedConnectionStillReplayingIsOnlineAgain() {
        HeldRegistrations held = replacedWhileAnswersAreHeld();
        try {
            held.holdReplays();
            held.answerRegistration(0);
            previousChannel.runPendingTasks(); // attached, replaying
            held.answerRegistration(1);
            nextChannel.runPendingTasks();
            held.answerReplays();
            previousChannel.runPendingTasks();
            assertThat(Outbound.text(previousChannel)).contains("event: sys_connected\n").doesNotContain("sys_extrude_offline");
            assertThat(held.device("d").join()).as("online again").hasValueSatisfying(session ->
                    assertThat(session.clientAddress()).isEqualTo("127.0.0.1:1"));
        } finally {
            held.close();
        }
    }

    /**
     * A node whose engine holds its answers, where the device connected on the previous channel and again on the
     * next, whose client is gone: the second registration replaced the first, and neither is answered yet.
     */
    private HeldRegistrations replacedWhileAnswersAreHeld() {
        HeldRegistrations held = new HeldRegistrations(new MemoryEngine(config, "node:1", "test", StateChangeListener.NONE));
        Broker broker = new Broker(held, config, "node:1");
        broker.start();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"),
                TestOpeners.on(previousChannel));
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:2"),
                TestOpeners.on(nextChannel));
        nextChannel.close();
        return held;
    }

    /** A stream that fails to open (its connection moved on under it, say) leaves no presence and no count behind. */
    @Test
    void aStreamThatFailsToOpenLeavesNoPresenceBehind() {
        broker.start();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"),
                TestOpeners.failingOn(nextChannel, new IllegalStateException("the connection's handlers are gone")));
        nextChannel.runPendingTasks();
        assertThat(engine.device("d").join()).as("offline").isEmpty();
        assertThat(broker.connectionCount()).isZero();
    }

    private DeviceSession connectPrevious() {
        broker.start();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"),
                TestOpeners.on(previousChannel));
        previousChannel.runPendingTasks();
        assertThat(Outbound.text(previousChannel)).contains("event: sys_connected\n");
        return engine.device("d").join().orElseThrow();
    }

    /** The memory engine, whose replays fail (Redis unreachable, say) once the test says so. */
    private static final class FailingReplays extends ForwardingEngine {
        private volatile boolean failReplays;

        FailingReplays(Engine engine) {
            super(engine);
        }

        @Override
        public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
            return failReplays ? CompletableFuture.failedFuture(new EngineUnavailableException("replay refused by the test", null))
                    : super.replay(uid, device, from);
        }
    }
}
