package io.ssebroker.engine.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineContractTest;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The engine contract against a real standalone redis-server. */
class RedisEngineContractTest extends EngineContractTest {
    private static RedisServers redis;

    @BeforeAll
    static void startRedis() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected Map<String, String> engineSettings() {
        return Map.of("redis.addrs", redis.first().address());
    }

    @Override
    protected Engine newEngine(BrokerConfig config, StateChangeListener stateChanges) {
        return new RedisEngine(config, NODE, "test", stateChanges);
    }
}
