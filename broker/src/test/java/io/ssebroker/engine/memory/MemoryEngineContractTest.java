package io.ssebroker.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineContractTest;
import io.ssebroker.engine.StateChangeListener;
import org.junit.jupiter.api.AfterEach;

/**
 * The contract on the memory engine, whose retained messages live in buffers of a counting allocator here: once the
 * engine is closed, every byte it held is given back, whatever the test retained, trimmed or replayed.
 */
class MemoryEngineContractTest extends EngineContractTest {
    private final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true);

    @Override
    protected Engine newEngine(BrokerConfig config, StateChangeListener stateChanges) {
        return new MemoryEngine(config, NODE, "test", stateChanges, allocator);
    }

    @AfterEach
    @Override
    protected void stopEngine() {
        super.stopEngine();
        assertThat(allocator.metric().usedDirectMemory()).isZero();
    }
}
