package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The presence scripts tell which connection a device's entry belongs to by the nonce in it: a registration sent again
 * finds its own entry, and a late removal of an older connection leaves the newer one alone. Names that carry the text
 * of another connection's nonce do not fool them, and nonces of any characters (the node's are base 36) are told
 * apart too.
 */
class PresenceEntryOwnerTest {

    @ParameterizedTest(name = "nonces {0} then {1}")
    @CsvSource(delimiter = '|', value = {"k1old|k2new", "n-1 \"old\"|n-2 \\new"})
    void anEntryIsTheNewestConnectionsWhateverItsNamesCarry(String olderNonce, String newerNonce) {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "redis.addrs", redis.first().address(),
                    "jwt.secret", "entry-owner-test-secret-of-32-bytes-or-more")).config();
            RedisEngine engine = new RedisEngine(config, "127.0.0.1:7001", "test", StateChangeListener.NONE);
            try {
                engine.start(new IgnoringEngineListener());
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
            } finally {
                engine.close();
            }
        }
    }

    private static DeviceSession session(String uid, String device, String nonce) {
        return new DeviceSession(uid, device, nonce, "127.0.0.1:7001", "127.0.0.1:5555", System.currentTimeMillis());
    }
}
