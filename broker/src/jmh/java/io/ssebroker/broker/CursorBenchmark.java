package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cursors: parsed on every (re)connect that carries a Last-Event-ID, written into every frame's id line (and
 * formatted as text for /info).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CursorBenchmark {
    private final byte[] prefix = Cursor.prefix("1vr7bhydwu", "user-1965", "1icgapg79b9kt");
    private final String valid = Cursor.format(prefix, 1234, 987654);
    private final String foreign = "1795597817:0";
    private final ByteBuf frame = Unpooled.directBuffer(128);
    private long offset = 1_000_000;

    @Benchmark
    public Optional<Cursor> parseValid() {
        return Cursor.parse(valid);
    }

    @Benchmark
    public Optional<Cursor> parseForeign() {
        return Cursor.parse(foreign);
    }

    @Benchmark
    public String format() {
        return Cursor.format(prefix, 1234, ++offset);
    }

    @Benchmark
    public int write() {
        frame.clear();
        Cursor.write(frame, prefix, 1234, ++offset);
        return frame.writerIndex();
    }
}
