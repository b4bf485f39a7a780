package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The scan of a request head before the HTTP codec (end of the head, obsolete line folding), on every request a node
 * reads: a stream's connect with its token header, and a publication. Each invocation scans one head on a
 * connection of its own (created outside the measured time), as a connect storm does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestHeadScanBenchmark {
    /** A stream's connect as browsers send it, with a token of the usual size in its header. */
    private static final ByteBuf CONNECT = head("GET /events?device=d1965 HTTP/1.1\r\n"
            + "Host: push.example.com\r\n"
            + "Accept: text/event-stream\r\n"
            + "Cache-Control: no-cache\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\n"
            + "X-SSE-TOKEN: " + "eyJhbGciOiJIUzI1NiJ9." + "x".repeat(260) + "." + "y".repeat(43) + "\r\n"
            + "\r\n");
    /** A publication from a backend. */
    private static final ByteBuf PUBLISH = head("POST /send?event=message&uid=u1965 HTTP/1.1\r\n"
            + "Host: 127.0.0.1:8080\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: 40\r\n"
            + "\r\n");

    private EmbeddedChannel channel;

    private static ByteBuf head(String text) {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII)));
    }

    @Setup(Level.Invocation)
    public void connection() {
        channel = new EmbeddedChannel();
        RequestTimeouts timeouts = new RequestTimeouts(channel, 10, 10, 10, null);
        channel.pipeline().addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes());
    }

    @TearDown(Level.Invocation)
    public void closeConnection() {
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public Object connect() {
        return scan(CONNECT);
    }

    @Benchmark
    public Object publish() {
        return scan(PUBLISH);
    }

    private Object scan(ByteBuf head) {
        channel.pipeline().fireChannelRead(head.duplicate());
        return channel.inboundMessages().poll();
    }
}
