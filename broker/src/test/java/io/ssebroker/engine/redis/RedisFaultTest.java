package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.NodeProcess;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TcpProxy;
import io.ssebroker.testing.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults: Redis unreachable under load, a node killed without a goodbye, lost answers and re-sent commands. */
class RedisFaultTest {

    @Test
    void whenRedisIsUnreachableSendsAre503AndEveryAcknowledgedMessageArrivesOnceAfterRecovery() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1",
                     "sse.device_frame_cache_size", "1000"))) {
            SseClient client = node.connect("u-fault", "d-fault");
            client.nextOfType("sys_connected");
            List<Integer> acknowledged = new ArrayList<>();
            int refused = 0;
            long pauseAt = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            long resumeAt = pauseAt + Duration.ofSeconds(10).toNanos();
            long endAt = resumeAt + Duration.ofSeconds(3).toNanos();
            boolean paused = false;
            boolean resumed = false;
            boolean readinessChecked = false;
            for (int seq = 1; System.nanoTime() < endAt && seq < 100_000; seq++) {
                if (!paused && System.nanoTime() > pauseAt) {
                    redis.first().pause();
                    paused = true;
                }
                if (paused && !resumed && System.nanoTime() > resumeAt) {
                    redis.first().resume();
                    resumed = true;
                }
                if (paused && !resumed && !readinessChecked && refused > 0) {
                    assertThat(node.api().get("/readyz", Map.of()).status()).as("/readyz while Redis is unreachable").isEqualTo(503);
                    readinessChecked = true;
                }
                Api.Answer answer = node.api().postForm("/send", Map.of("uid", "u-fault", "data", Integer.toString(seq)));
                if (answer.status() == 200) {
                    acknowledged.add(seq);
                } else {
                    assertThat(answer.status()).isEqualTo(503);
                    assertThat(answer.code()).isEqualTo(503);
                    refused++;
                }
                Thread.sleep(20);
            }
            assertThat(refused).as("sends refused while Redis was unreachable").isPositive();
            assertThat(readinessChecked).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> node.api().get("/readyz", Map.of()).status() == 200);
            assertThat(client.isClosedByServer()).isFalse();
            // A send that timed out may still have reached Redis (it was queued in the frozen server), so it may
            // arrive too; what must hold: every acknowledged message arrives, once, in order.
            List<Integer> received = new ArrayList<>();
            int last = acknowledged.get(acknowledged.size() - 1);
            while (received.isEmpty() || received.get(received.size() - 1) < last) {
                Event event = client.next(Duration.ofSeconds(20));
                assertThat(event).as("stream still open after recovery").isNotNull();
                received.add(Integer.parseInt(event.data()));
            }
            assertThat(received).doesNotHaveDuplicates().isSorted().containsAll(acknowledged);
            client.close();
        }
    }

    @Test
    void aKilledNodesDevicesAreClearedBySurvivorsWithInstanceClear(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode survivor = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"))) {
            NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redis.first().address(),
                    "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1"));
            try {
                SseClient client = doomed.connect("u-dead", "d-dead");
                client.nextOfType("sys_connected");
                assertThat(survivor.api().get("/info", Map.of("device", "d-dead")).result().path("online").asBoolean()).isTrue();
                List<String> offline = new java.util.concurrent.CopyOnWriteArrayList<>();
                io.lettuce.core.RedisClient watcherClient = io.lettuce.core.RedisClient.create("redis://" + redis.first().address());
                var watcher = watcherClient.connectPubSub();
                watcher.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        offline.add(channel + " " + message);
                    }
                });
                watcher.sync().subscribe("sse_topic_device_offline", "sse_topic_user_offline");
                doomed.kill(); // kill -9: no goodbye
                await().atMost(Duration.ofSeconds(15)).until(() ->
                        !survivor.api().get("/info", Map.of("device", "d-dead")).result().path("online").asBoolean());
                assertThat(survivor.api().get("/info", Map.of("uid", "u-dead")).result().path("online").asBoolean()).isFalse();
                assertThat(survivor.api().get("/info", Map.of()).result().path("instance_count").asInt()).isEqualTo(1);
                await().atMost(Duration.ofSeconds(5)).until(() -> offline.size() >= 2);
                assertThat(offline).hasSize(2).allSatisfy(line -> assertThat(line)
                        .contains("\"device\":\"d-dead\"").contains("\"reason\":\"instance_clear\""));
                watcher.close();
                watcherClient.shutdown();
                client.close();
            } finally {
                doomed.close();
            }
        }
    }

    /**
     * A live node's beat key lost (the master that held it restarted empty while the set of nodes, elsewhere, lived
     * on): its peers see the key missing before it could have expired, and wait for the node's next beat, which
     * writes it again, rather than clear the devices of a node that is alive.
     */
    @Test
    void aLiveNodeWhoseBeatKeyWasLostIsNotCleared() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode peer = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"));
             TestNode holder = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"));
             SseClient client = holder.connect("u-lostbeat", "d-lostbeat")) {
            client.nextOfType("sys_connected");
            List<String> offline = new java.util.concurrent.CopyOnWriteArrayList<>();
            io.lettuce.core.RedisClient watcherClient = io.lettuce.core.RedisClient.create("redis://" + redis.first().address());
            try (var watcher = watcherClient.connectPubSub()) {
                watcher.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        offline.add(channel + " " + message);
                    }
                });
                watcher.sync().subscribe("sse_topic_device_offline", "sse_topic_user_offline");
                String index = redis.first().cli("KEYS", "sse:{n:*}:d").trim(); // the only node with a connection
                String node = index.substring("sse:{n:".length(), index.length() - "}:d".length());
                Thread.sleep(2_000); // the peer has seen the key, and how long it had to live
                for (int i = 0; i < 3; i++) {
                    redis.first().cli("DEL", "sse:node:" + node);
                    Thread.sleep(1_500);
                }
                assertThat(offline).as("no offline for the devices of a node that lives").isEmpty();
                assertThat(peer.api().get("/info", Map.of("device", "d-lostbeat")).result().path("online").asBoolean()).isTrue();
            } finally {
                watcherClient.shutdown();
            }
        }
    }

    /**
     * A node killed after Redis lost its index of sessions (as a failover that loses writes can): its presence
     * entries are found anyway, by the entries naming a node that no longer beats, and cleared.
     */
    @Test
    void presenceOfADeadNodeWhoseIndexWasLostIsClearedAnyway(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode survivor = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"))) {
            try (NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redis.first().address(),
                    "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1"))) {
                SseClient client = doomed.connect("u-lost-index", "d-lost-index");
                client.nextOfType("sys_connected");
                String indexes = redis.first().cli("KEYS", "sse:{n:*}:d").trim();
                assertThat(indexes).as("the dead node's index").isNotEmpty();
                for (String index : indexes.split("\n")) {
                    redis.first().cli("DEL", index);
                }
                doomed.kill();
                client.close();
            }
            await().atMost(Duration.ofSeconds(15)).until(() ->
                    !survivor.api().get("/info", Map.of("device", "d-lost-index")).result().path("online").asBoolean());
            assertThat(survivor.api().get("/info", Map.of()).result().path("user_count").asInt()).isZero();
        }
    }

    /**
     * A node whose beat cannot be renewed for a while (here: Redis refuses the node its beat key) is taken for dead,
     * and cleared; the beats that fail meanwhile still add it back to the set of nodes and find the survivor's mark,
     * and once its beat is renewed again it registers its connections again: a failed renewal does not hide what the
     * other answers of the beat said (the beats after it find the node in the set and no mark).
     */
    @Test
    void aNodeClearedWhileItsBeatFailedRegistersItsConnectionsAgain() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            assertThat(redis.first().cli("ACL", "SETUSER", "unbeating", "on", ">unbeating-secret", "~*", "&*", "+@all"))
                    .contains("OK");
            try (TestNode survivor = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"));
                 TestNode unbeating = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1",
                         "redis.username", "unbeating", "redis.password", "unbeating-secret"))) {
                List<String> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
                io.lettuce.core.RedisClient watcherClient = io.lettuce.core.RedisClient.create("redis://" + redis.first().address());
                try (var watcher = watcherClient.connectPubSub();
                     SseClient client = unbeating.connect("u-unbeating", "d-unbeating")) {
                    watcher.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<>() {
                        @Override
                        public void message(String channel, String message) {
                            changes.add(channel + " " + message);
                        }
                    });
                    watcher.sync().subscribe("sse_topic_device_offline", "sse_topic_device_online");
                    client.nextOfType("sys_connected");
                    String index = redis.first().cli("KEYS", "sse:{n:*}:d").trim(); // the only node with a connection
                    String node = index.substring("sse:{n:".length(), index.length() - "}:d".length());
                    // every key but the nodes' beats ("sse:nodes" is the set of nodes)
                    assertThat(redis.first().cli("ACL", "SETUSER", "unbeating", "resetkeys", "~sse:nodes", "~sse:[^n]*"))
                            .contains("OK");

                    await().atMost(Duration.ofSeconds(15)).until(() -> changes.stream()
                            .anyMatch(change -> change.contains("offline") && change.contains("instance_clear")));
                    // A beat that failed after the clear added the node back and read the mark (two beats' time for
                    // the survivor to finish its clear first); the mark stays until it expires, acted on once.
                    Thread.sleep(3000);
                    await().atMost(Duration.ofSeconds(5)).until(() ->
                            redis.first().cli("SISMEMBER", "sse:nodes", node).trim().equals("1"));
                    assertThat(redis.first().cli("ACL", "SETUSER", "unbeating", "resetkeys", "~*")).contains("OK");

                    await().atMost(Duration.ofSeconds(10)).until(() -> {
                        List<String> seen = List.copyOf(changes);
                        int cleared = 0;
                        while (!seen.get(cleared).contains("instance_clear")) {
                            cleared++;
                        }
                        return seen.subList(cleared + 1, seen.size()).stream()
                                .anyMatch(change -> change.startsWith("sse_topic_device_online"));
                    });
                    // still open and reachable (a send counts it once its entry is back)
                    await().atMost(Duration.ofSeconds(10)).until(() -> unbeating.api()
                            .postForm("/send", Map.of("uid", "u-unbeating", "data", "still here")).result().asInt() == 1);
                    assertThat(client.nextOfType("message").data()).isEqualTo("still here");
                } finally {
                    watcherClient.shutdown();
                }
            }
        }
    }

    /**
     * A node that stalls is taken for dead, and the survivor's clear of its devices fails half-way (here: Redis
     * refuses the survivor the keys of one user), so the node stays in the set of nodes. When it beats again, what the
     * clear removed is registered again: the survivor's mark tells it, where being added back to the set does not.
     */
    @Test
    void aStalledNodeWhoseClearFailedHalfWayRegistersWhatWasClearedWhenItBeatsAgain(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            // every key but those of users whose name starts with "b"
            assertThat(redis.first().cli("ACL", "SETUSER", "survivor", "on", ">survivor-secret", "~sse:[^{]*",
                    "~sse:{[^u]*", "~sse:{u:[^b]*", "&*", "+@all")).contains("OK");
            try (NodeProcess stalling = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redis.first().address(),
                         "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1"));
                 TestNode survivor = TestNode.start(Map.of("redis.addrs", redis.first().address(),
                         "redis.username", "survivor", "redis.password", "survivor-secret", "redis.node_heartbeat", "1"))) {
                SseClient cleared = stalling.connect("a-stalled", "d-a-stalled");
                cleared.nextOfType("sys_connected");
                SseClient kept = stalling.connect("b-stalled", "d-b-stalled");
                kept.nextOfType("sys_connected");
                stalling.pause();
                try {
                    await().atMost(Duration.ofSeconds(15)).until(() -> !survivor.api()
                            .get("/info", Map.of("device", "d-a-stalled")).result().path("online").asBoolean());
                    assertThat(redis.first().cli("SCARD", "sse:nodes").trim()).as("the stalled node is still one of the"
                            + " cluster's: its clear did not complete").isEqualTo("2");
                } finally {
                    stalling.resume();
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> survivor.api()
                        .get("/info", Map.of("device", "d-a-stalled")).result().path("online").asBoolean());
                assertThat(redis.first().cli("HEXISTS", "sse:{u:b-stalled}:p", "d-b-stalled").trim()).isEqualTo("1");
                // asked again until counted: a clear still running when the node resumed may remove it once more
                await().atMost(Duration.ofSeconds(10)).until(() -> survivor.api()
                        .postForm("/send", Map.of("uid", "a-stalled", "data", "after the stall")).result().asInt() == 1);
                assertThat(cleared.nextOfType("message").data()).isEqualTo("after the stall");
                assertThat(cleared.isClosedByServer()).isFalse();
                cleared.close();
                kept.close();
            }
        }
    }

    @Test
    void whenRedisLosesItsDataTheNodeRestoresPresenceAndOldCursorsGetHistoryLost() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"))) {
            String cursor;
            try (SseClient client = node.connect("u-flush", "d-flush")) {
                cursor = client.nextOfType("sys_connected").id();
                redis.first().cli("FLUSHALL");
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        node.api().get("/info", Map.of("device", "d-flush")).result().path("online").asBoolean());
                Event reset = client.next();
                assertThat(reset.event()).isEqualTo("sys_reset");
                assertThat(reset.data()).isEqualTo("history_lost");
                assertThat(node.api().send(Map.of("uid", "u-flush", "data", "after the flush"))).isEqualTo(1);
                Event after = client.next();
                assertThat(after.data()).isEqualTo("after the flush");
                node.api().send(Map.of("uid", "u-flush", "data", "missed after the flush"));
                client.close();
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        !node.api().get("/info", Map.of("device", "d-flush")).result().path("online").asBoolean());
                try (SseClient resumed = node.connect("u-flush", "d-flush", after.id())) {
                    resumed.nextOfType("sys_connected");
                    assertThat(resumed.next().data()).as("a cursor of the new history resumes without a reset")
                            .isEqualTo("missed after the flush");
                }
            }
            try (SseClient back = node.connect("u-flush", "d-flush", cursor)) {
                back.nextOfType("sys_connected");
                Event reset = back.next();
                assertThat(reset.event()).isEqualTo("sys_reset");
                assertThat(reset.data()).isEqualTo("history_lost");
            }
        }
    }

    /**
     * On a Redis Cluster a registration takes the device's ownership before its script, on the user's slot, counts the
     * user's devices. Refused for too many devices, it leaves the device to the user that had it: that connection is
     * not ended, a message to the device alone reaches it, and the refused user's device already on the node keeps
     * its channel and its messages.
     */
    @Test
    void aRegistrationRefusedForTooManyDevicesLeavesTheDeviceToItsUser() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster();
             TestNode node = TestNode.start(Map.of("redis.addrs", String.join(",", redis.addresses()),
                     "limits.max_devices_per_user", "1", "redis.channel_linger", "0"))) {
            SseClient full = node.connect("u-full", "d-full");
            full.nextOfType("sys_connected");
            SseClient owner = node.connect("u-owner", "d-taken");
            owner.nextOfType("sys_connected");

            try (SseClient refused = node.connect("u-full", "d-taken")) {
                assertThat(refused.status()).isEqualTo(429);
            }
            assertThat(node.api().send(Map.of("device", "d-taken", "data", "still yours"))).isEqualTo(1);
            assertThat(owner.next().data()).isEqualTo("still yours");
            assertThat(owner.isClosedByServer()).isFalse();
            String channel = new RedisKeys("sse").userChannel("u-full");
            assertThat(redis.ownerOf(redis.slotOf(channel)).shardSubscribers(channel)).as("still subscribed").isEqualTo(1);
            assertThat(node.api().send(Map.of("uid", "u-full", "data", "still here"))).isEqualTo(1);
            assertThat(full.next().data()).isEqualTo("still here");
            full.close();
            owner.close();
        }
    }

    /**
     * A registration on a Redis Cluster takes the device from the user that has it (its owner record, then its
     * presence entry) before it writes its own entry. Should that write fail (here: Redis refuses the node the keys of
     * the registering user's stream), the other user's connection has lost its presence: it is ended like a replaced
     * one, not left open and offline.
     */
    @Test
    void aRegistrationThatFailsAfterTakingTheDeviceEndsTheConnectionItTookItFrom() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            for (RedisServers.Server server : redis.servers()) {
                // every key but those of users whose name starts with "b", of which only the presence hash
                assertThat(server.cli("ACL", "SETUSER", "taker", "on", ">taker-secret", "~sse:[^{]*", "~sse:{[^u]*",
                        "~sse:{u:[^b]*", "~sse:{u:b*}:p", "&*", "+@all")).contains("OK");
            }
            String addresses = String.join(",", redis.addresses());
            try (TestNode owners = TestNode.start(Map.of("redis.addrs", addresses));
                 TestNode takers = TestNode.start(Map.of("redis.addrs", addresses, "redis.username", "taker",
                         "redis.password", "taker-secret"))) {
                SseClient owner = owners.connect("a-owner", "d-contested");
                owner.nextOfType("sys_connected");
                assertFailsAndEnds(takers.connect("b-taker", "d-contested"), owner);
                assertThat(owners.api().get("/info", Map.of("device", "d-contested")).result().path("online").asBoolean())
                        .as("the device was taken from its user").isFalse();
            }
        }
    }

    /**
     * A registration whose script replaced the device's previous connection, and that fails after (here: Redis
     * refuses the node the records of the changes it takes for its webhook): the previous connection has lost its
     * presence all the same, and is ended, not left open and offline.
     */
    @Test
    void aRegistrationThatFailsAfterReplacingTheDevicesConnectionEndsIt() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            // every key but the records of what a take of a user's changes took, of users whose name starts with "b"
            assertThat(redis.first().cli("ACL", "SETUSER", "reporter", "on", ">reporter-secret", "~sse:[^{]*",
                    "~sse:{[^u]*", "~sse:{u:[^b]*", "~sse:{u:b*}:[^t]*", "&*", "+@all")).contains("OK");
            try (TestNode first = TestNode.start(Map.of("redis.addrs", redis.first().address()));
                 TestNode second = TestNode.start(Map.of("redis.addrs", redis.first().address(),
                         "redis.username", "reporter", "redis.password", "reporter-secret",
                         "callback.url", "http://127.0.0.1:9/presence"))) {
                SseClient previous = first.connect("b-replaced", "d-replaced");
                previous.nextOfType("sys_connected");
                assertFailsAndEnds(second.connect("b-replaced", "d-replaced"), previous);
            }
        }
    }

    /**
     * A registration whose answer does not come in time (Redis frozen) fails at its node, whose client is told to come
     * back later; Redis then runs the script, which replaces the device's previous connection and remembers it as
     * ended. The new connection never went live, so the previous one is not locked out: its client, back with its
     * cursor, is let in and gets what it missed (it was answered 204 for good before).
     */
    @Test
    void aRegistrationThatFailedAtItsNodeDoesNotLockOutTheConnectionItReplaced() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1"))) {
            SseClient previous = node.connect("u-failed-new", "d-failed-new");
            previous.nextOfType("sys_connected");
            assertThat(node.api().send(Map.of("uid", "u-failed-new", "data", "before"))).isEqualTo(1);
            assertThat(previous.next().data()).isEqualTo("before");
            String cursor = previous.lastEventId();

            redis.first().pause();
            try (SseClient failed = node.connect("u-failed-new", "d-failed-new")) {
                assertThat(failed.readUntilClosed(Duration.ofSeconds(15))).extracting(Event::event)
                        .as("told to come back later").containsExactly("sys_unavailable");
            } finally {
                redis.first().resume();
            }
            previous.close(); // its client lost it meanwhile, and comes back with its cursor
            node.awaitOffline("d-failed-new");
            assertThat(node.api().send(Map.of("uid", "u-failed-new", "data", "missed"))).isZero();

            try (SseClient back = node.connect("u-failed-new", "d-failed-new", cursor)) {
                assertThat(back.status()).as("let in").isEqualTo(200);
                assertThat(back.nextOfType("message").data()).isEqualTo("missed");
            }
        }
    }

    /**
     * The same failure, the previous connection still open: the failed registration's script, run once Redis came
     * back, removed its presence entry; its node writes the entry again. The device is online, not shown offline while
     * its connection receives on.
     */
    @Test
    void theConnectionAFailedRegistrationReplacedIsOnlineAgain() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1"))) {
            assertOnlineAgainAfterAFailedReplacement(redis, node, node, "u-kept", "d-kept");
            // and it stays: the removal and the take-back are not undone by a later check
            Thread.sleep(3_000);
            assertThat(node.api().get("/info", Map.of("device", "d-kept")).result().path("online").asBoolean()).isTrue();
        }
    }

    /** The same across nodes: the node of the failed registration asks the other one, over the control channel. */
    @Test
    void theConnectionAFailedRegistrationOnAnotherNodeReplacedIsOnlineAgain() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode holder = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             TestNode other = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1"))) {
            assertOnlineAgainAfterAFailedReplacement(redis, holder, other, "u-kept-2", "d-kept-2");
        }
    }

    /**
     * The same, where the holder's node is cut from Redis when the ask comes: the control message is lost to it, and
     * the node finds the ask in Redis once its control channel is subscribed again.
     */
    @Test
    void anAskToWriteTheConnectionAgainLostOnTheControlChannelIsFoundInRedis() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); TcpProxy proxy = TcpProxy.to(redis.first().port());
             TestNode holder = TestNode.start(Map.of("redis.addrs", "127.0.0.1:" + proxy.port()));
             TestNode failing = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1"))) {
            SseClient previous = holder.connect("u-asked", "d-asked");
            previous.nextOfType("sys_connected");
            redis.first().pause();
            try (SseClient failed = failing.connect("u-asked", "d-asked")) {
                assertThat(failed.readUntilClosed(Duration.ofSeconds(15))).extracting(Event::event)
                        .as("told to come back later").containsExactly("sys_unavailable");
                proxy.cut();
            } finally {
                redis.first().resume();
            }
            // the failed registration's script runs, removes the entry, and its node asks the holder's, which is away
            await().atMost(Duration.ofSeconds(10)).until(() -> redis.first().cli("HLEN", "sse:{a:" + holder.nodeAddress() + "}:r")
                    .trim().equals("1"));
            assertThat(online(failing, "d-asked")).isFalse();
            proxy.restore();

            await().atMost(Duration.ofSeconds(15)).until(() -> online(failing, "d-asked"));
            assertThat(failing.api().send(Map.of("device", "d-asked", "data", "still here"))).isEqualTo(1);
            assertThat(previous.nextOfType("message").data()).isEqualTo("still here");
            assertThat(previous.isClosedByServer()).isFalse();
        }
    }

    /**
     * A connection of the device on {@code holder}; a registration of the device on {@code failing} that fails (Redis
     * frozen past the timeout) and whose script runs once Redis is back: the first connection is online again, and
     * receives on.
     */
    private static void assertOnlineAgainAfterAFailedReplacement(RedisServers redis, TestNode holder, TestNode failing,
                                                                 String uid, String device) throws Exception {
        SseClient previous = holder.connect(uid, device);
        previous.nextOfType("sys_connected");
        redis.first().pause();
        try (SseClient failed = failing.connect(uid, device)) {
            assertThat(failed.readUntilClosed(Duration.ofSeconds(15))).extracting(Event::event)
                    .as("told to come back later").containsExactly("sys_unavailable");
        } finally {
            redis.first().resume();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> failing.api().get("/info", Map.of("device", device))
                .result().path("online").asBoolean());
        assertThat(failing.api().send(Map.of("device", device, "data", "still here"))).isEqualTo(1);
        assertThat(previous.nextOfType("message").data()).isEqualTo("still here");
        assertThat(previous.isClosedByServer()).isFalse();
    }

    /** A connection whose registration failed (told to come back later), and the one whose entry it removed, ended. */
    private static void assertFailsAndEnds(SseClient failed, SseClient removed) {
        try (failed) {
            assertThat(failed.readUntilClosed(Duration.ofSeconds(15))).extracting(Event::event)
                    .as("told to come back later").contains("sys_unavailable");
        }
        assertThat(removed.readUntilClosed(Duration.ofSeconds(15))).extracting(Event::event).contains("sys_extrude_offline");
        assertThat(removed.isClosedByServer()).isTrue();
        removed.close();
    }

    /**
     * Redis back from a snapshot older than the last registrations (a server persisted by snapshots, a replica that
     * took over behind its master) keeps the epoch but not those devices' presence: the node registers them again
     * once Redis answers, and a message to such a device alone finds it.
     */
    @Test
    void whenRedisComesBackFromAnOlderSnapshotTheNodeRegistersItsDevicesAgain() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standaloneWithSnapshots();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"))) {
            SseClient saved = node.connect("u-snapshot", "d-saved");
            saved.nextOfType("sys_connected");
            redis.first().cli("SAVE");
            SseClient unsaved = node.connect("u-snapshot", "d-unsaved");
            unsaved.nextOfType("sys_connected");
            redis.first().kill();
            redis.first().restart();
            await().atMost(Duration.ofSeconds(15)).until(() -> online(node, "d-unsaved"));
            assertThat(online(node, "d-saved")).isTrue();
            assertThat(node.api().send(Map.of("device", "d-unsaved", "data", "to the device alone"))).isEqualTo(1);
            assertThat(unsaved.next().data()).isEqualTo("to the device alone");
            saved.close();
            unsaved.close();
        }
    }

    /**
     * Redis back from a snapshot taken before a device's connection on one node was replaced by a newer one on another
     * node: the older connection's entry comes back. The newer connection's node registers it again over that entry,
     * and does not end it for it.
     */
    @Test
    void aNewerConnectionIsRegisteredAgainOverTheOlderOnesEntryThatASnapshotBroughtBack(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standaloneWithSnapshots();
             TestNode newer = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"))) {
            String stale;
            SseClient live;
            // Beats every five seconds: its stale entry is not cleared as a dead node's before the other node's check.
            try (NodeProcess older = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redis.first().address(),
                    "SSE_BROKER_REDIS_NODE_HEARTBEAT", "5"))) {
                SseClient replaced = older.connect("u-rolled-back", "d-rolled-back");
                replaced.nextOfType("sys_connected");
                stale = redis.first().cli("HGET", "sse:{u:u-rolled-back}:p", "d-rolled-back").trim();
                redis.first().cli("SAVE");
                live = newer.connect("u-rolled-back", "d-rolled-back");
                live.nextOfType("sys_connected");
                replaced.readUntilClosed(Duration.ofSeconds(15));
                assertThat(replaced.isClosedByServer()).as("the older connection is ended by the newer").isTrue();
            }
            redis.first().kill();
            redis.first().restart();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                String entry = redis.first().cli("HGET", "sse:{u:u-rolled-back}:p", "d-rolled-back").trim();
                return entry.startsWith("{") && !entry.equals(stale); // not an error (LOADING) nor empty
            });
            assertThat(live.isClosedByServer()).isFalse();
            assertThat(newer.api().send(Map.of("device", "d-rolled-back", "data", "to the newer connection"))).isEqualTo(1);
            assertThat(live.nextOfType("message").data()).isEqualTo("to the newer connection");
            live.close();
        }
    }

    private static boolean online(TestNode node, String device) {
        return node.api().get("/info", Map.of("device", device)).result().path("online").asBoolean();
    }

    @Test
    void nodesThatShowTheSameAddressStillKeepTheirPresenceApart() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address(), "server.address", "10.0.0.1:8080");
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings);
                 SseClient onA = a.connect("u-same", "d-same-a"); SseClient onB = b.connect("u-same", "d-same-b")) {
                onA.nextOfType("sys_connected");
                onB.nextOfType("sys_connected");
                TestNode.start(settings).close(); // a third process with that address starts and stops
                assertThat(a.api().get("/info", Map.of("uid", "u-same")).result().path("devices")).hasSize(2);
                try (SseClient again = b.connect("u-same", "d-same-a")) {
                    again.nextOfType("sys_connected");
                    assertThat(onA.readUntilClosed(Duration.ofSeconds(10))).extracting(Event::event)
                            .containsExactly("sys_extrude_offline");
                }
            }
        }
    }

    /**
     * The node's connections to a Redis Cluster cut again and again while its masters are frozen (SIGSTOP), so that
     * commands were carried out but never answered, while the node publishes and while devices register: Lettuce
     * re-sends them after reconnecting, and neither a re-sent publish (no message twice) nor a re-sent registration
     * (no connection extruding itself) may show.
     */
    @Test
    void commandsReSentAfterAReconnectNeitherDuplicateNorExtrude() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            List<TcpProxy> proxies = List.copyOf(redis.behindProxies().values());
            String seeds = String.join(",", proxies.stream().map(proxy -> "127.0.0.1:" + proxy.port()).toList());
            try (TestNode node = TestNode.start(Map.of("redis.addrs", seeds, "redis.timeout", "3"))) {
                SseClient client = node.connect("u-resent", "d-resent");
                client.nextOfType("sys_connected");
                SteadySends sends = new SteadySends(node.api(), Map.of("uid", "u-resent"));
                ExecutorService registrations = Executors.newFixedThreadPool(4);
                List<Future<SseClient>> devices = new ArrayList<>();
                for (int round = 0; round < 8; round++) {
                    redis.servers().forEach(RedisServers.Server::pause);
                    Thread.sleep(100);
                    for (int i = 0; i < 4; i++) {
                        String device = "d-resent-" + round + "-" + i;
                        devices.add(registrations.submit(() -> node.connect("u-" + device, device)));
                    }
                    Thread.sleep(250); // sends and registrations wait in the frozen servers, written but not answered
                    proxies.forEach(TcpProxy::cut);
                    proxies.forEach(TcpProxy::restore);
                    redis.servers().forEach(RedisServers.Server::resume);
                    Thread.sleep(700);
                }
                sends.stop();
                sends.verifyDelivered(client, false);
                int connected = 0;
                for (Future<SseClient> future : devices) {
                    try (SseClient device = future.get()) {
                        Event first = device.next(Duration.ofSeconds(10));
                        if (!"sys_connected".equals(first.event())) {
                            assertThat(first.event()).as("refused only for now").isEqualTo("sys_unavailable");
                            continue;
                        }
                        connected++;
                        assertThat(device.readFor(Duration.ofMillis(200))).as("no connection extruded itself")
                                .extracting(Event::event).doesNotContain("sys_extrude_offline");
                        assertThat(device.isClosedByServer()).isFalse();
                    }
                }
                assertThat(connected).as("devices that registered through the cuts").isPositive();
                registrations.shutdownNow();
                client.close();
            } finally {
                proxies.forEach(TcpProxy::close);
            }
        }
    }

    /**
     * A registration carried out by a Redis Cluster master whose answer is lost with the connection, while another
     * node registers a newer connection of the same device on that master: after the reconnect, Lettuce re-sends the
     * first registration, which must not take the device back. The newer connection stays, is not extruded, and
     * gets the device's messages.
     */
    @Test
    void aRegistrationReSentAfterANewerConnectionOfTheDeviceLeavesTheNewerOne() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<RedisServers.Server, TcpProxy> proxies = redis.behindProxies();
            String seeds = String.join(",", proxies.values().stream().map(proxy -> "127.0.0.1:" + proxy.port()).toList());
            Map<String, String> settings = Map.of("redis.addrs", seeds, "redis.timeout", "5");
            ExecutorService connecting = Executors.newFixedThreadPool(2);
            try (TestNode first = TestNode.start(settings); TestNode second = TestNode.start(settings)) {
                // The master whose answers are lost holds neither node's index of its sessions, so that each node's
                // registration reaches its script there: the user's keys are on it, the device's and kicks' elsewhere.
                RedisServers.Server lossy;
                try (SseClient a = first.connect("u-index-a", "d-index-a"); SseClient b = second.connect("u-index-b", "d-index-b")) {
                    a.nextOfType("sys_connected");
                    b.nextOfType("sys_connected");
                    lossy = masterWithoutNodeIndex(redis);
                }
                Predicate<String> onLossy = key -> redis.ownerOf(redis.slotOf(key)) == lossy;
                RedisKeys keys = new RedisKeys("sse");
                String uid = firstName("u-resent-", name -> onLossy.test(keys.userPresence(name)) && !onLossy.test(keys.kickedUid(name)));
                String device = firstName("d-resent-", name -> !onLossy.test(keys.deviceOwner(name)) && !onLossy.test(keys.kickedDevice(name)));
                // Both nodes follow the user's channel already: the registrations wait for nothing but their scripts.
                SseClient onFirst = first.connect(uid, "d-first-other");
                SseClient onSecond = second.connect(uid, "d-second-other");
                onFirst.nextOfType("sys_connected");
                onSecond.nextOfType("sys_connected");

                TcpProxy proxy = proxies.get(lossy);
                Predicate<TestNode> holdsTheDevice = node -> lossy.cli("HGET", keys.userPresence(uid), device)
                        .contains("\"node\":\"" + node.nodeAddress() + "\"");
                proxy.dropReplies();
                Future<SseClient> older = connecting.submit(() -> first.connect(uid, device));
                await().atMost(Duration.ofSeconds(3)).until(() -> holdsTheDevice.test(first)); // carried out, unanswered
                Future<SseClient> newer = connecting.submit(() -> second.connect(uid, device));
                await().atMost(Duration.ofSeconds(3)).until(() -> holdsTheDevice.test(second)); // replaced it, unanswered
                proxy.cut();
                proxy.restore(); // both nodes reconnect and re-send their registrations, in either order

                try (SseClient newest = newer.get(20, TimeUnit.SECONDS);
                     SseClient oldest = older.get(20, TimeUnit.SECONDS)) {
                    assertThat(newest.nextOfType("sys_connected")).isNotNull();
                    assertThat(first.api().send(Map.of("device", device, "data", "to the newest"))).isEqualTo(1);
                    assertThat(newest.next(Duration.ofSeconds(10))).as("the newer connection gets the device's messages")
                            .extracting(Event::data).isEqualTo("to the newest");
                    assertThat(newest.readFor(Duration.ofMillis(500))).as("the newer connection is not extruded")
                            .extracting(Event::event).doesNotContain("sys_extrude_offline");
                    assertThat(newest.isClosedByServer()).isFalse();
                    // Answered as ended when its registration was re-sent; Lettuce may fail a command instead of
                    // re-sending it (told to come back later): never is the older connection opened.
                    if (oldest.status() != 204) {
                        assertThat(oldest.next(Duration.ofSeconds(10)).event()).as("the older connection, answered 200")
                                .isEqualTo("sys_unavailable");
                    }
                }
                onFirst.close();
                onSecond.close();
            } finally {
                connecting.shutdownNow();
                proxies.values().forEach(TcpProxy::close);
            }
        }
    }

    /**
     * A device that moves from one user to another on Redis Cluster: the step that records the new owner is carried
     * out by the master of the device's keys, its answer is lost with the connection, and Lettuce re-sends it after
     * the reconnect. The re-sent step must answer the owner the device was taken from, as the first run did (not the
     * new owner that run wrote): that user's session on the device is ended, and the device is not left online under
     * two users. (The step before it, the take asked first, answers that the device is another user's, and the node
     * looks whether the user has room: the answers are lost only after that look, held back meanwhile by a pause of
     * the shard of the user's presence.)
     */
    @Test
    void aDeviceTakenFromAnotherUserByAStepReSentAfterAReconnectIsTakenFromThatUser() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<RedisServers.Server, TcpProxy> proxies = redis.behindProxies();
            String seeds = String.join(",", proxies.values().stream().map(proxy -> "127.0.0.1:" + proxy.port()).toList());
            ExecutorService connecting = Executors.newSingleThreadExecutor();
            try (TestNode node = TestNode.start(Map.of("redis.addrs", seeds, "redis.timeout", "5"))) {
                RedisKeys keys = new RedisKeys("sse");
                DeviceMove move = deviceMoveOnLossyOwner(redis, node);
                RedisServers.Server lossy = move.lossy();
                String before = move.before();
                String device = move.device();
                // the look for room waits on the user's shard: neither the revocation check nor the take does
                Predicate<String> offUsersShard = name -> {
                    RedisServers.Server users = redis.ownerOf(redis.slotOf(keys.userPresence(name)));
                    return users != lossy && users != redis.ownerOf(redis.slotOf(keys.kickedUid(name)))
                            && users != redis.ownerOf(redis.slotOf(keys.kickedDevice(device)));
                };
                String after = firstName("u-after-", offUsersShard);
                RedisServers.Server usersShard = redis.ownerOf(redis.slotOf(keys.userPresence(after)));

                SseClient previous = node.connect(before, device);
                previous.nextOfType("sys_connected");
                TcpProxy proxy = proxies.get(lossy);
                usersShard.cli("CLIENT", "PAUSE", "2500", "ALL");
                Future<SseClient> taking = connecting.submit(() -> node.connect(after, device));
                Thread.sleep(1_000); // the take asked first is answered; the look for room waits
                proxy.dropReplies();
                await().atMost(Duration.ofSeconds(5)).until(() -> lossy.cli("GET", keys.deviceOwner(device)).trim().equals(after));
                proxy.cut();
                proxy.restore(); // the node reconnects and re-sends the step

                try (SseClient next = taking.get(20, TimeUnit.SECONDS)) {
                    Event first = next.status() == 200 ? next.next(Duration.ofSeconds(10)) : null;
                    assumeTrue(first != null && first.event().equals("sys_connected"),
                            "Lettuce failed the step instead of re-sending it");
                    assertThat(previous.nextOfType("sys_extrude_offline")).as("the previous user's session is ended")
                            .isNotNull();
                    await().atMost(Duration.ofSeconds(5)).until(() -> !node.api().get("/info", Map.of("uid", before))
                            .result().path("online").asBoolean());
                    assertThat(node.api().send(Map.of("device", device, "data", "to the new owner"))).isEqualTo(1);
                    assertThat(next.nextOfType("message").data()).isEqualTo("to the new owner");
                } finally {
                    previous.close();
                }
            } finally {
                connecting.shutdownNow();
                proxies.values().forEach(TcpProxy::close);
            }
        }
    }

    /**
     * A device that moves from one user to another on Redis Cluster, where the step that records the new owner is
     * carried out but its answer never comes: the registration fails after the command timeout, and the connection
     * is told to come back later. The device is given back to the user it was taken from (whose session is still
     * online and whose stream its messages must go to), and when the connection comes back it takes the device
     * again, ending that user's session: the device is never left online under two users.
     */
    @Test
    void aDeviceTakenByARegistrationThatFailedIsGivenBack() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<RedisServers.Server, TcpProxy> proxies = redis.behindProxies();
            String seeds = String.join(",", proxies.values().stream().map(proxy -> "127.0.0.1:" + proxy.port()).toList());
            try (TestNode node = TestNode.start(Map.of("redis.addrs", seeds, "redis.timeout", "2"))) {
                RedisKeys keys = new RedisKeys("sse");
                DeviceMove move = deviceMoveOnLossyOwner(redis, node);
                RedisServers.Server lossy = move.lossy();
                String before = move.before();
                String after = move.after();
                String device = move.device();
                Supplier<String> owner = () -> lossy.cli("GET", keys.deviceOwner(device)).trim();

                try (SseClient previous = node.connect(before, device)) {
                    previous.nextOfType("sys_connected");
                    TcpProxy proxy = proxies.get(lossy);
                    proxy.dropReplies();
                    try (SseClient failed = node.connect(after, device)) {
                        assertThat(failed.status() == 200 ? failed.next(Duration.ofSeconds(10)).event() : "204")
                                .as("told to come back later").isEqualTo("sys_unavailable");
                    }
                    proxy.cut();
                    proxy.restore();
                    // given back at once, or at a heartbeat once Redis answers again
                    await("given back").atMost(Duration.ofSeconds(10)).until(() -> owner.get().equals(before));
                    assertThat(previous.readFor(Duration.ofMillis(500))).as("the previous session is not ended")
                            .extracting(Event::event).doesNotContain("sys_extrude_offline");

                    try (SseClient next = node.connect(after, device)) {
                        next.nextOfType("sys_connected");
                        assertThat(previous.nextOfType("sys_extrude_offline")).isNotNull();
                        await().atMost(Duration.ofSeconds(5)).until(() -> !node.api().get("/info", Map.of("uid", before))
                                .result().path("online").asBoolean());
                        assertThat(owner.get()).isEqualTo(after);
                        assertThat(node.api().send(Map.of("device", device, "data", "to the new owner"))).isEqualTo(1);
                        assertThat(next.nextOfType("message").data()).isEqualTo("to the new owner");
                    }
                }
            } finally {
                proxies.values().forEach(TcpProxy::close);
            }
        }
    }

    /**
     * Two users and a device moving from the first to the second on a Cluster behind proxies, named so that of the
     * registration's steps only the device's owner is on the master whose answers a test loses ({@code lossy}).
     */
    private record DeviceMove(RedisServers.Server lossy, String before, String after, String device) {
    }

    private static DeviceMove deviceMoveOnLossyOwner(RedisServers redis, TestNode node) throws Exception {
        RedisKeys keys = new RedisKeys("sse");
        RedisServers.Server lossy;
        try (SseClient indexed = node.connect("u-index", "d-index")) {
            indexed.nextOfType("sys_connected");
            lossy = masterWithoutNodeIndex(redis);
        }
        Predicate<String> onLossy = key -> redis.ownerOf(redis.slotOf(key)) == lossy;
        Predicate<String> userOffLossy = name -> !onLossy.test(keys.userPresence(name)) && !onLossy.test(keys.kickedUid(name));
        return new DeviceMove(lossy, firstName("u-before-", userOffLossy), firstName("u-after-", userOffLossy),
                firstName("d-moved-", name -> onLossy.test(keys.deviceOwner(name)) && !onLossy.test(keys.kickedDevice(name))));
    }

    /** A master that holds no node's index of its sessions (each node has one once a client of it connected). */
    private static RedisServers.Server masterWithoutNodeIndex(RedisServers redis) {
        Set<RedisServers.Server> indexMasters = new HashSet<>();
        for (RedisServers.Server server : redis.servers()) {
            for (String key : server.cli("KEYS", "sse:{n:*}:d").trim().split("\n")) {
                if (!key.isBlank()) {
                    indexMasters.add(redis.ownerOf(redis.slotOf(key)));
                }
            }
        }
        return redis.servers().stream().filter(server -> !indexMasters.contains(server)).findFirst().orElseThrow();
    }

    /** The first of stem0, stem1, ... that the test takes. */
    private static String firstName(String stem, Predicate<String> taken) {
        for (int i = 0; ; i++) {
            if (taken.test(stem + i)) {
                return stem + i;
            }
        }
    }
}
