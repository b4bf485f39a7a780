package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control channel's kicks and their reports, through a real redis-server's shard channel. */
class ControlChannelTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");

    private RedisIoFixture fixture;
    private StatefulRedisConnection<String, String> commands;
    private StatefulRedisPubSubConnection<String, String> listening;
    private final BlockingQueue<String> published = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void start() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        fixture = new RedisIoFixture();
        commands = fixture.client.connect(Utf8Codec.INSTANCE, fixture.uri());
        listening = fixture.client.connectPubSub(Utf8Codec.INSTANCE, fixture.uri());
        listening.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void smessage(String channel, String message) {
                published.add(message);
            }
        });
        listening.sync().ssubscribe(KEYS.controlChannel());
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        if (fixture != null) {
            fixture.close();
        }
    }

    /** A node whose kicks end {@code ends} connections each. */
    private ControlChannel node(String nodeId, int ends) {
        IgnoringEngineListener listener = new IgnoringEngineListener() {
            @Override
            public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data, long kickedAtMillis) {
                return CompletableFuture.completedFuture(ends);
            }
        };
        return new ControlChannel(commands.async(), new RedisScripts(commands.async()), KEYS, nodeId, "127.0.0.1:1", listener, nonce -> null, (session, nonce) -> { },
                scheduler);
    }

    private String nextPublished() throws InterruptedException {
        String message = published.poll(5, TimeUnit.SECONDS);
        assertThat(message).as("a control message").isNotNull();
        return message;
    }

    @Test
    void aReportReceivedTwiceCountsOnce() throws Exception {
        ControlChannel asker = node("node-a", 0);
        CompletableFuture<Void> kicked = asker.kick(Set.of("u"), Set.of(), "bye", System.currentTimeMillis(), 2);
        String kick = nextPublished();
        node("node-b", 1).received(kick);
        String fromB = nextPublished();
        asker.received(fromB);
        asker.received(fromB); // the report re-sent after the reporter's connection came back
        assertThat(kicked).as("one of the two connections is still online").isNotDone();
        node("node-c", 1).received(kick);
        asker.received(nextPublished());
        await().atMost(Duration.ofMillis(500)).until(kicked::isDone);
    }

    @Test
    void anAskToRestoreIsRecordedWithAnExpiryThenAnnounced() throws Exception {
        DeviceSession connection = new DeviceSession("u", "d", "held", "10.0.0.2:8080", "127.0.0.1", 1);
        node("node-a", 0).restore(connection, "failed").get(5, TimeUnit.SECONDS);

        String asks = KEYS.restoreAsks("10.0.0.2:8080");
        assertThat(commands.sync().hgetall(asks)).containsExactly(Map.entry("held", "failed"));
        assertThat(commands.sync().pttl(asks)).as("the record's time to live").isPositive();
        assertThat(nextPublished()).contains("\"restore\"").contains("\"held\"");
    }

    @Test
    void anAskWhoseRecordFailsIsAnnouncedStillAndFails() throws Exception {
        String asks = KEYS.restoreAsks("10.0.0.3:8080");
        commands.sync().set(asks, "not a hash"); // the record's write is refused, the channel still works
        DeviceSession connection = new DeviceSession("u", "d", "held", "10.0.0.3:8080", "127.0.0.1", 1);

        CompletableFuture<Void> asked = node("node-a", 0).restore(connection, "failed");

        assertThat(nextPublished()).as("announced though not recorded").contains("\"held\"");
        assertThatThrownBy(() -> asked.get(5, TimeUnit.SECONDS)).as("failed, so that it is asked again")
                .hasMessageContaining("WRONGTYPE");
    }
}
