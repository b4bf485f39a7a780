package io.ssebroker.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An SSE client over a raw socket that parses the stream as the HTML spec's EventSource does (CR, LF and CRLF
 * line ends; id, event, data, retry fields; comments), so tests see exactly what a browser would.
 */
public final class SseClient implements AutoCloseable {
    /** A dispatched event; {@code id} is the last event id after it (what a browser would send on reconnect). */
    public record Event(String id, String event, String data) {
    }

    private final Socket socket;
    private final InputStream in;
    /** The decoder of a chunked body; null when the body is not chunked (HTTP/1.0, a refusal). */
    private final ChunkedBody chunked;
    private final int status;
    private final Map<String, String> headers;
    private final String body;
    private final List<String> comments = new ArrayList<>();
    private Integer retry;
    private String lastEventId = "";
    private boolean closed;
    private int pending = -1;

    private SseClient(Socket socket, InputStream in, ChunkedBody chunked, int status, Map<String, String> headers,
                      String body) {
        this.chunked = chunked;
        this.socket = socket;
        this.in = in;
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    public static SseClient open(TestNode node, String pathAndQuery, Map<String, String> requestHeaders) {
        return open(node.host(), node.port(), pathAndQuery, requestHeaders);
    }

    public static SseClient open(String host, int port, String pathAndQuery, Map<String, String> requestHeaders) {
        try {
            Socket socket = new Socket(host, port);
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n");
            if (requestHeaders.keySet().stream().noneMatch("Accept"::equalsIgnoreCase)) {
                request.append("Accept: text/event-stream\r\n");
            }
            requestHeaders.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
            request.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            String statusLine = readHeaderLine(in);
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = readHeaderLine(in); !line.isEmpty(); line = readHeaderLine(in)) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            String body = "";
            if (status != 200 && headers.containsKey("content-length")) {
                byte[] bytes = in.readNBytes(Integer.parseInt(headers.get("content-length")));
                body = new String(bytes, StandardCharsets.UTF_8);
            }
            ChunkedBody chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? new ChunkedBody(in) : null;
            return new SseClient(socket, chunked != null ? chunked : in, chunked, status, headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int status() {
        return status;
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The body of a non-200 answer (the JSON envelope). */
    public String body() {
        return body;
    }

    public Integer retry() {
        return retry;
    }

    public List<String> comments() {
        return comments;
    }

    public String lastEventId() {
        return lastEventId;
    }

    /** The next event, waiting at most {@code timeout}; null when the stream ended first. */
    public Event next(Duration timeout) {
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            String eventType = "";
            StringBuilder data = null;
            while (true) {
                String line = readLine();
                if (line == null) {
                    closed = true;
                    return null;
                }
                if (line.isEmpty()) {
                    if (data == null) {
                        eventType = "";
                        continue;
                    }
                    return new Event(lastEventId, eventType.isEmpty() ? "message" : eventType, data.toString());
                }
                if (line.startsWith(":")) {
                    comments.add(line.substring(1));
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "event" -> eventType = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    case "id" -> {
                        if (!value.contains("\0")) {
                            lastEventId = value;
                        }
                    }
                    case "retry" -> {
                        if (value.matches("[0-9]+")) {
                            retry = Integer.parseInt(value);
                        }
                    }
                    default -> {
                        // ignored, as a browser does
                    }
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no event within " + timeout + " (last event id " + lastEventId + ")");
        } catch (IOException e) {
            closed = true;
            return null;
        }
    }

    public Event next() {
        return next(Duration.ofSeconds(10));
    }

    /** The next event that is not one of the given system events (skips sys_connected and the like). */
    public Event nextOfType(String type) {
        for (int i = 0; i < 100_000; i++) {
            Event event = next();
            if (event == null) {
                throw new AssertionError("stream ended before an event of type " + type);
            }
            if (event.event().equals(type)) {
                return event;
            }
        }
        throw new AssertionError("no event of type " + type);
    }

    /** Reads until the server closes the stream; returns the events seen meanwhile. */
    public List<Event> readUntilClosed(Duration timeout) {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new AssertionError("stream still open after " + timeout + "; events: " + events);
            }
            Event event = next(Duration.ofMillis(left));
            if (event != null) {
                events.add(event);
            }
        }
        return events;
    }

    /** Every event that arrives within {@code window}; the stream may still be open afterwards. */
    public List<Event> readFor(Duration window) {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        while (!closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                break;
            }
            try {
                Event event = next(Duration.ofMillis(left));
                if (event != null) {
                    events.add(event);
                }
            } catch (AssertionError quiet) {
                break; // nothing more within the window
            }
        }
        return events;
    }

    public boolean isClosedByServer() {
        return closed;
    }

    /** True when the body is chunked and ended with its last chunk: a deliberate end, not a cut. */
    public boolean endedWithLastChunk() {
        return chunked != null && chunked.lastChunkSeen();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    /** One line of the event stream: ends at CR, LF or CRLF; null at end of stream. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = pending >= 0 ? pending : in.read();
            pending = -1;
            if (b < 0) {
                return null;
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\r') {
                int next = in.read();
                if (next != '\n' && next >= 0) {
                    pending = next;
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    /** One line of the HTTP framing (the head, a chunk size), CR dropped; the connection ending first is an error. */
    static String readHeaderLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection cut in the middle of a line of the response's framing");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
