package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.NodeProcess;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import io.ssebroker.testing.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults one after the other on a live cluster, as they come in production, while messages flow and clients come and
 * go. Four broker nodes (C in a process of its own); twelve users with two devices each, every device reconnecting
 * every few seconds to a node picked at random, with its cursor, as an {@code EventSource} does; numbered sends to
 * every user and numbered broadcasts, through A and B in turn. Meanwhile, on a Redis Cluster of three masters each
 * with a replica: C frozen for longer than three heartbeats (its peers clear its devices) and resumed; two users'
 * slots moved to other masters; a master killed and its replica promoted; C killed while the webhook refuses every
 * post (the survivor that clears C posts what C could not); every pub/sub connection killed
 * by Redis; D stopped; another slot moved; a master frozen for longer than {@code redis.timeout}. On one Redis, the
 * faults of a single server.
 *
 * <p>Not here: a master frozen for longer than {@code cluster-node-timeout}. Its replica takes over, and the old
 * master, back for a moment before it learns so, acknowledges writes that Redis then drops: a message acknowledged
 * then that no node saw is lost without a {@code sys_reset} (Redis Cluster's acknowledged-write loss; docs/cluster.md).
 *
 * <p>Then: every acknowledged message reached every device once, in order, from the device's first message on (a
 * {@code sys_reset} the only excuse for a gap: the retention is large enough that none is needed); every device
 * connected is online; once they all left, nobody is; each user's and each device's webhook posts accepted came in
 * online/offline pairs, each delivery id for one change.
 */
class SuccessiveFaultsTest {
    private static final int USERS = 12;
    private static final int DEVICES_PER_USER = 2;
    private static final String BROADCAST_EVENT = "everyone";

    @Test
    void messagesPresenceAndCallbacksStayRightThroughSuccessiveFaultsOnARedisCluster(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster(1)) {
            runUnderLoad(dir, String.join(",", redis.addresses()), true, nodes -> {
                Thread.sleep(2000);
                nodes.freezeC(5000);
                moveSlot(redis, "{u:sf-u0}");
                moveSlot(redis, "{u:sf-u1}");
                Thread.sleep(2000);
                int failingSlot = redis.slotOf("{u:sf-u2}");
                RedisServers.Server killed = redis.ownerOf(failingSlot);
                killed.kill();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> redis.ownerOf(failingSlot) != killed);
                Thread.sleep(3000);
                // C dies with changes its webhook refused: the survivor that clears it posts them
                nodes.webhookRefuses(true);
                Thread.sleep(1500);
                nodes.killC();
                Thread.sleep(1000);
                nodes.webhookRefuses(false);
                Thread.sleep(2000);
                for (RedisServers.Server server : redis.servers()) {
                    if (isMaster(server)) {
                        server.cli("CLIENT", "KILL", "TYPE", "pubsub");
                    }
                }
                Thread.sleep(2000);
                nodes.stopD();
                moveSlot(redis, "{u:sf-u3}");
                // past redis.timeout, short of cluster-node-timeout: no failover (see the class comment)
                RedisServers.Server frozen = redis.ownerOf(redis.slotOf("{u:sf-u5}"));
                frozen.pause();
                Thread.sleep(1500);
                frozen.resume();
                Thread.sleep(3000);
            });
        }
    }

    /**
     * The same load on one Redis: frozen for longer than {@code redis.timeout}, every client connection killed by
     * Redis, restarted empty (a new epoch: streams that lost their history say so with {@code sys_reset}). The webhook's
     * pairs are not checked here: a Redis restarted empty has lost the outboxes, and the devices' presence is written
     * again, so receivers may see a device online again (docs/cluster.md).
     */
    @Test
    void messagesAndPresenceStayRightThroughSuccessiveFaultsOnOneRedis(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            RedisServers.Server server = redis.first();
            runUnderLoad(dir, server.address(), false, nodes -> {
                Thread.sleep(2000);
                nodes.freezeC(5000);
                server.pause();
                Thread.sleep(2500);
                server.resume();
                Thread.sleep(2000);
                server.cli("CLIENT", "KILL", "TYPE", "normal");
                server.cli("CLIENT", "KILL", "TYPE", "pubsub");
                Thread.sleep(2000);
                nodes.killC();
                Thread.sleep(2000);
                server.kill();
                server.restart();
                Thread.sleep(4000);
                nodes.stopD();
                Thread.sleep(3000);
            });
        }
    }

    /** What a test does to Redis and to the nodes while the load runs. */
    private interface Faults {
        void run(Nodes nodes) throws Exception;
    }

    /** What a fault script may do to nodes C and D; the devices stop connecting to a node that is frozen or gone. */
    private record Nodes(NodeProcess c, Endpoint nodeC, TestNode d, Endpoint nodeD, AtomicBoolean webhookDown) {
        /** Freezes C (SIGSTOP): those connected wait, its peers clear its devices; then lets it go on. */
        void freezeC(long millis) throws InterruptedException {
            nodeC.down = true;
            c.pause();
            Thread.sleep(millis);
            c.resume();
            nodeC.down = false;
        }

        void killC() {
            nodeC.down = true;
            c.kill();
        }

        /** The webhook answers every post with 503 from now on, or no longer: the nodes keep their changes and retry. */
        void webhookRefuses(boolean refuses) {
            webhookDown.set(refuses);
        }

        /** Stops D as an operator does (SIGTERM): its streams are told to reconnect elsewhere. */
        void stopD() {
            nodeD.down = true;
            d.close();
        }
    }

    /**
     * Starts four nodes on the given Redis (C in a process of its own), the devices and the sends, runs the faults,
     * stops the sends, and checks messages, presence and (when {@code checkCallbacks}) the webhook's posts.
     */
    private static void runUnderLoad(Path dir, String redisAddrs, boolean checkCallbacks, Faults faults) throws Exception {
        try (WebhookReceiver webhook = WebhookReceiver.start()) {
            AtomicBoolean webhookDown = new AtomicBoolean();
            List<WebhookReceiver.Call> accepted = new CopyOnWriteArrayList<>();
            webhook.answerWith(call -> {
                if (webhookDown.get()) {
                    return 503;
                }
                accepted.add(call);
                return 200;
            });
            // enough attempts to outlast the webhook's outage in the faults
            Map<String, String> settings = Map.of("redis.addrs", redisAddrs, "redis.timeout", "1", "redis.node_heartbeat", "1",
                    "callback.url", webhook.url("/"), "callback.max_attempts", "20", "sse.device_frame_cache_size", "5000");
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings);
                 TestNode d = TestNode.start(settings);
                 NodeProcess c = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redisAddrs,
                         "SSE_BROKER_REDIS_TIMEOUT", "1", "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1",
                         "SSE_BROKER_CALLBACK_URL", webhook.url("/"), "SSE_BROKER_CALLBACK_MAX_ATTEMPTS", "20",
                         "SSE_BROKER_SSE_DEVICE_FRAME_CACHE_SIZE", "5000"))) {
                Endpoint nodeC = new Endpoint("C", c.port());
                Endpoint nodeD = new Endpoint("D", d.port());
                List<Endpoint> endpoints = List.of(new Endpoint("A", a.port()), new Endpoint("B", b.port()), nodeC, nodeD);
                List<ReconnectingDevice> devices = new ArrayList<>();
                for (int u = 0; u < USERS; u++) {
                    for (int k = 0; k < DEVICES_PER_USER; k++) {
                        String uid = "sf-u" + u;
                        String device = uid + "-d" + k;
                        devices.add(new ReconnectingDevice(uid, device, a.api().token(uid, device), endpoints,
                                devices.size() % endpoints.size()));
                    }
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> devices.stream().allMatch(ReconnectingDevice::connected));

                List<Api> publishers = List.of(a.api(), b.api());
                Map<String, SteadySends> toUsers = new HashMap<>();
                for (int u = 0; u < USERS; u++) {
                    toUsers.put("sf-u" + u, new SteadySends(publishers, Map.of("uid", "sf-u" + u), 40));
                }
                SteadySends broadcasts = new SteadySends(publishers, Map.of("event", BROADCAST_EVENT), 100);
                try {
                    faults.run(new Nodes(c, nodeC, d, nodeD, webhookDown));
                } finally {
                    for (SteadySends sends : toUsers.values()) {
                        sends.stop();
                    }
                    broadcasts.stop();
                }
                List<String> problems = new ArrayList<>();
                for (ReconnectingDevice device : devices) {
                    check(device.id + "'s messages", device.messages, toUsers.get(device.uid).acknowledged(), device, problems);
                    check(device.id + "'s broadcasts", device.broadcasts, broadcasts.acknowledged(), device, problems);
                }
                for (ReconnectingDevice device : devices) {
                    try {
                        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
                                a.api().get("/info", Map.of("device", device.id)).result().path("online").asBoolean());
                    } catch (ConditionTimeoutException e) {
                        problems.add(device.id + " connected but not online: " + a.api().get("/info", Map.of("device", device.id))
                                .result() + "; history " + device.history);
                    }
                }
                devices.forEach(ReconnectingDevice::stop);
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                        assertThat(a.api().get("/info", Map.of()).result().path("user_count").asInt()).as("users online").isZero());
                if (checkCallbacks) {
                    webhook.within(Duration.ofSeconds(3)); // the last posts
                    checkCallbacks(accepted, problems);
                }
                assertThat(problems).isEmpty();
            }
        }
    }

    /**
     * Waits for the device to get the last acknowledged message, then checks what it got: each acknowledged message
     * from the first it got on, once, in order. A send answered 503 may still have been carried out (a command that
     * timed out), so messages that were not acknowledged may come too, and in any place.
     */
    private static void check(String what, List<Integer> received, List<Integer> acknowledged, ReconnectingDevice device,
                              List<String> problems) {
        int last = acknowledged.get(acknowledged.size() - 1);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> received.contains(last));
        } catch (ConditionTimeoutException e) {
            problems.add(what + ": never got " + last + "; history " + device.history);
            return;
        }
        List<Integer> got = List.copyOf(received);
        Set<Integer> unique = new TreeSet<>(got);
        if (unique.size() != got.size()) {
            problems.add(what + ": some twice " + got);
        }
        Set<Integer> acked = new HashSet<>(acknowledged);
        List<Integer> gotAcked = got.stream().filter(acked::contains).toList();
        if (!gotAcked.equals(gotAcked.stream().sorted().toList())) {
            problems.add(what + ": out of order " + gotAcked);
        }
        List<Integer> missing = acknowledged.stream().filter(seq -> seq >= got.get(0) && !unique.contains(seq)).toList();
        if (!missing.isEmpty() && device.resets.isEmpty()) {
            problems.add(what + ": missing " + missing + " without a reset; history " + device.history);
        }
    }

    /**
     * Every user's and device's posts pair up (online, offline), counted once per delivery id as a receiver does: a
     * node killed after it posted a change and before it recorded it posted has it posted again by the survivor, under
     * the same id, and a post under an id must be of the same change each time.
     */
    private static void checkCallbacks(List<WebhookReceiver.Call> posts, List<String> problems) {
        Map<String, List<WebhookReceiver.Call>> byDelivery = posts.stream().collect(Collectors.groupingBy(
                call -> call.header("X-SSE-Delivery"), java.util.LinkedHashMap::new, Collectors.toList()));
        byDelivery.forEach((id, same) -> {
            if (same.stream().map(WebhookReceiver.Call::summary).distinct().count() > 1) {
                problems.add("delivery " + id + " posted for different changes: "
                        + same.stream().map(WebhookReceiver.Call::summary).toList());
            }
        });
        List<WebhookReceiver.Call> calls = byDelivery.values().stream().map(same -> same.get(0)).toList();
        Map<String, List<String>> byTarget = calls.stream().collect(Collectors.groupingBy(
                call -> call.event().startsWith("user") ? "user " + call.uid() : "device " + call.device(),
                Collectors.mapping(WebhookReceiver.Call::event, Collectors.toList())));
        assertThat(byTarget).as("users and devices posted").hasSize(USERS + USERS * DEVICES_PER_USER);
        byTarget.forEach((target, events) -> {
            Map<Boolean, Long> onlineOrNot = events.stream()
                    .collect(Collectors.partitioningBy(event -> event.endsWith("online"), Collectors.counting()));
            if (!onlineOrNot.get(true).equals(onlineOrNot.get(false))) {
                problems.add(target + ": online and offline posts do not pair up: " + events);
            }
        });
    }

    private static void moveSlot(RedisServers redis, String hashTag) {
        int slot = redis.slotOf(hashTag);
        RedisServers.Server owner = redis.ownerOf(slot);
        redis.migrateSlot(slot, redis.servers().stream().filter(s -> s != owner && isMaster(s)).findFirst().orElseThrow());
    }

    private static boolean isMaster(RedisServers.Server server) {
        return server.cli("ROLE").startsWith("master"); // a killed server answers with an error
    }

    /** A broker node the devices may connect to, unless it is known to be frozen or gone. */
    private static final class Endpoint {
        final String name;
        final int port;
        volatile boolean down;

        Endpoint(String name, int port) {
            this.name = name;
            this.port = port;
        }
    }

    /**
     * A device as a browser's {@code EventSource} runs it: it reconnects with the last id it saw whenever its stream
     * ends, and here also every few seconds of its own accord, each time to a node picked at random.
     */
    private static final class ReconnectingDevice implements Runnable {
        final String uid;
        final String id;
        final List<Integer> messages = new CopyOnWriteArrayList<>();
        final List<Integer> broadcasts = new CopyOnWriteArrayList<>();
        final List<String> resets = new CopyOnWriteArrayList<>();
        /** Where it connected and what it got there, for a failure's message. */
        final List<String> history = new CopyOnWriteArrayList<>();
        private final String token;
        private final List<Endpoint> endpoints;
        private final Thread thread;
        private volatile boolean stopped;
        private volatile boolean connected;
        private volatile SseClient client;
        private String lastEventId;
        /** The node of the next connection: at first the device's own, then one picked at random. */
        private int next;

        ReconnectingDevice(String uid, String id, String token, List<Endpoint> endpoints, int first) {
            this.uid = uid;
            this.id = id;
            this.token = token;
            this.endpoints = endpoints;
            this.next = first;
            this.thread = new Thread(this, "device-" + id);
            thread.start();
        }

        boolean connected() {
            return connected;
        }

        @Override
        public void run() {
            while (!stopped) {
                Endpoint endpoint = endpoints.get(next);
                next = ThreadLocalRandom.current().nextInt(endpoints.size());
                if (!endpoint.down) {
                    readFor(endpoint, ThreadLocalRandom.current().nextLong(1_500, 5_000));
                }
            }
        }

        /** One connection to the node, read until it ends or for {@code millis}. */
        private void readFor(Endpoint endpoint, long millis) {
            Map<String, String> headers = new HashMap<>(Map.of("X-SSE-TOKEN", token));
            if (lastEventId != null) {
                headers.put("Last-Event-ID", lastEventId);
            }
            SseClient stream;
            try {
                stream = SseClient.open("127.0.0.1", endpoint.port, "/events?device=" + id, headers);
            } catch (RuntimeException refused) {
                history.add(endpoint.name + ": no connection");
                pause(200);
                return;
            }
            client = stream;
            List<String> got = new ArrayList<>();
            long end = System.nanoTime() + millis * 1_000_000;
            try {
                while (!stopped && System.nanoTime() < end) {
                    SseClient.Event event;
                    try {
                        event = stream.next(Duration.ofMillis(500));
                    } catch (AssertionError quiet) {
                        continue; // nothing within the half-second
                    }
                    if (event == null) {
                        got.add("end");
                        pause(300);
                        return;
                    }
                    if (!stream.lastEventId().isEmpty()) {
                        lastEventId = stream.lastEventId(); // a browser keeps the last id across connections
                    }
                    record(event, got);
                }
            } finally {
                stream.close();
                history.add(endpoint.name + " " + stream.status() + ": " + summary(got));
            }
        }

        private void record(SseClient.Event event, List<String> got) {
            switch (event.event()) {
                case "sys_connected" -> connected = true;
                case "sys_reset" -> resets.add(event.data());
                case "message" -> messages.add(Integer.parseInt(event.data()));
                case BROADCAST_EVENT -> broadcasts.add(Integer.parseInt(event.data()));
                default -> {
                    // another system event (sys_unavailable, sys_extrude_offline, ...): the stream ends next
                }
            }
            got.add(event.event().equals("message") ? event.data() : event.event());
        }

        /** The events of one connection, runs of messages shortened to their first and last. */
        private static String summary(List<String> got) {
            List<String> out = new ArrayList<>();
            Function<String, Boolean> isNumber = text -> text.chars().allMatch(Character::isDigit);
            for (int i = 0; i < got.size(); i++) {
                int j = i;
                while (j + 1 < got.size() && isNumber.apply(got.get(i)) && isNumber.apply(got.get(j + 1))) {
                    j++;
                }
                out.add(j > i ? got.get(i) + ".." + got.get(j) : got.get(i));
                i = j;
            }
            return String.join(" ", out);
        }

        void stop() {
            stopped = true;
            SseClient open = client;
            if (open != null) {
                open.close();
            }
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static void pause(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
