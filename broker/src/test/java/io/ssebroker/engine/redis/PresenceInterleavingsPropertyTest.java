package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random interleavings of connects, disconnects and node kills on three nodes of one Redis: however they come,
 * every user's and device's presence changes alternate online, offline (once each in the cluster), and once the
 * dust settles nobody is online.
 */
class PresenceInterleavingsPropertyTest {
    private static final int NODES = 3;
    private static RedisServers redis;

    /** One step: connect or disconnect a device of a user on a node, or kill a node (it stops without a goodbye). */
    record Step(String kind, int node, int user, int device) {
    }

    @BeforeContainer
    static void startRedis() {
        if (RedisServers.available()) {
            redis = RedisServers.standalone();
        }
    }

    @AfterContainer
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Property(tries = 12)
    void presenceChangesAlternatePerUserAndDevice(@ForAll("steps") List<Step> steps) {
        assumeTrue(redis != null, "redis-server is not installed");
        String run = UUID.randomUUID().toString().substring(0, 6);
        Map<String, List<String>> changes = new ConcurrentHashMap<>();
        RedisEngine[] nodes = new RedisEngine[NODES];
        Map<String, DeviceSession> connected = new HashMap<>(); // "node/uid/device" -> session
        try {
            for (int i = 0; i < NODES; i++) {
                nodes[i] = start(i, changes);
            }
            for (Step step : steps) {
                String uid = "pu-" + run + "-" + step.user();
                String device = uid + "-d" + step.device();
                String key = step.node() + "/" + device;
                switch (step.kind()) {
                    case "connect" -> {
                        DeviceSession session = new DeviceSession(uid, device, UUID.randomUUID().toString(),
                                "node-" + step.node(), "127.0.0.1:1", System.currentTimeMillis());
                        if (nodes[step.node()].register(session, 100, System.currentTimeMillis()).join().accepted()) {
                            connected.put(key, session);
                        }
                    }
                    case "disconnect" -> {
                        DeviceSession session = connected.remove(key);
                        if (session != null) {
                            nodes[step.node()].unregister(session, StateChange.DEVICE_DISCONNECT).join();
                        }
                    }
                    default -> { // kill: the node stops beating with its devices still recorded; a new one takes its place
                        nodes[step.node()].close();
                        connected.keySet().removeIf(k -> k.startsWith(step.node() + "/"));
                        nodes[step.node()] = start(step.node(), changes);
                    }
                }
            }
            connected.forEach((key, session) ->
                    nodes[Integer.parseInt(key.substring(0, key.indexOf('/')))].unregister(session, StateChange.DEVICE_DISCONNECT).join());
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                for (int user = 0; user < 2; user++) {
                    assertThat(nodes[0].userDevices("pu-" + run + "-" + user).join()).isEmpty();
                }
                changes.forEach(PresenceInterleavingsPropertyTest::alternates);
            });
        } finally {
            for (RedisEngine node : nodes) {
                if (node != null) {
                    node.close();
                }
            }
        }
    }

    private static void alternates(String target, List<String> kinds) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            expected.add(i % 2 == 0 ? "online" : "offline");
        }
        assertThat(kinds).as(target).containsExactlyElementsOf(expected).last().isEqualTo("offline");
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<String> kind = Arbitraries.of("connect", "connect", "disconnect", "disconnect", "kill");
        Arbitrary<Step> step = Combinators.combine(kind, Arbitraries.integers().between(0, NODES - 1),
                Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, 2)).as(Step::new);
        return step.list().ofMinSize(4).ofMaxSize(24);
    }

    private static RedisEngine start(int index, Map<String, List<String>> changes) {
        BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of("redis.addrs", redis.first().address(),
                "redis.node_heartbeat", "1", "jwt.secret", "property-test-secret-of-32-bytes-or-more")).config();
        RedisEngine engine = new RedisEngine(config, "node-" + index, "test", change -> {
            boolean user = change.kind() == StateChange.Kind.USER_ONLINE || change.kind() == StateChange.Kind.USER_OFFLINE;
            String target = user ? "user " + change.uid() : "device " + change.device();
            boolean online = change.kind() == StateChange.Kind.USER_ONLINE || change.kind() == StateChange.Kind.DEVICE_ONLINE;
            changes.computeIfAbsent(target, k -> new CopyOnWriteArrayList<>()).add(online ? "online" : "offline");
        });
        engine.start(new IgnoringEngineListener());
        return engine;
    }
}
