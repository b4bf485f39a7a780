package io.ssebroker.engine.memory;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineContractTest;
import io.ssebroker.engine.StateChangeListener;

class MemoryEngineContractTest extends EngineContractTest {
    @Override
    protected Engine newEngine(BrokerConfig config, StateChangeListener stateChanges) {
        return new MemoryEngine(config, NODE, "test", stateChanges);
    }
}
