package io.ssebroker.cli;

import io.ssebroker.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The run a class-data archive is made from ({@code sse-broker class-archive}, in a JVM started with {@code
 * -XX:ArchiveClassesAtExit}): a memory-engine node on a loopback port does what a node does in its first minutes, so
 * that the classes of those paths are loaded when the JVM exits and writes the archive: it is asked for its health
 * and metrics, mints a token (with the secret a node makes up when none is set), opens a stream, sends to the user,
 * the device and everyone, and is reconnected to with a cursor (a replay); then the node stops as on {@code SIGTERM}.
 * What a node seldom does (kicks, {@code /info}, refusals) is left out: the JDK relocates an archive when it maps it,
 * which makes all of it resident, so a class archived for a path a node never takes costs memory that loading it
 * from the jar would not. Every exchange is checked: a run that did not reach a path fails rather than archive less.
 */
final class ClassArchiveWorkload {
    private static final String USER = "class-archive-user";
    private static final String DEVICE = "class-archive-device";
    private static final int READ_TIMEOUT_MILLIS = 10_000;
    /** The token in /token's answer (a JWT: no quote or backslash to unescape). */
    private static final Pattern TOKEN = Pattern.compile("\"result\":\"([A-Za-z0-9_.-]+)\"");

    private final InetSocketAddress address;

    private ClassArchiveWorkload(InetSocketAddress address) {
        this.address = address;
    }

    static void run() throws Exception {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("server.host", "127.0.0.1");
        flags.put("server.port", "0");
        flags.put("server.shutdown_timeout", "2");
        BrokerNode node = new BrokerNode(new ConfigLoader(Map.of()).load(Optional.empty(), flags).config());
        try {
            new ClassArchiveWorkload(node.start()).exercise();
        } finally {
            node.close();
        }
    }

    private void exercise() throws IOException {
        expect(200, "GET /healthz");
        expect(200, "GET /readyz");
        expect(200, "GET /metrics");
        String minted = expect(200, "POST /token?uid=" + USER + "&device=" + DEVICE);
        Matcher result = TOKEN.matcher(minted);
        if (!result.find()) {
            throw new IllegalStateException("no token in " + minted);
        }
        String token = result.group(1);
        String cursor;
        try (Stream stream = new Stream("/events?token=" + token)) {
            stream.readUntil("event: sys_connected");
            expect(200, "POST /send?uid=" + USER + "&event=greeting&data=to+the+user");
            String frame = stream.readUntil("data: to the user");
            int id = frame.lastIndexOf("id: ") + 4;
            cursor = frame.substring(id, frame.indexOf('\n', id));
            expect(200, "POST /send?device=" + DEVICE + "&data=to+the+device");
            expect(200, "POST /send?data=to+everyone");
            stream.readUntil("data: to everyone");
        }
        // the device comes back with its cursor, as a browser's EventSource does
        try (Stream again = new Stream("/events?token=" + token + "&id=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8))) {
            again.readUntil("data: to everyone");
        }
    }

    /** One request on a connection of its own; the answer's body, when its status is the one expected. */
    private String expect(int status, String requestLine) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!answer.startsWith("HTTP/1.1 " + status + " ")) {
                throw new IllegalStateException(requestLine + ": expected " + status + ", got "
                        + answer.lines().findFirst().orElse("no answer"));
            }
            int body = answer.indexOf("\r\n\r\n");
            return body < 0 ? "" : answer.substring(body + 4);
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(address, READ_TIMEOUT_MILLIS);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        return socket;
    }

    /** An event stream, read as text up to what the workload waits for. */
    private final class Stream implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final StringBuilder read = new StringBuilder();
        private int consumed;

        Stream(String target) throws IOException {
            socket = connect();
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            in = socket.getInputStream();
        }

        /** Reads until {@code marker}; returns what came since the last call, the marker's frame included. */
        String readUntil(String marker) throws IOException {
            byte[] buffer = new byte[8192];
            while (read.indexOf(marker, consumed) < 0) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new IllegalStateException("the stream ended before '" + marker + "': " + read);
                }
                read.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            int end = read.indexOf("\n\n", read.indexOf(marker, consumed));
            end = end < 0 ? read.length() : end + 2;
            String frames = read.substring(consumed, end);
            consumed = end;
            return frames;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
