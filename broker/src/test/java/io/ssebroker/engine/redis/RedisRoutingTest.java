package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The counting and lingering of users' channels, against a real redis-server. */
class RedisRoutingTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private RedisIoFixture fixture;

    @BeforeEach
    void start() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        fixture = new RedisIoFixture();
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private RedisRouting routing(long lingerSeconds) throws Exception {
        return routing(lingerSeconds, Duration.ofSeconds(5));
    }

    private RedisRouting routing(long lingerSeconds, Duration subscribeTimeout) throws Exception {
        RedisRouting routing = new RedisRouting(KEYS,
                (uid, offset) -> CompletableFuture.completedFuture(new StreamFollower.Missed(0, -1, List.of())),
                message -> { }, (uid, reason) -> { }, control -> { }, () -> { }, TimeUnit.SECONDS.toNanos(lingerSeconds));
        SubscriptionSupervisor supervisor = fixture.supervising(new SubscriptionSupervisor(
                new SingleShardNode(fixture.client, fixture.uri()), routing,
                (channel, payload) -> CompletableFuture.completedFuture(0L), "test-node", subscribeTimeout, fixture.ioThread));
        routing.start(supervisor, 0).get(5, TimeUnit.SECONDS);
        return routing;
    }

    private long subscribers(String uid) {
        return fixture.redis.first().shardSubscribers(KEYS.userChannel(uid));
    }

    /**
     * A broadcast stored after the node read the broadcast stream's head at its start, and published before its
     * subscription to the broadcast channel was live, came by no channel: the node reads it once subscribed.
     */
    @Test
    void aBroadcastPublishedBeforeTheStartSubscribedIsReadOnceItIs() throws Exception {
        StreamMessage unseen = new StreamMessage(null, 6, null, "published while subscribing", Set.of(), 0);
        List<StreamMessage> delivered = new CopyOnWriteArrayList<>();
        RedisRouting routing = new RedisRouting(KEYS, (uid, offset) -> CompletableFuture.completedFuture(
                uid == null && offset == 5 ? new StreamFollower.Missed(0, 6, List.of(unseen))
                        : new StreamFollower.Missed(0, -1, List.of())),
                delivered::add, (uid, reason) -> { }, control -> { }, () -> { }, 0);
        SubscriptionSupervisor supervisor = fixture.supervising(new SubscriptionSupervisor(
                new SingleShardNode(fixture.client, fixture.uri()), routing,
                (channel, payload) -> CompletableFuture.completedFuture(0L), "test-node", Duration.ofSeconds(5), fixture.ioThread));
        routing.start(supervisor, 5).get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(delivered).containsExactly(unseen));
        assertThat(routing.broadcastHandedOn()).isEqualTo(6);
    }

    @Test
    void theChannelLingersAfterTheLastDeviceAndEndsWhenItsTimeIsUp() throws Exception {
        RedisRouting routing = routing(1);
        routing.acquire("u1").live().get(5, TimeUnit.SECONDS);
        routing.acquire("u1").live().get(5, TimeUnit.SECONDS);
        routing.release("u1");
        routing.release("u1");
        routing.endLingering();
        assertThat(subscribers("u1")).as("lingering").isEqualTo(1);
        Thread.sleep(1100);
        routing.endLingering();
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("u1") == 0);
    }

    @Test
    void aReleaseWithNothingCountedChangesNothing() throws Exception {
        RedisRouting routing = routing(30);
        routing.acquire("u2").live().get(5, TimeUnit.SECONDS);
        routing.release("u2");
        routing.release("u2"); // a failed registration released twice
        routing.release("never-acquired");
        assertThat(routing.acquire("u2").live().get(5, TimeUnit.SECONDS)).as("the lingering subscription, live").isNull();
        routing.release("u2");
        routing.catchUpAll(); // ends every linger
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("u2") == 0);
        routing.release("u2");
        routing.acquire("u2").live().get(5, TimeUnit.SECONDS);
        assertThat(subscribers("u2")).as("subscribed afresh").isEqualTo(1);
    }

    @Test
    void aDeviceThatComesAfterTheSubscriptionTimedOutWaitsForItAfresh() throws Exception {
        RedisRouting routing = routing(30, Duration.ofMillis(300));
        RedisServers.Server redis = fixture.redis.first();
        CompletableFuture<Void> first;
        CompletableFuture<Void> second;
        redis.pause(); // the SSUBSCRIBE goes out and waits; shorter than the probes' deadline, so the link stays
        try {
            first = routing.acquire("u3").live();
            second = routing.acquire("u3").live();
            assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(EngineUnavailableException.class);
            assertThat(second).as("a device that came while it was pending shares its outcome").isCompletedExceptionally();
        } finally {
            redis.resume();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("u3") == 1);
        // the first two have not released yet: a third device still gets the subscription, live now
        assertThat(routing.acquire("u3").live().get(5, TimeUnit.SECONDS)).isNull();
        routing.release("u3");
        routing.release("u3");
        routing.release("u3");
        routing.catchUpAll();
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("u3") == 0);
    }

    /** Closed, the node's followers stop: a gap whose reads fail is no longer read again every second. */
    @Test
    void closedItsFollowersReadNoMore() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        RedisRouting routing = new RedisRouting(KEYS, (uid, offset) -> {
            reads.incrementAndGet();
            return CompletableFuture.failedFuture(new IllegalStateException("connection closed"));
        }, message -> { }, (uid, reason) -> { }, control -> { }, () -> { }, 0);
        SubscriptionSupervisor supervisor = fixture.supervising(new SubscriptionSupervisor(
                new SingleShardNode(fixture.client, fixture.uri()), routing,
                (channel, payload) -> CompletableFuture.completedFuture(0L), "test-node", Duration.ofSeconds(5), fixture.ioThread));
        routing.start(supervisor, 0).get(5, TimeUnit.SECONDS);
        routing.catchUpAll(); // the broadcast follower reads after its offset, fails, and tries again each second
        await().atMost(Duration.ofSeconds(5)).until(() -> reads.get() >= 2);
        routing.close();
        int afterClose = reads.get();
        Thread.sleep(2_500);
        assertThat(reads.get()).as("reads after close").isEqualTo(afterClose);
    }
}
