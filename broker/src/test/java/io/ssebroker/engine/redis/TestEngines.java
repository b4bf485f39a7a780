package io.ssebroker.engine.redis;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import java.util.Optional;

/** A node's configuration and engines for test Redis servers, for tests that make Redis engines of their own. */
final class TestEngines {
    private TestEngines() {
    }

    /** The built-in defaults with the servers' addresses (and a secret, which a configuration needs). */
    static BrokerConfig config(RedisServers redis) {
        return new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                "redis.addrs", String.join(",", redis.addresses()),
                "jwt.secret", "test-engines-secret-of-32-bytes-or-more")).config();
    }

    /** A Redis engine on the servers, started as the node at {@code nodeAddress}, with listeners that ignore all. */
    static RedisEngine started(RedisServers redis, String nodeAddress) {
        RedisEngine engine = new RedisEngine(config(redis), nodeAddress, "test", StateChangeListener.NONE);
        engine.start(new IgnoringEngineListener());
        return engine;
    }
}
