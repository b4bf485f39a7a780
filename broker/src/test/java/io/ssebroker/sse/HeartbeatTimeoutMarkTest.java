package io.ssebroker.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which failures mark a connection as given up by the kernel: the errnos of an abort (ETIMEDOUT, EHOSTUNREACH,
 * ENETUNREACH), on a read (through the pipeline) or on a write with a promise (through the promise, as TLS and HTTP/2
 * learn of it); no other failure does. Without the kernel: the failures are made up by a handler where the socket is.
 * Netty's native exceptions need its native library, which the handler needs anyway (it is added with epoll alone).
 */
class HeartbeatTimeoutMarkTest {
    private static final int ETIMEDOUT = -110;
    private static final int EHOSTUNREACH = -113;
    private static final int ENETUNREACH = -101;
    private static final int EPIPE = -32;
    private static final int ECONNRESET = -104;

    @BeforeAll
    static void nativeLibraryLoaded() {
        assumeTrue(Epoll.isAvailable(), "Netty's epoll transport (Linux)");
    }

    @Test
    void aWriteWhosePromiseFailsWithAnAbortsErrnoMarksTheConnection() {
        for (int errno : new int[] {ETIMEDOUT, EHOSTUNREACH, ENETUNREACH}) {
            assertThat(markedByFailedWrite(new Errors.NativeIoException("writev", errno))).as("errno %d", errno).isTrue();
        }
    }

    @Test
    void otherWriteFailuresDoNotMarkIt() {
        assertThat(markedByFailedWrite(new Errors.NativeIoException("writev", EPIPE))).isFalse();
        assertThat(markedByFailedWrite(new Errors.NativeIoException("writev", ECONNRESET))).isFalse();
        assertThat(markedByFailedWrite(new ClosedChannelException())).isFalse();
        assertThat(markedByFailedWrite(new IOException("timed out, but not the kernel's"))).isFalse();
    }

    @Test
    void aFailedReadWithAnAbortsErrnoMarksTheConnection() {
        EmbeddedChannel connection = new EmbeddedChannel(HeartbeatTimeout.INSTANCE);
        connection.pipeline().fireExceptionCaught(new Errors.NativeIoException("read", ECONNRESET));
        assertThat(HeartbeatTimeout.timedOut(connection)).isFalse();
        connection.pipeline().fireExceptionCaught(new Errors.NativeIoException("read", ETIMEDOUT));
        assertThat(HeartbeatTimeout.timedOut(connection)).isTrue();
        connection.close();
    }

    @Test
    void anHttp2StreamFindsTheMarkOnItsConnection() {
        EmbeddedChannel connection = new EmbeddedChannel(HeartbeatTimeout.INSTANCE);
        EmbeddedChannel stream = new EmbeddedChannel(connection, DefaultChannelId.newInstance(), true, false);
        assertThat(HeartbeatTimeout.timedOut(stream)).isFalse();
        connection.pipeline().fireExceptionCaught(new Errors.NativeIoException("read", ETIMEDOUT));
        assertThat(HeartbeatTimeout.timedOut(stream)).isTrue();
        stream.close();
        connection.close();
    }

    @Test
    void aWriteWithoutAPromiseIsPassedOnUntouched() {
        EmbeddedChannel connection = new EmbeddedChannel(HeartbeatTimeout.INSTANCE, HeartbeatTimeout.PROMISED_WRITES);
        connection.writeOneOutbound("frame", connection.voidPromise());
        connection.flushOutbound();
        assertThat((String) connection.readOutbound()).isEqualTo("frame");
        assertThat(HeartbeatTimeout.timedOut(connection)).isFalse();
        connection.close();
    }

    /** Writes through the handlers to a "socket" that fails the write's promise with the cause. */
    private static boolean markedByFailedWrite(Throwable cause) {
        EmbeddedChannel connection = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                promise.setFailure(cause);
            }
        }, HeartbeatTimeout.INSTANCE, HeartbeatTimeout.PROMISED_WRITES);
        ChannelPromise written = connection.newPromise();
        connection.writeOneOutbound("frame", written);
        assertThat(written.cause()).isSameAs(cause);
        boolean marked = HeartbeatTimeout.timedOut(connection);
        connection.close();
        return marked;
    }
}
