package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.engine.memory.MemoryEngine;
import io.ssebroker.testing.Outbound;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failover lost messages a live connection got (the engine then says {@code history_lost} for that stream) and
 * the stream holds others instead, older than the last one written: after the reset they are written, once; before
 * it, a message no newer than the last one written is a copy and is not.
 */
class StreamHistoryChangeTest {
    private final BrokerConfig config = new ConfigLoader(Map.of())
            .load(Optional.empty(), Map.of("jwt.secret", "stream-history-change-secret-of-32-bytes")).config();
    private final MemoryEngine engine = new MemoryEngine(config, "node:1", "test", StateChangeListener.NONE);
    private final Broker broker = new Broker(engine, config, "node:1");
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        engine.close();
    }

    @Test
    void afterTheResetTheMessagesThatReplacedTheLostOnesAreWrittenEvenIfOlder() {
        broker.start();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"), TestOpeners.on(channel));
        channel.runPendingTasks();
        broker.deliver(message(1_000, "ten"));
        broker.deliver(message(1_200, "twelve, lost by the failover"));
        broker.deliver(message(1_100, "a copy"));
        broker.streamReset("u", Replay.HISTORY_LOST);
        broker.deliver(message(1_100, "eleven"));
        broker.deliver(message(1_300, "thirteen"));
        broker.deliver(message(1_300, "a copy"));
        broker.streamReset(null, Replay.HISTORY_LOST); // the broadcast stream's history: the user's is not rewound
        broker.deliver(message(1_250, "a copy"));
        channel.runPendingTasks();

        String written = Outbound.text(channel);
        assertThat(written).doesNotContain("a copy");
        assertThat(written.indexOf("data: ten\n")).isPositive()
                .isLessThan(written.indexOf("data: twelve, lost by the failover\n"));
        assertThat(written.indexOf("data: twelve, lost by the failover\n"))
                .isLessThan(written.indexOf("event: sys_reset\ndata: history_lost\n"));
        assertThat(written.indexOf("event: sys_reset\ndata: history_lost\n")).isLessThan(written.indexOf("data: eleven\n"));
        assertThat(written.indexOf("data: eleven\n")).isLessThan(written.indexOf("data: thirteen\n"));
    }

    private static StreamMessage message(long offset, String data) {
        return new StreamMessage("u", offset, null, data, Set.of(), 0);
    }
}
