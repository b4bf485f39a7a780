package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.testing.RedisServers;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The presence scripts tell which connection a device's entry belongs to by the nonce in it: a registration sent again
 * finds its own entry, and a late removal of an older connection leaves the newer one alone. Names that carry the text
 * of another connection's nonce do not fool them, and nonces of any characters (the node's are base 36) are told
 * apart too. A registration run again after a newer connection replaced it (a command re-sent by a Redis Cluster
 * connection after a reconnect) leaves the newer one alone.
 */
class PresenceEntryOwnerTest {

    @ParameterizedTest(name = "nonces {0} then {1}")
    @CsvSource(delimiter = '|', value = {"k1old|k2new", "n-1 \"old\"|n-2 \\new"})
    void anEntryIsTheNewestConnectionsWhateverItsNamesCarry(String olderNonce, String newerNonce) {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisEngine engine = TestEngines.started(redis, "127.0.0.1:7001")) {
            // Both names hold what the older connection's entry holds as text: found as text, they would pass
            // the newer entry off as the older connection's.
            String lookalike = "\",\"nonce\":\"" + olderNonce + "\"";
            String uid = "u-" + UUID.randomUUID() + lookalike;
            String device = "d" + lookalike;
            DeviceSession older = session(uid, device, olderNonce);
            DeviceSession newer = session(uid, device, newerNonce);

            Registration first = engine.register(older, 4, System.currentTimeMillis()).join();
            assertThat(first.accepted()).isTrue();
            Registration again = engine.register(older, 4, System.currentTimeMillis()).join();
            assertThat(again.accepted()).as("sent again: the same connection").isTrue();
            assertThat(again.replaced()).as("sent again: nobody extruded").isNull();

            Registration replacing = engine.register(newer, 4, System.currentTimeMillis()).join();
            assertThat(replacing.replaced()).extracting(DeviceSession::nonce).isEqualTo(olderNonce);

            assertThat(engine.unregister(older, StateChange.DEVICE_DISCONNECT).join())
                    .as("a late removal of the older connection").isFalse();
            assertThat(engine.device(device).join()).as("the newer connection is still online")
                    .map(DeviceSession::nonce).contains(newerNonce);
            assertThat(engine.unregister(newer, StateChange.DEVICE_DISCONNECT).join()).isTrue();
            assertThat(engine.device(device).join()).isEmpty();
        }
    }

    /**
     * A registration re-sent after its answer was lost answers where the user's stream stood at its first run, not
     * where it stands at the re-run: a message sent to the user in between (a greeting on the device's online, a send
     * from another node) is after the connection's start, and only a replay from that start finds it, as the
     * connection was not yet there to receive it live.
     */
    @Test
    void aRegistrationRunAgainAnswersTheStartOfItsFirstRun() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisEngine engine = TestEngines.started(redis, "127.0.0.1:7001")) {
            String uid = "u-" + UUID.randomUUID();
            engine.publish(new Publication(null, "before", Set.of(uid), Set.of())).join();
            DeviceSession session = session(uid, "d-start", "k-start");
            Registration first = engine.register(session, 4, System.currentTimeMillis()).join();
            engine.publish(new Publication(null, "in between", Set.of(uid), Set.of())).join();
            Registration again = engine.register(session, 4, System.currentTimeMillis()).join();
            assertThat(again.accepted()).isTrue();
            assertThat(again.start().userOffset()).isEqualTo(first.start().userOffset());
            assertThat(engine.replay(uid, "d-start", Optional.of(again.start())).join().messages())
                    .extracting(StreamMessage::data).containsExactly("in between");
            assertThat(engine.device("d-start").join()).as("the entry reads as before")
                    .map(DeviceSession::nonce).contains("k-start");
        }
    }

    /**
     * A Redis Cluster connection re-sends the commands it wrote but had no answer to when it dropped: a registration
     * carried out then runs again after the reconnect, by which time a newer connection of the device, on another node,
     * may have replaced it. The newer connection stays online and is not ended; the older one is told it has ended, and
     * the connection that the older one replaced at its first run (whose answer was lost) is handed on to be ended
     * again. (On a standalone Redis the connection fails such commands instead; the script answers the same there.)
     */
    @ParameterizedTest(name = "Redis Cluster: {0}")
    @ValueSource(booleans = {true, false})
    void aRegistrationRunAgainAfterANewerConnectionReplacedItLeavesTheNewerOne(boolean cluster) {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = cluster ? RedisServers.cluster() : RedisServers.standalone()) {
            BrokerConfig config = TestEngines.config(redis);
            RedisEngine first = new RedisEngine(config, "127.0.0.1:7001", "test", StateChangeListener.NONE);
            RedisEngine second = new RedisEngine(config, "127.0.0.1:7002", "test", StateChangeListener.NONE);
            try {
                List<String> extrudedByFirst = new CopyOnWriteArrayList<>();
                first.start(new IgnoringEngineListener() {
                    @Override
                    public void extrude(DeviceSession session, String byClientAddress) {
                        extrudedByFirst.add(session.nonce());
                    }
                });
                second.start(new IgnoringEngineListener());
                String uid = "u-" + UUID.randomUUID();
                DeviceSession oldest = new DeviceSession(uid, "d-phone", "k0oldest", "127.0.0.1:7001", "127.0.0.1:5554",
                        System.currentTimeMillis());
                DeviceSession older = new DeviceSession(uid, "d-phone", "k1older", "127.0.0.1:7001", "127.0.0.1:5555",
                        System.currentTimeMillis());
                DeviceSession newer = new DeviceSession(uid, "d-phone", "k2newer", "127.0.0.1:7002", "127.0.0.1:5556",
                        System.currentTimeMillis());
                assertThat(first.register(oldest, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                assertThat(first.register(older, 4, System.currentTimeMillis()).join().replaced())
                        .extracting(DeviceSession::nonce).isEqualTo(oldest.nonce());
                assertThat(extrudedByFirst).containsExactly(oldest.nonce());
                assertThat(second.register(newer, 4, System.currentTimeMillis()).join().replaced())
                        .extracting(DeviceSession::nonce).isEqualTo(older.nonce());

                Registration again = first.register(older, 4, System.currentTimeMillis()).join();
                assertThat(again.outcome()).as("run again after it was replaced").isEqualTo(Registration.Outcome.ENDED);
                assertThat(again.replaced()).isNull();
                assertThat(extrudedByFirst).as("the connection its first run replaced, ended again")
                        .filteredOn(oldest.nonce()::equals).hasSize(2);
                for (RedisServers.Server server : redis.servers()) {
                    for (String index : server.cli("KEYS", "sse:{n:*}:d").trim().split("\n")) {
                        assertThat(index.isBlank() ? "" : server.cli("HKEYS", index)).as("the node's index of its sessions")
                                .doesNotContain(older.nonce());
                    }
                }
                assertThat(second.device("d-phone").join()).as("the newer connection is still the device's")
                        .map(DeviceSession::nonce).contains(newer.nonce());
                assertThat(second.isEnded(uid, newer.nonce()).join()).as("the newer connection is not ended").isFalse();
                assertThat(first.isEnded(uid, older.nonce()).join()).isTrue();
                assertThat(second.userDevices(uid).join()).extracting(DeviceSession::nonce).containsExactly(newer.nonce());

                assertThat(first.unregister(older, StateChange.DEVICE_DISCONNECT).join()).isFalse();
                assertThat(second.device("d-phone").join()).map(DeviceSession::nonce).contains(newer.nonce());
                assertThat(second.register(newer, 4, System.currentTimeMillis()).join().replaced())
                        .as("the newer one run again: the same answer as the first time")
                        .extracting(DeviceSession::nonce).isEqualTo(older.nonce());
            } finally {
                first.close();
                second.close();
            }
        }
    }

    private static DeviceSession session(String uid, String device, String nonce) {
        return new DeviceSession(uid, device, nonce, "127.0.0.1:7001", "127.0.0.1:5555", System.currentTimeMillis());
    }
}
