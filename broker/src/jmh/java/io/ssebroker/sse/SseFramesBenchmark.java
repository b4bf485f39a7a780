package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
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
 * Frame encoding: the body encoded once per message; what each delivery writes, either one buffer (id line plus a
 * copy of the body, for small bodies) or the id line plus a retained duplicate of the shared body (large bodies);
 * and a whole frame as system events and replays use.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SseFramesBenchmark {
    private static final FrameId CURSOR = new TextId("1vr7bhydwu.1v7wsv.1icgapg79b9kt.0.4c");
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Characters of data: a short notification, a JSON document, one with several lines. */
    @Param({"32", "512", "multiline"})
    public String payload;

    private String data;
    private ByteBuf body;

    @Setup
    public void setUp() {
        data = payload.equals("multiline") ? "first line\nsecond line\r\nthird line\n" + "x".repeat(200)
                : "x".repeat(Integer.parseInt(payload));
        body = SseFrames.body(ALLOC, "news", data);
    }

    @TearDown
    public void tearDown() {
        body.release();
    }

    @Benchmark
    public int body() {
        ByteBuf encoded = SseFrames.body(ALLOC, "news", data);
        int length = encoded.readableBytes();
        encoded.release();
        return length;
    }

    @Benchmark
    public int frameForOneConnection() {
        ByteBuf frame = SseFrames.withId(ALLOC, CURSOR, body);
        int length = frame.readableBytes();
        frame.release();
        return length;
    }

    @Benchmark
    public int idLineAndSharedBody() {
        ByteBuf idLine = SseFrames.idLine(ALLOC, CURSOR);
        ByteBuf shared = body.retainedDuplicate();
        int length = idLine.readableBytes() + shared.readableBytes();
        idLine.release();
        shared.release();
        return length;
    }

    @Benchmark
    public int wholeFrame() {
        ByteBuf frame = SseFrames.frame(ALLOC, CURSOR, "news", data);
        int length = frame.readableBytes();
        frame.release();
        return length;
    }
}
