package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probes that find a silently dead pub/sub connection: a probe that does not come back on a live channel drops
 * the connection and subscribes its channels again; one whose channel left the connection meanwhile is forgotten.
 * Against a real redis-server.
 */
class SubscriptionProbeTest {
    private static final List<String> CHANNELS = List.of("sse:{u:alice}:c", "sse:{u:bob}:c");
    /** Probes go out every two seconds and are given three to come back. */
    private static final Duration PROBE_ROUND = Duration.ofSeconds(7);

    private RedisIoFixture fixture;
    private StatefulRedisPubSubConnection<String, String> commandConnection;
    private final List<String> resubscribed = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        fixture = new RedisIoFixture();
        commandConnection = fixture.client.connectPubSub(Utf8Codec.INSTANCE, fixture.uri());
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private CompletableFuture<Long> publish(String channel, String payload) {
        return commandConnection.async().spublish(channel, payload).toCompletableFuture();
    }

    private SubscriptionSupervisor supervising(BiFunction<String, String, CompletableFuture<Long>> publish) {
        return supervising(new SingleShardNode(fixture.client, fixture.uri()), publish);
    }

    private SubscriptionSupervisor supervising(ShardNodes shards, BiFunction<String, String, CompletableFuture<Long>> publish) {
        SubscriptionSupervisor.Handler handler = new SubscriptionSupervisor.Handler() {
            @Override
            public void message(String channel, String payload) {
            }

            @Override
            public void resubscribed(String channel) {
                resubscribed.add(channel);
            }
        };
        SubscriptionSupervisor supervisor = fixture.supervising(new SubscriptionSupervisor(shards, handler, publish,
                "test-node", Duration.ofSeconds(5), fixture.ioThread));
        for (String channel : CHANNELS) {
            supervisor.subscribe(channel).live().orTimeout(5, TimeUnit.SECONDS).join();
        }
        return supervisor;
    }

    @Test
    void aProbeThatNeverArrivesDropsTheConnectionAndItsChannelsAreSubscribedAgain() {
        supervising((channel, payload) -> CompletableFuture.completedFuture(1L)); // lost on its way: never published
        await().atMost(PROBE_ROUND.plusSeconds(3)).untilAsserted(() ->
                assertThat(resubscribed).containsAll(CHANNELS));
    }

    /**
     * On a standalone Redis the command connection is lent for the subscriptions first. A probe whose publish was
     * answered and that did not come back makes it suspect: its subscriptions move to a connection of their own, and
     * it goes on serving commands.
     */
    @Test
    void aLentConnectionWhoseProbeIsLostGivesUpItsSubscriptionsAndServesCommandsStill() {
        supervising(new SingleShardNode(fixture.client, fixture.uri(), commandConnection),
                (channel, payload) -> CompletableFuture.completedFuture(1L)); // answered, never published
        assertThat(commandConnection.sync().clientInfo()).as("lent").doesNotContain("ssub=0");
        await().atMost(PROBE_ROUND.plusSeconds(3)).untilAsserted(() ->
                assertThat(resubscribed).containsAll(CHANNELS));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(commandConnection.sync().clientInfo()).as("given up").contains("ssub=0"));
        for (String channel : CHANNELS) {
            assertThat(fixture.redis.first().shardSubscribers(channel)).as("on a connection of its own").isEqualTo(1);
        }
        assertThat(commandConnection.sync().ping()).isEqualTo("PONG");
    }

    /**
     * Redis stalls for longer than the probe's three seconds, but less than the command timeout (a slow script, a
     * fork): the probe's publish is held as long as the probe, and says nothing of the connection, which is kept.
     */
    @Test
    void aProbeHeldWithItsPublishByAStalledRedisDropsNothing() throws Exception {
        AtomicBoolean first = new AtomicBoolean(true);
        supervising((channel, payload) -> !first.getAndSet(false) ? publish(channel, payload)
                : CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(4_500, TimeUnit.MILLISECONDS))
                        .thenCompose(stalled -> publish(channel, payload)));
        Thread.sleep(PROBE_ROUND.toMillis() + 2_000);
        assertThat(first).as("a probe was sent").isFalse();
        assertThat(resubscribed).as("the connection was kept").isEmpty();
    }

    @Test
    void aProbeWhoseChannelIsUnsubscribedBeforeItArrivesDropsNothing() throws Exception {
        AtomicReference<SubscriptionSupervisor> supervisor = new AtomicReference<>();
        AtomicBoolean first = new AtomicBoolean(true);
        supervisor.set(supervising((channel, payload) -> {
            if (!first.getAndSet(false)) {
                return publish(channel, payload);
            }
            // The channel's last user leaves as its probe is sent: the SUNSUBSCRIBE reaches Redis first.
            supervisor.get().unsubscribe(channel);
            return CompletableFuture.supplyAsync(() -> null,
                            CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
                    .thenCompose(delayed -> publish(channel, payload));
        }));
        Thread.sleep(PROBE_ROUND.toMillis());
        assertThat(first).as("a probe was sent").isFalse();
        assertThat(resubscribed).as("the connection was kept: its other channel was never subscribed again").isEmpty();
    }
}
