package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TcpProxy;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A user's channel stays subscribed for {@code redis.channel_linger} after the user's last device on the node left:
 * a device that comes back within it subscribes nothing and misses nothing; afterwards the node unsubscribes.
 */
class RedisChannelLingerTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static final Pattern SSUBSCRIBE_CALLS = Pattern.compile("cmdstat_ssubscribe:calls=(\\d+)");
    private static RedisServers redis;

    @BeforeAll
    static void startRedis() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aDeviceThatComesBackWithinTheLingerSubscribesNothingAndMissesNothing() throws Exception {
        try (TestNode node = nodeWithLinger("120")) {
            String cursor;
            try (SseClient client = node.connect("u-linger", "d-linger")) {
                client.nextOfType("sys_connected");
                node.api().send(Map.of("uid", "u-linger", "data", "before"));
                cursor = client.next().id();
            }
            node.awaitOffline("d-linger");
            assertThat(subscribers("u-linger")).as("the channel lingers").isEqualTo(1);

            // sent while nobody of the user is on the node: the node receives them and hands them to no connection
            node.api().send(Map.of("uid", "u-linger", "data", "away 1"));
            node.api().send(Map.of("uid", "u-linger", "data", "away 2"));
            long subscribesBefore = ssubscribeCalls();
            try (SseClient back = node.connect("u-linger", "d-linger", cursor)) {
                back.nextOfType("sys_connected");
                assertThat(back.next().data()).isEqualTo("away 1");
                assertThat(back.next().data()).isEqualTo("away 2");
                node.api().send(Map.of("uid", "u-linger", "data", "live"));
                assertThat(back.next().data()).isEqualTo("live");
            }
            assertThat(ssubscribeCalls()).as("no SSUBSCRIBE for a lingering channel").isEqualTo(subscribesBefore);

            // a second device without a cursor starts at the user's stream head: only what comes after
            try (SseClient fresh = node.connect("u-linger", "d-linger-2")) {
                fresh.nextOfType("sys_connected");
                node.api().send(Map.of("uid", "u-linger", "data", "after"));
                assertThat(fresh.next().data()).isEqualTo("after");
            }
        }
    }

    /** Once the linger is over the node unsubscribes; a device that comes back subscribes again and receives. */
    @Test
    void aDeviceThatComesBackAfterTheLingerSubscribesAgain() throws Exception {
        try (TestNode node = nodeWithLinger("1")) {
            connectAndLeave(node, "u-lingered", "d-lingered");
            await().atMost(Duration.ofSeconds(10)).until(() -> subscribers("u-lingered") == 0);
            try (SseClient again = node.connect("u-lingered", "d-lingered")) {
                again.nextOfType("sys_connected");
                assertThat(subscribers("u-lingered")).isEqualTo(1);
                node.api().send(Map.of("uid", "u-lingered", "data", "again"));
                assertThat(again.next().data()).isEqualTo("again");
            }
        }
    }

    @Test
    void withoutALingerTheLastDeviceToLeaveUnsubscribes() throws Exception {
        try (TestNode node = nodeWithLinger("0")) {
            try (SseClient client = node.connect("u-nolinger", "d-nolinger")) {
                client.nextOfType("sys_connected");
                assertThat(subscribers("u-nolinger")).isEqualTo(1);
            }
            node.awaitOffline("d-nolinger");
            await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("u-nolinger") == 0);
        }
    }

    @Test
    void aDeviceOfAnotherNodeIsServedWhileTheChannelLingersHere() throws Exception {
        try (TestNode a = nodeWithLinger("30"); TestNode b = nodeWithLinger("30")) {
            connectAndLeave(a, "u-moves", "d-moves");
            try (SseClient onB = b.connect("u-moves", "d-moves")) {
                onB.nextOfType("sys_connected");
                assertThat(subscribers("u-moves")).as("lingering on a, live on b").isEqualTo(2);
                assertThat(a.api().send(Map.of("uid", "u-moves", "data", "via a"))).isEqualTo(1);
                assertThat(onB.next().data()).isEqualTo("via a");
            }
        }
    }

    @Test
    void aLingeringChannelThatPubSubLostIsUnsubscribedNotRepaired() throws Exception {
        try (TestNode node = nodeWithLinger("300")) {
            connectAndLeave(node, "u-lost", "d-lost");
            try (SseClient staying = node.connect("u-stays", "d-stays")) {
                staying.nextOfType("sys_connected");
                assertThat(subscribers("u-lost")).as("lingering").isEqualTo(1);

                redis.first().cli("CLIENT", "KILL", "TYPE", "pubsub");
                // the supervisor subscribes the live channel again; the lingering one is given up
                await().atMost(Duration.ofSeconds(10)).until(() -> subscribers("u-stays") == 1 && subscribers("u-lost") == 0);
                assertThat(node.api().send(Map.of("uid", "u-stays", "data", "still here"))).isEqualTo(1);
                assertThat(staying.next().data()).isEqualTo("still here");
            }
            try (SseClient back = node.connect("u-lost", "d-lost")) {
                back.nextOfType("sys_connected");
                assertThat(subscribers("u-lost")).isEqualTo(1);
                node.api().send(Map.of("uid", "u-lost", "data", "welcome back"));
                assertThat(back.next().data()).isEqualTo("welcome back");
            }
        }
    }

    /**
     * A channel given up while the node's connection to Redis is down: its SUNSUBSCRIBE is refused, and Lettuce, which
     * forgets a channel only once Redis confirms its unsubscription, subscribes it again when it reconnects, in
     * whichever order with the node's own commands. The node unsubscribes it then: the user's messages do not keep
     * coming to a node with no use for them.
     */
    @Test
    void aChannelGivenUpWhileRedisWasUnreachableIsUnsubscribedOnceItIsBack() throws Exception {
        try (TcpProxy proxy = TcpProxy.to(redis.first().port()); TestNode node = nodeBehind(proxy)) {
            giveUpWhileCut(proxy, node, "u-refused", "d-refused");
            proxy.restore();

            // the node's connection is back: Lettuce subscribed again the channels it held, the broadcasts' among them
            await().atMost(Duration.ofSeconds(15)).until(() -> redis.first().shardSubscribers(KEYS.broadcastChannel()) == 1);
            await().atMost(Duration.ofSeconds(5)).during(Duration.ofSeconds(2)).until(() -> subscribers("u-refused") == 0);
            assertServes(node);
        }
    }

    /**
     * The same, where a registration tried while Redis was unreachable made the node give up the subscriptions on that
     * connection (they move to connections of their own): the connection, which carries commands still, unsubscribes
     * what Lettuce subscribes again on it.
     */
    @Test
    void aChannelGivenUpOnAConnectionWhoseSubscriptionsMovedIsUnsubscribedOnceItIsBack() throws Exception {
        try (TcpProxy proxy = TcpProxy.to(redis.first().port()); TestNode node = nodeBehind(proxy)) {
            giveUpWhileCut(proxy, node, "u-moved-away", "d-moved-away");
            assertThat(connected(node, "u-during", "d-during")).as("Redis is unreachable").isNull();
            proxy.restore();

            assertServes(node);
            await().atMost(Duration.ofSeconds(5)).during(Duration.ofSeconds(2)).until(() -> subscribers("u-moved-away") == 0);
        }
    }

    private static TestNode nodeBehind(TcpProxy proxy) throws InterruptedException {
        return TestNode.start(Map.of("redis.addrs", "127.0.0.1:" + proxy.port(), "redis.channel_linger", "0"));
    }

    /** Connects the device, cuts the node from Redis and lets the device leave: its channel is given up, refused. */
    private static void giveUpWhileCut(TcpProxy proxy, TestNode node, String uid, String device) throws InterruptedException {
        SseClient client = node.connect(uid, device);
        client.nextOfType("sys_connected");
        assertThat(subscribers(uid)).isEqualTo(1);

        proxy.cut();
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribers(uid) == 0);
        Thread.sleep(500); // the node has seen its connection drop: commands are refused at once
        client.close();
        Thread.sleep(500);
    }

    /** A connection registers (once the node's connection to Redis is back) and receives what is sent to it. */
    private static void assertServes(TestNode node) {
        try (SseClient staying = await().atMost(Duration.ofSeconds(15)).until(() -> connected(node, "u-back", "d-back"),
                Objects::nonNull)) {
            assertThat(node.api().send(Map.of("uid", "u-back", "data", "after"))).isEqualTo(1);
            assertThat(staying.next().data()).isEqualTo("after");
        }
    }

    /** A connection that the node registered (it answered {@code sys_connected}), or null. */
    private static SseClient connected(TestNode node, String uid, String device) {
        SseClient attempt = node.connect(uid, device);
        Event first = attempt.status() == 200 ? attempt.next(Duration.ofSeconds(5)) : null;
        if (first != null && first.event().equals("sys_connected")) {
            return attempt;
        }
        attempt.close();
        return null;
    }

    private static TestNode nodeWithLinger(String seconds) throws InterruptedException {
        return TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.channel_linger", seconds));
    }

    /** A device that connects and leaves again: its user's channel lingers on the node afterwards. */
    private static void connectAndLeave(TestNode node, String uid, String device) {
        try (SseClient client = node.connect(uid, device)) {
            client.nextOfType("sys_connected");
        }
        node.awaitOffline(device);
    }

    /** How many clients are subscribed to the user's channel. */
    private static long subscribers(String uid) {
        return redis.first().shardSubscribers(KEYS.userChannel(uid));
    }

    private static long ssubscribeCalls() {
        Matcher calls = SSUBSCRIBE_CALLS.matcher(redis.first().cli("INFO", "commandstats"));
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }
}
