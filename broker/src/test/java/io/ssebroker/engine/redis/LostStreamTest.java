package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.testing.RedisServers;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A user's stream lost on its own, with its meta hash: on a Redis Cluster, the master that holds it came back empty
 * while the history epoch, on another master, was kept (or the stream and its meta hash expired while the device
 * was away). A client coming back with a cursor from the lost stream is told ({@code sys_reset expired}) rather than
 * replayed only what was sent since, as if nothing had been between; a client that had nothing from the stream, or
 * a cursor from the new one, is not.
 */
class LostStreamTest {

    @Test
    void aCursorFromBeforeTheStreamWasMadeAgainIsResetAndReplayedWhatIsThere() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisEngine engine = TestEngines.started(redis, "127.0.0.1:7001")) {
            String uid = "u-" + UUID.randomUUID();
            Registration registered = engine.register(new DeviceSession(uid, "d-lost", "k-lost", "127.0.0.1:7001",
                    "127.0.0.1:5555", System.currentTimeMillis()), 4, System.currentTimeMillis()).join();
            Position start = registered.start();
            engine.publish(new Publication(null, "received", Set.of(uid), Set.of())).join();
            Replay received = engine.replay(uid, "d-lost", Optional.of(start)).join();
            assertThat(received.messages()).extracting(StreamMessage::data).containsExactly("received");
            Position cursor = new Position(start.epoch(), received.messages().get(0).offset(), start.broadcastOffset());
            engine.publish(new Publication(null, "lost", Set.of(uid), Set.of())).join();

            RedisKeys keys = new RedisKeys("sse");
            redis.first().cli("DEL", keys.userStream(uid), keys.userMeta(uid)); // the user's slot came back empty
            engine.publish(new Publication(null, "after", Set.of(uid), Set.of())).join();

            Replay afterLoss = engine.replay(uid, "d-lost", Optional.of(cursor)).join();
            assertThat(afterLoss.resetReason()).isEqualTo(Replay.EXPIRED);
            assertThat(afterLoss.messages()).extracting(StreamMessage::data).containsExactly("after");

            Replay fromNothing = engine.replay(uid, "d-lost", Optional.of(new Position(start.epoch(), 0,
                    start.broadcastOffset()))).join();
            assertThat(fromNothing.resetReason()).as("a cursor with nothing of the stream").isNull();
            Position current = new Position(start.epoch(), afterLoss.messages().get(0).offset(), start.broadcastOffset());
            assertThat(engine.replay(uid, "d-lost", Optional.of(current)).join().resetReason())
                    .as("a cursor of the new stream").isNull();
        }
    }
}
