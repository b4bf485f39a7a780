package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code redis.send_replicas}, a send is answered 200 only once that many replicas of the master that stored it
 * have it, against real redis-server masters and replicas: a replica that does not answer turns sends into 503s (the
 * message still stored and delivered, a repeat with its idempotency key confirmed once the replica is back, and not
 * delivered twice), and sends that come while a WAIT finds no replica are refused unsent; through Sentinel the same; on a
 * Redis Cluster the same holds for the master of each user's slot, a send to a slot that moved is confirmed by the
 * master it moved to, and sends to other masters go on while one master's replica is stopped.
 */
class ReplicatedSendsTest {
    private static final Pattern WAIT_CALLS = Pattern.compile("cmdstat_wait:calls=(\\d+)");
    private static final Pattern TRYAGAIN_ERRORS = Pattern.compile("errorstat_TRYAGAIN:count=(\\d+)");
    /** A client of {@code CLIENT LIST} held in a {@code WAIT} (flag b: blocked). */
    private static final Pattern WAITING_CLIENT = Pattern.compile("id=(\\d+) .*flags=[A-Za-z]*b[A-Za-z]* .*cmd=wait");

    @BeforeAll
    static void redisInstalled() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
    }

    private static Map<String, String> settings(List<String> addresses, int replicas) {
        Map<String, String> settings = new HashMap<>();
        settings.put("redis.addrs", String.join(",", addresses));
        settings.put("redis.send_replicas", Integer.toString(replicas));
        settings.put("redis.send_replicas_wait_ms", "300");
        return settings;
    }

    /** The settings of a node on the sentinels' {@code mymaster}. */
    private static Map<String, String> sentinelSettings(RedisServers redis, int replicas) {
        Map<String, String> settings = settings(List.of(), replicas);
        settings.remove("redis.addrs");
        settings.put("redis.sentinel_master", "mymaster");
        settings.put("redis.sentinel_addrs", String.join(",", redis.sentinelAddresses()));
        return settings;
    }

    private static Api.Answer send(TestNode node, String uid, String data, String key) {
        Map<String, String> params = new HashMap<>(Map.of("uid", uid, "data", data));
        if (key != null) {
            params.put("idempotency_key", key);
        }
        return node.api().postForm("/send", params);
    }

    private static long waitCalls(RedisServers.Server server) {
        Matcher calls = WAIT_CALLS.matcher(server.cli("INFO", "commandstats"));
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }

    /** How many commands the server answered {@code TRYAGAIN} ({@code INFO errorstats}). */
    private static long tryAgainErrors(RedisServers.Server server) {
        Matcher errors = TRYAGAIN_ERRORS.matcher(server.cli("INFO", "errorstats"));
        return errors.find() ? Long.parseLong(errors.group(1)) : 0;
    }

    /** The id of a client whose {@code WAIT} is out on the server, or null. */
    private static String waitingClient(RedisServers.Server server) {
        for (String client : server.cli("CLIENT", "LIST").split("\n")) {
            Matcher waiting = WAITING_CLIENT.matcher(client);
            if (waiting.find()) {
                return waiting.group(1);
            }
        }
        return null;
    }

    @Test
    void aSendIsConfirmedByTheReplicaOrAnswered503AndConfirmedWhenRepeatedOnceTheReplicaIsBack() throws Exception {
        try (RedisServers redis = RedisServers.masterWithReplica();
             TestNode node = TestNode.start(settings(List.of(redis.first().address()), 1));
             SseClient client = node.connect("u-rs", "d-rs")) {
            client.nextOfType("sys_connected");
            RedisServers.Server replica = redis.replicasOf(redis.first()).get(0);

            assertThat(send(node, "u-rs", "confirmed", null).status()).isEqualTo(200);
            assertThat(client.next().data()).isEqualTo("confirmed");
            assertThat(waitCalls(redis.first())).as("the send waited for the replica").isPositive();

            replica.pause();
            try {
                Api.Answer refused = send(node, "u-rs", "unconfirmed", "key-1");
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.msg()).contains("stored on its Redis master").contains("0 of 1 replicas");
                // stored on the master, so delivered: a 503 is not a promise that nothing was sent
                assertThat(client.next().data()).isEqualTo("unconfirmed");
                // repeated on the other connections, whose own writes the replica has: still not confirmed
                for (int i = 0; i < ReplicatedSends.CONNECTIONS; i++) {
                    assertThat(send(node, "u-rs", "unconfirmed", "key-1").status()).as("repeat %d", i).isEqualTo(503);
                }
            } finally {
                replica.resume();
            }

            // the repeat stores nothing new and is confirmed once the replica has the first run
            Api.Answer repeated = send(node, "u-rs", "unconfirmed", "key-1");
            assertThat(repeated.status()).isEqualTo(200);
            assertThat(replica.cli("XLEN", new RedisKeys("sse").userStream("u-rs")).trim()).isEqualTo("2");
            assertThat(send(node, "u-rs", "after", null).status()).isEqualTo(200);
            assertThat(client.next().data()).as("the repeat is not delivered twice").isEqualTo("after");
        }
    }

    @Test
    void throughSentinelTheSendsWaitForTheMastersReplica() throws Exception {
        try (RedisServers redis = RedisServers.sentinel()) {
            Map<String, String> settings = sentinelSettings(redis, 1);
            try (TestNode node = TestNode.start(settings);
                 SseClient client = node.connect("u-rs3", "d-rs3")) {
                client.nextOfType("sys_connected");
                assertThat(send(node, "u-rs3", "confirmed", null).status()).isEqualTo(200);
                assertThat(client.next().data()).isEqualTo("confirmed");
                RedisServers.Server replica = redis.replicasOf(redis.first()).get(0);
                replica.pause();
                try {
                    assertThat(send(node, "u-rs3", "unconfirmed", null).status()).isEqualTo(503);
                } finally {
                    replica.resume();
                }
                assertThat(client.next().data()).isEqualTo("unconfirmed");
                assertThat(send(node, "u-rs3", "after", null).status()).isEqualTo(200);
                assertThat(client.next().data()).isEqualTo("after");
            }
        }
    }

    @Test
    void moreReplicasThanTheMasterHasAnswers503() throws Exception {
        try (RedisServers redis = RedisServers.masterWithReplica();
             TestNode node = TestNode.start(settings(List.of(redis.first().address()), 2))) {
            Api.Answer refused = send(node, "u-rs2", "x", null);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.msg()).contains("1 of 2 replicas");
        }
    }

    @Test
    void concurrentSendsWithoutTheReplicaAreStoredUnconfirmedOrRefusedUnsentThenConfirmedOnceItIsBack() throws Exception {
        try (RedisServers redis = RedisServers.masterWithReplica();
             TestNode node = TestNode.start(settings(List.of(redis.first().address()), 1))) {
            assertThat(send(node, "u-many", "first", null).status()).isEqualTo(200);
            RedisServers.Server replica = redis.replicasOf(redis.first()).get(0);
            ExecutorService publishers = Executors.newFixedThreadPool(8);
            List<Api.Answer> answers = new ArrayList<>();
            replica.pause();
            try {
                List<Future<Api.Answer>> sent = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    String uid = "u-many-" + i;
                    sent.add(publishers.submit(() -> send(node, uid, "x", null)));
                }
                for (Future<Api.Answer> answer : sent) {
                    answers.add(answer.get());
                }
            } finally {
                replica.resume();
                publishers.shutdownNow();
            }
            assertThat(answers).as("no send the replica does not have is confirmed").allMatch(a -> a.status() == 503);
            long refused = answers.stream().filter(a -> a.msg().contains("not sent")).count();
            assertThat(refused).as("sends behind a WAIT that found no replica are refused at once").isPositive();
            long stored = 0;
            for (int i = 0; i < 24; i++) {
                stored += Long.parseLong(redis.first().cli("XLEN", new RedisKeys("sse").userStream("u-many-" + i)).trim());
            }
            assertThat(stored).as("a refused send is not stored").isEqualTo(answers.size() - refused);
            // the next send through each connection finds the replica back
            await().atMost(Duration.ofSeconds(5)).until(() -> send(node, "u-many", "again", null).status() == 200);
            for (int i = 0; i < 2 * ReplicatedSends.CONNECTIONS; i++) {
                assertThat(send(node, "u-many", "again " + i, null).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void onAClusterEachSendIsConfirmedByItsOwnMastersReplicaAlsoAfterItsSlotMoved() throws Exception {
        try (RedisServers redis = RedisServers.cluster(1);
             TestNode node = TestNode.start(settings(redis.addresses(), 1))) {
            RedisKeys keys = new RedisKeys("sse");
            // two users on different masters
            String here = "u-c-0";
            String elsewhere = null;
            RedisServers.Server hereMaster = redis.ownerOf(redis.slotOf(keys.userStream(here)));
            for (int i = 1; elsewhere == null; i++) {
                String uid = "u-c-" + i;
                if (redis.ownerOf(redis.slotOf(keys.userStream(uid))) != hereMaster) {
                    elsewhere = uid;
                }
            }
            try (SseClient client = node.connect(here, "d-c");
                 SseClient other = node.connect(elsewhere, "d-c2")) {
                client.nextOfType("sys_connected");
                other.nextOfType("sys_connected");
                assertThat(send(node, here, "one", null).status()).isEqualTo(200);
                assertThat(client.next().data()).isEqualTo("one");

                RedisServers.Server replica = redis.replicasOf(hereMaster).get(0);
                replica.pause();
                try {
                    assertThat(send(node, here, "two", null).status()).isEqualTo(503);
                    assertThat(client.next().data()).isEqualTo("two");
                    // another master's sends do not wait behind it
                    assertThat(send(node, elsewhere, "other", null).status()).isEqualTo(200);
                    assertThat(other.next().data()).isEqualTo("other");
                } finally {
                    replica.resume();
                }
                assertThat(send(node, here, "three", null).status()).isEqualTo(200);
                assertThat(client.next().data()).isEqualTo("three");

                // the slot moves to the other master: the send goes where the redirection says and waits there
                int slot = redis.slotOf(keys.userStream(here));
                RedisServers.Server target = redis.ownerOf(redis.slotOf(keys.userStream(elsewhere)));
                long waitsBefore = waitCalls(target);
                redis.migrateSlot(slot, target);
                assertThat(send(node, here, "moved", null).status()).isEqualTo(200);
                assertThat(client.next(Duration.ofSeconds(10)).data()).isEqualTo("moved");
                assertThat(waitCalls(target)).as("confirmed by the master the slot moved to").isGreaterThan(waitsBefore);
                RedisServers.Server targetReplica = redis.replicasOf(target).get(0);
                targetReplica.pause();
                try {
                    assertThat(send(node, here, "moved, unconfirmed", null).status()).as("waited for at the new master")
                            .isEqualTo(503);
                } finally {
                    targetReplica.resume();
                }
                assertThat(client.next(Duration.ofSeconds(10)).data()).isEqualTo("moved, unconfirmed");
            }
        }
    }

    /**
     * The connection of a send is cut by the master while its {@code WAIT} is out (as a restart of the connection, a
     * proxy's timeout or {@code CLIENT KILL} cut it): the send is answered 503 when the connection drops, not sent
     * again on the new connection (where a {@code WAIT} would not cover the first run's write), stored once and
     * delivered once; the next sends go out on a connection made again and are confirmed.
     */
    @Test
    void aSendWhoseConnectionIsCutWhileItsWaitIsOutIsAnswered503AtOnceAndNotSentAgain() throws Exception {
        try (RedisServers redis = RedisServers.masterWithReplica()) {
            Map<String, String> settings = settings(List.of(redis.first().address()), 1);
            settings.put("redis.send_replicas_wait_ms", "3000");
            try (TestNode node = TestNode.start(settings);
                 SseClient client = node.connect("u-cut", "d-cut")) {
                client.nextOfType("sys_connected");
                assertThat(send(node, "u-cut", "before", null).status()).isEqualTo(200);
                assertThat(client.next().data()).isEqualTo("before");
                RedisServers.Server replica = redis.replicasOf(redis.first()).get(0);
                ExecutorService publisher = Executors.newSingleThreadExecutor();
                replica.pause();
                try {
                    long start = System.nanoTime();
                    Future<Api.Answer> cut = publisher.submit(() -> send(node, "u-cut", "cut", null));
                    String waiting = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                            .until(() -> waitingClient(redis.first()), id -> id != null);
                    redis.first().cli("CLIENT", "KILL", "ID", waiting);
                    Api.Answer answer = cut.get(10, TimeUnit.SECONDS);
                    assertThat(answer.status()).as(answer.msg()).isEqualTo(503);
                    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                            .as("answered when the connection dropped, not after a WAIT sent again").isLessThan(2500);
                    assertThat(client.next().data()).isEqualTo("cut");
                    assertThat(redis.first().cli("XLEN", new RedisKeys("sse").userStream("u-cut")).trim())
                            .as("stored once").isEqualTo("2");
                } finally {
                    replica.resume();
                    publisher.shutdownNow();
                }
                for (int i = 0; i < 2 * ReplicatedSends.CONNECTIONS; i++) {
                    String data = "after " + i;
                    await().atMost(Duration.ofSeconds(5)).until(() -> send(node, "u-cut", data, "key-" + data).status() == 200);
                    assertThat(client.next().data()).as("not delivered twice").isEqualTo(data);
                }
                assertThat(redis.first().cli("XLEN", new RedisKeys("sse").userStream("u-cut")).trim())
                        .isEqualTo(Integer.toString(2 + 2 * ReplicatedSends.CONNECTIONS));
            }
        }
    }

    /**
     * The master is killed while sends go on, and Sentinel promotes its replica: no send answered 200 is lost, since
     * each had been confirmed by the one replica there is, the one promoted. What the old master took and its replica
     * never got is lost (sends answered 503, some of which the stream received: a {@code history_lost} reset says so).
     * Sends are refused while the new master has no replica, and confirmed again once a new replica streams from it.
     */
    @Test
    void aSentinelFailoverMidSendsLosesNoConfirmedSend() throws Exception {
        try (RedisServers redis = RedisServers.sentinel()) {
            RedisServers.Server sentinel = redis.servers().stream()
                    .filter(s -> redis.sentinelAddresses().contains(s.address())).findFirst().orElseThrow();
            String before = sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster");
            Map<String, String> settings = sentinelSettings(redis, 1);
            settings.put("redis.timeout", "1");
            settings.put("sse.device_frame_cache_size", "100000"); // every message kept, to be checked
            try (TestNode node = TestNode.start(settings);
                 SseClient client = node.connect("u-fo", "d-fo")) {
                client.nextOfType("sys_connected");
                SteadySends sends = new SteadySends(node.api(), Map.of("uid", "u-fo"));
                await().atMost(Duration.ofSeconds(5)).until(() -> sends.acknowledgedCount() > 20);
                redis.first().kill();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").equals(before));
                int acknowledged = sends.acknowledgedCount();
                // a new replica, not the old master back empty: one that restarts empty at once may be made a master
                // again by the sentinels, and its replicas then take its empty data set (Redis's own warning)
                redis.addReplicaOf(redis.sentinelMaster());
                await().atMost(Duration.ofSeconds(40)).until(() -> sends.acknowledgedCount() > acknowledged + 50);
                sends.stop();
                sends.verifyEveryAcknowledgedDelivered(client);
                sends.verifyEveryAcknowledgedStored(redis.sentinelMaster().cli("XRANGE",
                        new RedisKeys("sse").userStream("u-fo"), "-", "+"));
            }
        }
    }

    /**
     * A send to a user whose slot is being migrated, its keys already moved but the slot not yet handed over: the old
     * master answers {@code ASK}, the new one {@code TRYAGAIN} (the script's keys are split: some exist only once it
     * ran), and the send goes back and forth until the slot is handed over, then is confirmed by the new master's
     * replica, not refused for the redirections it followed.
     */
    @Test
    void onAClusterASendDuringItsSlotsMigrationIsConfirmedByTheMasterItMovesTo() throws Exception {
        try (RedisServers redis = RedisServers.cluster(1);
             TestNode node = TestNode.start(settings(redis.addresses(), 1));
             SseClient client = node.connect("u-ask", "d-ask")) {
            client.nextOfType("sys_connected");
            assertThat(send(node, "u-ask", "one", null).status()).isEqualTo(200);
            assertThat(client.next().data()).isEqualTo("one");
            int slot = redis.slotOf(new RedisKeys("sse").userStream("u-ask"));
            RedisServers.Server source = redis.ownerOf(slot);
            RedisServers.Server target = redis.servers().stream()
                    .filter(s -> s != source && s.cli("ROLE").startsWith("master")).findFirst().orElseThrow();
            RedisServers.SlotMigration migration = redis.beginMigration(slot, target);
            migration.moveKeys();
            ExecutorService publisher = Executors.newSingleThreadExecutor();
            try {
                long tryAgainBefore = tryAgainErrors(target);
                Future<Api.Answer> during = publisher.submit(() -> send(node, "u-ask", "during", null));
                // asked at the new master (ASK), which answers TRYAGAIN while the slot's keys are split
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                        .until(() -> tryAgainErrors(target) > tryAgainBefore);
                assertThat(during.isDone()).as("still redirected while the slot is split").isFalse();
                migration.finish();
                Api.Answer answer = during.get(10, TimeUnit.SECONDS);
                assertThat(answer.status()).as(answer.msg()).isEqualTo(200);
            } finally {
                publisher.shutdownNow();
            }
            assertThat(client.next(Duration.ofSeconds(10)).data()).isEqualTo("during");
            // answered 200 only once a WAIT on the connection that ran the append found a replica with it
            assertThat(target.cli("XRANGE", new RedisKeys("sse").userStream("u-ask"), "-", "+"))
                    .as("appended by the master the slot moved to").contains("during");
        }
    }
}
