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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When a command may follow a subscription (a registration's script, which must run after the node listens to the
 * user's channel): right behind it where both travel on one connection, after the confirmation otherwise. Against a
 * real redis-server.
 */
class SubscriptionOrderTest {
    private static final String CHANNEL = "sse:{u:alice}:c";

    private RedisIoFixture fixture;
    private StatefulRedisPubSubConnection<String, String> commandConnection;
    private final List<String> received = new CopyOnWriteArrayList<>();

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

    private SubscriptionSupervisor supervisor(SingleShardNode shards) {
        SubscriptionSupervisor.Handler handler = new SubscriptionSupervisor.Handler() {
            @Override
            public void message(String channel, String payload) {
                received.add(payload);
            }

            @Override
            public void resubscribed(String channel) {
            }
        };
        return fixture.supervising(new SubscriptionSupervisor(shards, handler,
                (channel, payload) -> commandConnection.async().spublish(channel, payload).toCompletableFuture(),
                "test-node", Duration.ofSeconds(5), fixture.ioThread));
    }

    /** What a command sent as soon as {@code commandsAfter} completes finds. */
    private record Followed(boolean liveYet, CompletableFuture<Long> published) {
    }

    /**
     * Subscribes and publishes on the channel through the command connection as soon as {@code commandsAfter} allows,
     * from the Redis I/O thread, as a registration does there: the publication is sent before anything else that thread
     * does (reading the subscription's confirmation among it).
     */
    private Followed subscribeAndPublishRightAfter(SubscriptionSupervisor supervisor) throws Exception {
        CompletableFuture<Followed> followed = new CompletableFuture<>();
        fixture.ioThread.executor().execute(() -> {
            SubscriptionSupervisor.Subscribing subscribing = supervisor.subscribe(CHANNEL);
            subscribing.commandsAfter().thenRun(() -> followed.complete(new Followed(subscribing.live().isDone(),
                    commandConnection.async().spublish(CHANNEL, "right behind").toCompletableFuture())));
        });
        return followed.get(5, TimeUnit.SECONDS);
    }

    @Test
    void onTheCommandConnectionACommandFollowsTheSubscriptionWithoutWaitingAndRunsAfterIt() throws Exception {
        Followed followed = subscribeAndPublishRightAfter(supervisor(new SingleShardNode(fixture.client, fixture.uri(), commandConnection)));

        assertThat(followed.liveYet()).as("sent before the subscription was confirmed").isFalse();
        assertThat(followed.published().get(5, TimeUnit.SECONDS)).as("Redis ran the subscription first").isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.contains("right behind"));
    }

    @Test
    void onAConnectionOfItsOwnACommandWaitsForTheConfirmation() throws Exception {
        Followed followed = subscribeAndPublishRightAfter(supervisor(new SingleShardNode(fixture.client, fixture.uri())));

        assertThat(followed.liveYet()).as("sent once the subscription was confirmed").isTrue();
        assertThat(followed.published().get(5, TimeUnit.SECONDS)).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.contains("right behind"));
    }

    @Test
    void aChannelGivenUpAndNeededAgainStaysSubscribedWhicheverThreadAsks() throws Exception {
        SubscriptionSupervisor supervisor = supervisor(new SingleShardNode(fixture.client, fixture.uri(), commandConnection));
        supervisor.subscribe(CHANNEL).live().get(5, TimeUnit.SECONDS);

        // The linger's timer gives the channel up from its own thread while a registration on the Redis I/O thread
        // needs it again: the registration asks after the timer, but before the I/O thread has run the timer's call.
        CountDownLatch givenUp = new CountDownLatch(1);
        CompletableFuture<SubscriptionSupervisor.Subscribing> neededAgain = new CompletableFuture<>();
        fixture.ioThread.executor().execute(() -> {
            try {
                givenUp.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            neededAgain.complete(supervisor.subscribe(CHANNEL));
        });
        supervisor.unsubscribe(CHANNEL);
        givenUp.countDown();

        neededAgain.get(5, TimeUnit.SECONDS).live().get(5, TimeUnit.SECONDS);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> fixture.redis.first().shardSubscribers(CHANNEL) == 1);
    }

    @Test
    void aSecondCallerOfALiveChannelMayFollowAtOnce() throws Exception {
        SubscriptionSupervisor ownConnections = supervisor(new SingleShardNode(fixture.client, fixture.uri()));
        ownConnections.subscribe(CHANNEL).live().get(5, TimeUnit.SECONDS);

        SubscriptionSupervisor.Subscribing again = ownConnections.subscribe(CHANNEL);

        again.commandsAfter().get(5, TimeUnit.SECONDS);
        assertThat(again.live().get(5, TimeUnit.SECONDS)).isNull();
        assertThat(fixture.redis.first().shardSubscribers(CHANNEL)).isEqualTo(1);
    }
}
