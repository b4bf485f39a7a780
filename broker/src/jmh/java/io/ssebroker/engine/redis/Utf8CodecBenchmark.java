package io.ssebroker.engine.redis;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The arguments of a registration's script as Lettuce writes them into the command's buffer: each one sized, then
 * written. A registration on a single Redis carries ten keys and twelve values, the session's JSON the longest.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Utf8CodecBenchmark {
    private static final String[] KEYS = {"sse:{u:user-1234}:p", "sse:{u:user-1234}:m", "sse:{u:user-1234}:x",
        "sse:{u:user-1234}:h", "sse:{u:user-1234}:r:1vld5lfc2pr4f", "sse:users", "sse:{n:127.0.0.1:8080~1tutf8bf8wctw}:d",
        "sse:kick:u:user-1234", "sse:kick:d:dev-1234", "sse:{d:dev-1234}:o"};
    private static final String[] VALUES = {"dev-1234",
        "{\"nodeId\":\"127.0.0.1:8080~1tutf8bf8wctw\",\"uid\":\"user-1234\",\"device\":\"dev-1234\",\"nonce\":"
            + "\"1vld5lfc2pr4f\",\"node\":\"127.0.0.1:8080\",\"client\":\"127.0.0.1:36960\",\"login\":1796289660127}",
        "32", "1vld5lfc2pr4f", "1796289660131",
        "{\"uid\":\"user-1234\",\"device\":\"dev-1234\",\"trigger_time\":\"2026-12-03 09:21:00\",\"reason\":\"",
        "\",\"node\":\"127.0.0.1:8080\"}}", "1", "0", "user-1234", "1796289659729", "86460000"};

    private ByteBuf target;

    @Setup
    public void buffer() {
        target = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
    }

    @TearDown
    public void release() {
        target.release();
    }

    @Benchmark
    public int registrationArguments() {
        target.clear();
        int size = 0;
        for (String key : KEYS) {
            size += Utf8Codec.INSTANCE.estimateSize(key);
            Utf8Codec.INSTANCE.encodeKey(key, target);
        }
        for (String value : VALUES) {
            size += Utf8Codec.INSTANCE.estimateSize(value);
            Utf8Codec.INSTANCE.encodeValue(value, target);
        }
        return size + target.writerIndex();
    }
}
