package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.ssebroker.testing.Http2Frames;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 rapid reset (CVE-2023-44487): a client that opens streams and cancels them at once, thousands of times,
 * makes the server start work it never finishes. The connection is closed (GOAWAY) after a bounded number of
 * resets, and a neighbour's stream is served meanwhile.
 */
class Http2RapidResetTest {

    /** The frames of an h2c client: preface, SETTINGS, then HEADERS and RST_STREAM for each stream, as bytes. */
    private static byte[] rapidResets(int streams) {
        Http2Headers headers = new DefaultHttp2Headers().method("GET").scheme("http").authority("x").path("/healthz");
        return Http2Frames.clientOpening((writer, ctx) -> {
            for (int i = 0; i < streams; i++) {
                int stream = 1 + 2 * i;
                writer.writeHeaders(ctx, stream, headers, 0, true, ctx.newPromise());
                writer.writeRstStream(ctx, stream, Http2Error.CANCEL.code(), ctx.newPromise());
            }
        });
    }

    /** Writes the frames and reads until the server closes the connection (true) or is quiet for two seconds. */
    private static boolean closedByServer(int port, byte[] frames) throws Exception {
        try (Socket client = new Socket("127.0.0.1", port)) {
            client.setSoTimeout(2000);
            OutputStream out = client.getOutputStream();
            for (int offset = 0; offset < frames.length; offset += 4096) {
                out.write(frames, offset, Math.min(4096, frames.length - offset));
            }
            out.flush();
            InputStream in = client.getInputStream();
            byte[] buffer = new byte[65536];
            while (in.read(buffer) >= 0) {
                // the server's SETTINGS and answers, then, for an attacker, GOAWAY
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (java.io.IOException reset) {
            return true; // closed while the client was still writing
        }
    }

    @Test
    void aClientThatResetsEveryStreamIsCutOffAndNeighboursAreServed() throws Exception {
        try (TestNode node = TestNode.start(); SseClient neighbour = node.connect("alice", "phone")) {
            assertThat(neighbour.next().event()).isEqualTo("sys_connected");
            assertThat(closedByServer(node.port(), rapidResets(50))).as("a few cancelled requests are normal").isFalse();
            assertThat(closedByServer(node.port(), rapidResets(5000)))
                    .as("the connection is closed after a bounded number of resets").isTrue();
            node.api().send(Map.of("uid", "alice", "data", "served"));
            assertThat(neighbour.nextOfType("message").data()).isEqualTo("served");
        }
    }
}
