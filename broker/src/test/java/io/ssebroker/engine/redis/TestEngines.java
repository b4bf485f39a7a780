package io.ssebroker.engine.redis;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import java.util.Optional;

/** A node's configuration for test Redis servers, for tests that make Redis engines of their own. */
final class TestEngines {
    private TestEngines() {
    }

    /** The built-in defaults with the servers' addresses (and a secret, which a configuration needs). */
    static BrokerConfig config(RedisServers redis) {
        return new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                "redis.addrs", String.join(",", redis.addresses()),
                "jwt.secret", "test-engines-secret-of-32-bytes-or-more")).config();
    }
}
