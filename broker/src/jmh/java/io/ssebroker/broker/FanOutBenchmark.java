package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.SseFrames;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One broadcast to the live connections of one event loop, as {@code Broker} hands it over: encode the body once,
 * count it as queued, hand it to the loop, which writes and flushes every connection's frame in a pass (here in one
 * slice: the slices' yielding is left out). The connections are Netty {@link EmbeddedChannel}s, so what is measured
 * is the broker's and Netty's Java work per delivery; releasing what each channel received stands in for the socket
 * write (which the end-to-end bench measures).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch"})
public class FanOutBenchmark {
    @Param("10000")
    public int connections;

    @Param({"32", "512"})
    public int dataBytes;

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private EmbeddedChannel loopOwner;
    private LoopConnections loop;
    private String data;
    private long offset;
    private int delivered;

    @Setup
    public void setUp() {
        data = "x".repeat(dataBytes);
        loopOwner = new EmbeddedChannel();
        loop = new LoopConnections(loopOwner.eventLoop(), TimeUnit.SECONDS.toMillis(30), TimeUnit.MINUTES.toNanos(1),
                count -> delivered += count, () -> { });
        Replay nothingToReplay = new Replay(new Position("bench", 0, 0), List.of(), null);
        for (int i = 0; i < connections; i++) {
            EmbeddedChannel channel = new EmbeddedChannel();
            LocalConnection connection = new LocalConnection(new DeviceSession("u" + i, "d" + i, "nonce" + i,
                    "127.0.0.1:8080", "127.0.0.1:" + (10_000 + i), 0), new SseStream(channel, SseFraming.RAW), 0, 0, null);
            connection.start(3000, nothingToReplay, null);
            channel.releaseOutbound();
            loop.add(connection);
            channels.add(channel);
        }
    }

    @TearDown
    public void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        loopOwner.finishAndReleaseAll();
    }

    @Benchmark
    public int broadcast() {
        StreamMessage message = new StreamMessage(null, ++offset, null, data, Set.of(), 0);
        ByteBuf body = SseFrames.body(PooledByteBufAllocator.DEFAULT, null, data);
        delivered = 0;
        loop.broadcastQueued();
        loop.broadcast(message, body); // the loop releases the body once written
        for (int i = 0; i < channels.size(); i++) {
            channels.get(i).releaseOutbound();
        }
        return delivered;
    }
}
