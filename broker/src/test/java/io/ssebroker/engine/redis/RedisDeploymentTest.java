package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The same service on a three-master Redis Cluster and on Sentinel with a failover. */
class RedisDeploymentTest {

    @Test
    void twoNodesOnARedisClusterDeliverAndReplayAcrossNodes() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()));
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings)) {
                String cursor;
                try (SseClient client = b.connect("u-cl", "d-cl")) {
                    client.nextOfType("sys_connected");
                    for (int i = 0; i < 20; i++) {
                        // many uids spread over the slots of all three masters
                        a.api().send(Map.of("uid", "u-cl-other-" + i, "data", "x"));
                    }
                    assertThat(a.api().send(Map.of("uid", "u-cl", "data", "over the cluster"))).isEqualTo(1);
                    assertThat(client.next().data()).isEqualTo("over the cluster");
                    a.api().send(Map.of("data", "broadcast on the cluster"));
                    cursor = client.next().id();
                }
                a.api().send(Map.of("uid", "u-cl", "data", "while away"));
                try (SseClient client = a.connect("u-cl", "d-cl", cursor)) {
                    client.nextOfType("sys_connected");
                    assertThat(client.next().data()).isEqualTo("while away");
                }
                assertThat(a.api().get("/info", Map.of()).result().path("instance_count").asInt()).isEqualTo(2);
            }
            // one address of a cluster's node (a configuration endpoint, say) is the seed of the cluster; a database
            // other than 0 (go-sse-broker's sample configuration has one), which a cluster refuses, is left out
            try (TestNode allSeeds = TestNode.start(Map.of("redis.addrs", String.join(",", redis.addresses()),
                    "redis.db", "5"))) {
                assertThat(allSeeds.api().get("/readyz", Map.of()).status()).isEqualTo(200);
            }
            try (TestNode oneSeed = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.db", "5"));
                 SseClient client = oneSeed.connect("u-one-seed", "d-one-seed")) {
                client.nextOfType("sys_connected");
                assertThat(oneSeed.api().send(Map.of("uid", "u-one-seed", "data", "through one seed"))).isEqualTo(1);
                assertThat(client.next().data()).isEqualTo("through one seed");
                assertThat(oneSeed.api().get("/info", Map.of()).result().path("instance_count").asInt()).isEqualTo(1);
            }
        }
    }

    /**
     * Redis names the masters of a cluster on IPv6 without brackets ({@code ::1:7001}) in its topology and in its
     * redirections: the node still finds where each channel is served, subscribes there, and delivers.
     */
    @Test
    void aRedisClusterOnIpv6AddressesDelivers() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        assumeTrue(RedisServers.ipv6Available(), "no IPv6 loopback address");
        try (RedisServers redis = RedisServers.clusterOverIpv6();
             TestNode node = TestNode.start(Map.of("redis.addrs", String.join(",", redis.addresses())))) {
            assertThat(node.api().get("/readyz", Map.of()).status()).isEqualTo(200);
            for (int i = 0; i < 6; i++) {
                // users whose channels lie on the slots of different masters
                String uid = "u-v6-" + i;
                try (SseClient client = node.connect(uid, "d-v6-" + i)) {
                    client.nextOfType("sys_connected");
                    assertThat(node.api().send(Map.of("uid", uid, "data", "over IPv6"))).isEqualTo(1);
                    assertThat(client.next().data()).isEqualTo("over IPv6");
                    node.api().send(Map.of("data", "broadcast " + i));
                    assertThat(client.next().data()).isEqualTo("broadcast " + i);
                }
            }
        }
    }

    @Test
    void deliveryResumesAfterASentinelFailover() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.sentinel();
             TestNode node = TestNode.start(Map.of("redis.sentinel_master", "mymaster",
                     "redis.sentinel_addrs", String.join(",", redis.sentinelAddresses()), "redis.timeout", "1"))) {
            try (SseClient client = node.connect("u-sen", "d-sen")) {
                client.nextOfType("sys_connected");
                assertThat(node.api().send(Map.of("uid", "u-sen", "data", "before"))).isEqualTo(1);
                assertThat(client.next().data()).isEqualTo("before");
                redis.first().kill(); // the master
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).until(() ->
                        node.api().postForm("/send", Map.of("uid", "u-sen", "data", "after")).status() == 200);
                // A failover may lose the last writes of the old master (asynchronous replication); the broker then
                // says so with a sys_reset before delivery resumes, which is allowed here.
                assertThat(client.nextOfType("message").data()).isEqualTo("after");
            }
        }
    }

    /**
     * {@code SENTINEL FAILOVER} leaves the old master running: no connection of the node drops, so only the
     * sentinels' {@code +switch-master} tells it to move. The old master refuses writes once its replica left it
     * ({@code min-replicas-to-write 1}), but only once it has noticed: in the moment before, it still carries out a
     * write that its replica, now the master, never gets (Redis calls the option best effort). The sends go through a
     * node with {@code redis.send_replicas = 1}, which answers such a send 503: no acknowledged message is lost, and
     * one the client received and Redis lost is told by a {@code history_lost}.
     */
    @Test
    void aSentinelFailoverUnderLoadLosesNoAcknowledgedMessage() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.sentinel()) {
            redis.first().cli("CONFIG", "SET", "min-replicas-to-write", "1");
            RedisServers.Server sentinel = redis.servers().stream()
                    .filter(s -> redis.sentinelAddresses().contains(s.address())).findFirst().orElseThrow();
            String before = sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster");
            try (TestNode a = TestNode.start(Map.of("redis.sentinel_master", "mymaster",
                         "redis.sentinel_addrs", String.join(",", redis.sentinelAddresses()), "redis.timeout", "1",
                         "redis.send_replicas", "1", "redis.send_replicas_wait_ms", "500",
                         "sse.device_frame_cache_size", "100000")); // every message kept, to be checked
                 TestNode b = TestNode.start(Map.of("redis.sentinel_master", "mymaster",
                         "redis.sentinel_addrs", String.join(",", redis.sentinelAddresses()), "redis.timeout", "1"));
                 SseClient client = b.connect("u-switch", "d-switch")) {
                client.nextOfType("sys_connected");
                SteadySends sends = new SteadySends(a.api(), Map.of("uid", "u-switch"));
                Thread.sleep(800);
                orderFailover(sentinel);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").equals(before));
                int acknowledged = sends.acknowledgedCount();
                await().atMost(Duration.ofSeconds(30)).until(() -> sends.acknowledgedCount() > acknowledged + 50);
                sends.stop();
                sends.verifyEveryAcknowledgedDelivered(client);
                sends.verifyEveryAcknowledgedStored(redis.sentinelMaster().cli("XRANGE",
                        new RedisKeys("sse").userStream("u-switch"), "-", "+"));
                assertThat(client.isClosedByServer()).isFalse();
            }
        }
    }
    /**
     * A message stored on the new master whose publish this node did not hear, written the moment the sentinels
     * report the switch (while the node moves its subscriptions, and Lettuce's view of the master may still be the
     * old one), is delivered without waiting for the user's next message: the node reads its streams again from the
     * new master once it sees the master replaced.
     */
    @Test
    void aMessageUnheardAroundASentinelSwitchIsDeliveredWithoutANextOne() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.sentinel()) {
            RedisServers.Server sentinel = redis.servers().stream()
                    .filter(s -> redis.sentinelAddresses().contains(s.address())).findFirst().orElseThrow();
            String before = sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster");
            try (TestNode node = TestNode.start(Map.of("redis.sentinel_master", "mymaster",
                         "redis.sentinel_addrs", String.join(",", redis.sentinelAddresses()), "redis.timeout", "1"));
                 SseClient client = node.connect("u-unheard", "d-unheard")) {
                client.nextOfType("sys_connected");
                assertThat(node.api().send(Map.of("uid", "u-unheard", "data", "before"))).isEqualTo(1);
                assertThat(client.next().data()).isEqualTo("before");
                orderFailover(sentinel);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                        .until(() -> !sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").equals(before));
                // appended as publish.lua appends, without its publish
                RedisKeys keys = new RedisKeys("sse");
                RedisServers.Server master = redis.sentinelMaster();
                String id = master.cli("XADD", keys.userStream("u-unheard"), "*", "e", "", "v", "",
                        "t", Long.toString(System.currentTimeMillis()), "d", "unheard").trim();
                master.cli("HSET", keys.userMeta("u-unheard"), "last", id);
                master.cli("HINCRBY", keys.userMeta("u-unheard"), "n", "1");
                assertThat(client.next(Duration.ofSeconds(20)).data()).isEqualTo("unheard");
                assertThat(node.api().send(Map.of("uid", "u-unheard", "data", "after"))).isEqualTo(1);
                assertThat(client.next().data()).isEqualTo("after");
            }
        }
    }

    /**
     * The sentinels that could not be reached when the node started are watched once they can: a failover that only
     * they report (the one the node reached first is gone by then) still moves the node's subscriptions to the new
     * master. Without that, they would stay on the old one, now a replica, served by replication alone.
     */
    @Test
    void aSentinelUnreachableAtStartIsWatchedOnceItIsBack() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.sentinel()) {
            List<RedisServers.Server> sentinels = redis.servers().stream()
                    .filter(s -> redis.sentinelAddresses().contains(s.address())).toList();
            sentinels.subList(1, sentinels.size()).forEach(RedisServers.Server::kill);
            try (TestNode node = TestNode.start(Map.of("redis.sentinel_master", "mymaster",
                         "redis.sentinel_addrs", String.join(",", redis.sentinelAddresses()), "redis.timeout", "1"));
                 SseClient client = node.connect("u-late-sentinel", "d-late-sentinel")) {
                client.nextOfType("sys_connected");
                sentinels.subList(1, sentinels.size()).forEach(RedisServers.Server::restart);
                // the node's watch is back on each: a client subscribed to one channel (Lettuce's own listens to
                // patterns)
                await("the node's watch on the restarted sentinels").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200)).until(() -> sentinels.subList(1, sentinels.size()).stream()
                                .allMatch(sentinel -> sentinel.cli("CLIENT", "LIST").contains(" sub=1 ")));
                RedisServers.Server oldMaster = redis.sentinelMaster();
                RedisServers.Server newMaster = redis.servers().stream()
                        .filter(s -> !sentinels.contains(s) && s != oldMaster).findFirst().orElseThrow();
                sentinels.get(0).kill();
                orderFailover(sentinels.get(1));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> sentinels.get(1).cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
                                .contains(Integer.toString(newMaster.port())));
                String channel = new RedisKeys("sse").userChannel("u-late-sentinel");
                await("the node's subscription on the new master").atMost(Duration.ofSeconds(10))
                        .until(() -> newMaster.shardSubscribers(channel) == 1);
                assertThat(node.api().send(Map.of("uid", "u-late-sentinel", "data", "after"))).isEqualTo(1);
                assertThat(client.nextOfType("message").data()).isEqualTo("after");
            }
        }
    }

    /**
     * {@code SENTINEL FAILOVER}, asked again while the sentinels answer that they know no replica to promote yet (a
     * sentinel learns of the replicas from the master's INFO, some time after it starts).
     */
    private static void orderFailover(RedisServers.Server sentinel) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> sentinel.cli("SENTINEL", "FAILOVER", "mymaster").contains("OK"));
    }
}
