package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.NodeProcess;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators do to a live Redis Cluster, under a steady load: a slot moved to another master (as
 * {@code redis-cli --cluster reshard} moves it), a master added and slots resharded to it. Two broker nodes: the
 * device on B, the sends through A. Every acknowledged message arrives once and in order, with no reset, and a kick
 * after the move still ends the connection.
 */
class RedisClusterFaultTest {

    @Test
    void aUsersSlotMovesUnderLoadAndNothingIsLost() throws Exception {
        moveUnderLoad("u-move", "{u:u-move}", Map.of("uid", "u-move"));
    }

    @Test
    void theBroadcastSlotMovesUnderLoadAndNothingIsLost() throws Exception {
        moveUnderLoad("u-bmove", "{b}", Map.of());
    }

    /** Kicks travel on the control channel: after its slot moved, a kick still ends the connection. */
    @Test
    void theControlSlotMovesAndKicksStillArrive() throws Exception {
        moveUnderLoad("u-cmove", "{ctl}", Map.of("uid", "u-cmove"));
    }

    /**
     * Moves the slot of {@code hashTag} to another master while a device of {@code uid} on node B gets steady sends
     * through node A; then kicks the user through A.
     */
    private static void moveUnderLoad(String uid, String hashTag, Map<String, String> target) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()));
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings);
                 SseClient client = b.connect(uid, "d-" + uid)) {
                client.nextOfType("sys_connected");
                int slot = redis.slotOf(hashTag);
                RedisServers.Server newOwner = otherMaster(redis, slot);
                SteadySends sends = new SteadySends(a.api(), target);
                Thread.sleep(800);
                redis.migrateSlot(slot, newOwner);
                Thread.sleep(1500);
                sends.stop();
                assertThat(redis.ownerOf(slot)).isSameAs(newOwner);
                sends.verifyDelivered(client, false);
                assertThat(a.api().postForm("/kick", Map.of("uid", uid)).status()).isEqualTo(200);
                assertThat(client.readUntilClosed(Duration.ofSeconds(10))).extracting(Event::event).contains("sys_kick_offline");
            }
        }
    }

    /**
     * A user whose last device left node B has a lingering channel there when the user's slot moves: B does not
     * follow it to the new master (nobody on B needs it), and when the user comes back B subscribes there afresh.
     */
    @Test
    void aLingeringUsersSlotMovesAndTheUserComesBack() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()), "redis.channel_linger", "300");
            String channel = new RedisKeys("sse").userChannel("u-lingers");
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings)) {
                try (SseClient gone = b.connect("u-lingers", "d-lingers")) {
                    gone.nextOfType("sys_connected");
                }
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        !a.api().get("/info", Map.of("device", "d-lingers")).result().path("online").asBoolean());
                int slot = redis.slotOf("{u:u-lingers}");
                RedisServers.Server oldOwner = redis.ownerOf(slot);
                assertThat(oldOwner.shardSubscribers(channel)).as("lingering at the old owner").isEqualTo(1);
                RedisServers.Server newOwner = otherMaster(redis, slot);
                redis.migrateSlot(slot, newOwner);
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        oldOwner.shardSubscribers(channel) == 0 && newOwner.shardSubscribers(channel) == 0);

                try (SseClient back = b.connect("u-lingers", "d-lingers")) {
                    back.nextOfType("sys_connected");
                    assertThat(newOwner.shardSubscribers(channel)).isEqualTo(1);
                    assertThat(a.api().send(Map.of("uid", "u-lingers", "data", "after the move"))).isEqualTo(1);
                    assertThat(back.next().data()).isEqualTo("after the move");
                }
            }
        }
    }

    @Test
    void aMasterIsAddedAndSlotsAreReshardedToItUnderLoad() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()));
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings);
                 SseClient user = b.connect("u-reshard", "d-reshard")) {
                user.nextOfType("sys_connected");
                int slot = redis.slotOf("{u:u-reshard}");
                RedisServers.Server owner = redis.ownerOf(slot);
                SteadySends sends = new SteadySends(a.api(), Map.of("uid", "u-reshard"));
                RedisServers.Server added = redis.addMaster();
                // Every slot of the user's master, so that the user's slot is among them.
                int owned = countSlots(owner);
                String resharded = redis.reshard(owner, added, owned);
                assertThat(resharded).as("redis-cli --cluster reshard").doesNotContain("[ERR]");
                redis.awaitClusterOk();
                Thread.sleep(1000);
                sends.stop();
                assertThat(redis.ownerOf(slot)).isSameAs(added);
                sends.verifyDelivered(user, false);
                assertThat(a.api().postForm("/kick", Map.of("uid", "u-reshard")).status()).isEqualTo(200);
                assertThat(user.readUntilClosed(Duration.ofSeconds(10))).extracting(Event::event).contains("sys_kick_offline");
            }
        }
    }

    @Test
    void aMasterKilledAndItsReplicaPromotedLosesNothingUnannounced() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster(1)) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()), "redis.timeout", "1");
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings);
                 SseClient client = b.connect("u-failover", "d-failover")) {
                client.nextOfType("sys_connected");
                int slot = redis.slotOf("{u:u-failover}");
                RedisServers.Server master = redis.ownerOf(slot);
                SteadySends sends = new SteadySends(a.api(), Map.of("uid", "u-failover"));
                Thread.sleep(800);
                master.kill();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> redis.ownerOf(slot) != master);
                int before = sends.acknowledgedCount();
                await().atMost(Duration.ofSeconds(30)).until(() -> sends.acknowledgedCount() > before + 50);
                sends.stop();
                List<String> resets = sends.verifyDelivered(client, true);
                assertThat(client.isClosedByServer()).as("delivery resumes without a reconnect").isFalse();
                assertThat(resets).allMatch(reason -> reason.equals("expired") || reason.equals("history_lost"));
            }
        }
    }

    /**
     * A replica that takes over without its master's last writes (here it was cut off from them) keeps the epoch but
     * not the presence written last: the node sees the master replaced and registers its devices again.
     */
    @Test
    void aReplicaThatTookOverWithoutTheLastWritesGetsThePresenceWrittenAgain() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster(1)) {
            try (TestNode node = TestNode.start(failoverSettings(redis));
                 SseClient early = node.connect("u-behind", "d-replicated")) {
                early.nextOfType("sys_connected");
                int slot = redis.slotOf("{u:u-behind}");
                try (SseClient late = connectUnreplicated(redis, slot, node, "u-behind", "d-not-replicated")) {
                    awaitOnlineAndReachable(node, "d-not-replicated", late);
                    assertThat(online(node, "d-replicated")).isTrue();
                }
            }
        }
    }

    /**
     * The same where the replica that took over is that of the device's owner record, not of the user's presence
     * (on another master): the entry is still there, and the owner is written again with it.
     */
    @Test
    void aDevicesOwnerRecordLostInAFailoverIsWrittenAgain() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster(1)) {
            RedisServers.Server userMaster = redis.ownerOf(redis.slotOf("{u:u-owner-lost}"));
            String device = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "d-owner-lost-" + i)
                    .filter(d -> redis.ownerOf(redis.slotOf("{d:" + d + "}")) != userMaster).findFirst().orElseThrow();
            int ownerSlot = redis.slotOf("{d:" + device + "}");
            try (TestNode node = TestNode.start(failoverSettings(redis));
                 SseClient client = connectUnreplicated(redis, ownerSlot, node, "u-owner-lost", device)) {
                awaitOnlineAndReachable(node, device, client);
            }
        }
    }

    /**
     * A connection that ended while its user's master could not pass its writes on: the replica that takes over has
     * its entry again, while the node's index and the online users (on other masters) let it go. The node sees the
     * master replaced, walks the presence hashes, and removes it.
     */
    @Test
    void anEntryBroughtBackByAFailoverAfterItsConnectionEndedIsRemoved() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster(1);
             TestNode node = TestNode.start(failoverSettings(redis));
             SseClient staying = node.connect("u-staying", "d-staying")) {
            staying.nextOfType("sys_connected"); // the node's index exists from now on
            String index = redis.servers().stream().map(server -> server.cli("KEYS", "sse:{n:*}:d").trim())
                    .filter(keys -> !keys.isEmpty()).findFirst().orElseThrow();
            RedisServers.Server indexMaster = redis.ownerOf(redis.slotOf(index));
            RedisServers.Server usersMaster = redis.ownerOf(redis.slotOf("sse:users"));
            int stayingSlot = redis.slotOf("{u:u-staying}"); // asked now: the first server may be the one killed below
            String uid = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "u-gone-" + i).filter(u -> {
                RedisServers.Server master = redis.ownerOf(redis.slotOf("{u:" + u + "}"));
                return master != indexMaster && master != usersMaster;
            }).findFirst().orElseThrow();
            String presence = "sse:{u:" + uid + "}:p";
            int slot = redis.slotOf(presence);
            RedisServers.Server master = redis.ownerOf(slot);
            RedisServers.Server replica = replicaOf(redis, master);
            SseClient client = node.connect(uid, "d-gone");
            client.nextOfType("sys_connected");
            // The replica has the entry (and every write before it) before it is cut off: only the removal is lost.
            long written = replicationOffset(master, "master_repl_offset");
            await().atMost(Duration.ofSeconds(10)).until(() -> replicationOffset(replica, "slave_repl_offset") >= written);
            replica.pause();
            master.cli("CLIENT", "KILL", "TYPE", "replica"); // the removal never reaches the replica
            client.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> !online(node, "d-gone"));
            master.kill();
            replica.resume();
            assertThat(replica.cli("CLUSTER", "FAILOVER", "TAKEOVER")).contains("OK");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> redis.ownerOf(slot) == replica);
            redis.awaitClusterOk(); // until then, a master that has not learnt of the takeover answers CLUSTERDOWN
            await().atMost(Duration.ofSeconds(20)).until(() -> replica.cli("HEXISTS", presence, "d-gone").trim().equals("0"));
            assertThat(online(node, "d-gone")).isFalse();
            // Read from Redis, not through the node, whose first commands to the new master may still fail just
            // after the failover (its answer would read as offline).
            RedisServers.Server stayingMaster = redis.ownerOf(stayingSlot);
            // polled: a master may still learn of the takeover after the check above, and answer CLUSTERDOWN meanwhile
            await("a live connection's entry is left alone").atMost(Duration.ofSeconds(10)).until(() ->
                    stayingMaster.cli("HEXISTS", "sse:{u:u-staying}:p", "d-staying").trim().equals("1"));
        }
    }

    /**
     * A dead node's entry whose removal a failover lost: the survivor cleared the node through its index, unlisted
     * the user and took the node out of the set of nodes (all on other masters), while the user's master could not
     * pass the removal on. The replica that takes over has the entry again, and no walk of online users finds it: the
     * survivor sees the master replaced, walks its presence hashes, and removes the entries of nodes that are gone.
     */
    @Test
    void aDeadNodesEntryBroughtBackByAFailoverIsRemoved(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster(1);
             TestNode survivor = TestNode.start(failoverSettings(redis))) {
            RedisServers.Server usersMaster = redis.ownerOf(redis.slotOf("sse:users"));
            RedisServers.Server nodesMaster = redis.ownerOf(redis.slotOf("sse:nodes"));
            String presence;
            RedisServers.Server master;
            RedisServers.Server replica;
            int slot;
            try (NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", String.join(",", redis.addresses()),
                    "SSE_BROKER_REDIS_TIMEOUT", "1", "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1"))) {
                // The set of nodes and the online users keep the survivor's writes (a failover of either would bring
                // the dead node or its user back where the survivor looks).
                String uid = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "u-dead-" + i).filter(u -> {
                    RedisServers.Server owner = redis.ownerOf(redis.slotOf("{u:" + u + "}"));
                    return owner != usersMaster && owner != nodesMaster;
                }).findFirst().orElseThrow();
                presence = "sse:{u:" + uid + "}:p";
                slot = redis.slotOf(presence);
                master = redis.ownerOf(slot);
                replica = replicaOf(redis, master);
                SseClient client = doomed.connect(uid, "d-dead");
                client.nextOfType("sys_connected");
                // The replica has the entry before it is cut off: only the survivor's removal is lost.
                long written = replicationOffset(master, "master_repl_offset");
                await().atMost(Duration.ofSeconds(10)).until(() -> replicationOffset(replica, "slave_repl_offset") >= written);
                replica.pause();
                master.cli("CLIENT", "KILL", "TYPE", "replica");
                doomed.kill();
                client.close();
            }
            await().atMost(Duration.ofSeconds(15)).until(() -> nodesMaster.cli("SCARD", "sse:nodes").trim().equals("1"));
            assertThat(master.cli("HEXISTS", presence, "d-dead").trim()).as("cleared as a dead node's").isEqualTo("0");
            master.kill();
            replica.resume();
            assertThat(replica.cli("CLUSTER", "FAILOVER", "TAKEOVER")).contains("OK");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> redis.ownerOf(slot) == replica);
            redis.awaitClusterOk(); // until then, a master that has not learnt of the takeover answers CLUSTERDOWN
            // polled: a master may still learn of the takeover after the check above, and answer CLUSTERDOWN meanwhile
            await("the user is not listed").atMost(Duration.ofSeconds(10)).until(() ->
                    usersMaster.cli("SCARD", "sse:users").trim().equals("0"));
            await().atMost(Duration.ofSeconds(20)).until(() -> replica.cli("HEXISTS", presence, "d-dead").trim().equals("0"));
            assertThat(online(survivor, "d-dead")).isFalse();
        }
    }

    private static Map<String, String> failoverSettings(RedisServers redis) {
        return Map.of("redis.addrs", String.join(",", redis.addresses()), "redis.timeout", "1", "redis.node_heartbeat", "1");
    }

    /**
     * Connects a device while the replica of the slot's master is cut off, then kills that master and has the replica
     * take over without what the connect wrote there.
     */
    private static SseClient connectUnreplicated(RedisServers redis, int slot, TestNode node, String uid, String device) {
        RedisServers.Server master = redis.ownerOf(slot);
        RedisServers.Server replica = replicaOf(redis, master);
        replica.pause();
        master.cli("CLIENT", "KILL", "TYPE", "replica"); // what follows never reaches the replica
        SseClient client = node.connect(uid, device);
        client.nextOfType("sys_connected");
        master.kill();
        replica.resume();
        assertThat(replica.cli("CLUSTER", "FAILOVER", "TAKEOVER")).contains("OK");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> redis.ownerOf(slot) == replica);
        return client;
    }

    /** A replication offset that a server's INFO replication gives. */
    private static long replicationOffset(RedisServers.Server server, String field) {
        for (String line : server.cli("INFO", "replication").split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        throw new IllegalStateException(field + " not in INFO replication");
    }

    private static RedisServers.Server replicaOf(RedisServers redis, RedisServers.Server master) {
        return redis.servers().stream().filter(server -> server != master
                && server.cli("ROLE").contains("\n" + master.port() + "\n")).findFirst().orElseThrow();
    }

    /** The device is online again, and a message to it alone finds it. */
    private static void awaitOnlineAndReachable(TestNode node, String device, SseClient client) {
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> online(node, device));
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
                node.api().send(Map.of("device", device, "data", "to the device alone")) == 1);
        assertThat(client.nextOfType("message").data()).isEqualTo("to the device alone");
    }

    private static boolean online(TestNode node, String device) {
        return node.api().get("/info", Map.of("device", device)).result().path("online").asBoolean();
    }

    /**
     * Nothing moved, so nothing is re-read: neither Lettuce's periodic topology refresh (every 30 s) nor the
     * reconnect of the node's command connections costs commands per connection. Counted with INFO commandstats
     * on every master, leaving out the commands of the refresh itself.
     */
    @Test
    void aTopologyRefreshThatMovesNothingCostsNoCommandsPerConnection() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        int connections = 100;
        try (RedisServers redis = RedisServers.cluster();
             TestNode node = TestNode.start(Map.of("redis.addrs", String.join(",", redis.addresses())))) {
            List<SseClient> clients = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    SseClient client = node.connect("u-idle-" + i, "d-idle-" + i);
                    client.nextOfType("sys_connected");
                    clients.add(client);
                }
                long before = commandCalls(redis);
                long started = System.nanoTime();
                for (RedisServers.Server master : redis.servers()) {
                    master.cli("CLIENT", "KILL", "TYPE", "normal"); // the node's command connections reconnect
                }
                Thread.sleep(32_000); // past one periodic topology refresh
                long spent = commandCalls(redis) - before;
                double seconds = (System.nanoTime() - started) / 1e9;
                // Heartbeats, history checks and subscription probes: a few commands a second for the node, whatever
                // its connections. A full recovery costs about 14 commands per connection each time.
                assertThat(spent).as("commands in %.0f s with %d connections", seconds, connections)
                        .isLessThan((long) (seconds * 12));
                assertThat(node.api().send(Map.of("uid", "u-idle-7", "data", "still routed"))).isEqualTo(1);
                assertThat(clients.get(7).next().data()).isEqualTo("still routed");
            } finally {
                clients.forEach(SseClient::close);
            }
        }
    }

    /** Commands served by the masters, without the topology refresh's own (CLUSTER, CLIENT, INFO, HELLO, PING). */
    private static long commandCalls(RedisServers redis) {
        long calls = 0;
        for (RedisServers.Server server : redis.servers()) {
            for (String line : server.cli("INFO", "commandstats").split("\\r?\\n")) {
                if (!line.startsWith("cmdstat_") || line.matches("cmdstat_(cluster|client|info|hello|ping|command)[|:].*")) {
                    continue;
                }
                String count = line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
                calls += Long.parseLong(count);
            }
        }
        return calls;
    }

    private static RedisServers.Server otherMaster(RedisServers redis, int slot) {
        RedisServers.Server owner = redis.ownerOf(slot);
        return redis.servers().stream().filter(s -> s != owner && s.cli("ROLE").startsWith("master")).findFirst().orElseThrow();
    }

    private static int countSlots(RedisServers.Server master) {
        for (String line : master.cli("CLUSTER", "NODES").split("\\n")) {
            if (line.contains("myself")) {
                String[] fields = line.trim().split(" ");
                int count = 0;
                for (int i = 8; i < fields.length; i++) {
                    String[] range = fields[i].split("-");
                    count += range.length > 1 ? Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1 : 1;
                }
                return count;
            }
        }
        throw new IllegalStateException("no myself line");
    }
}
