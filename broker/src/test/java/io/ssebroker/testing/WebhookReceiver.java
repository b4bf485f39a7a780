package io.ssebroker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

/**
 * A webhook endpoint on a free loopback port: records every POST it receives (attempts included) and answers with
 * the status the test chooses, possibly after making the broker wait.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One POST as received: path, headers (names in lower case), the exact body and the body parsed, and the port
     * the broker's connection came from (which connection carried it).
     */
    public record Call(String path, Map<String, String> headers, byte[] body, JsonNode json, int clientPort) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String event() {
            return json.path("payload").path("event").asText();
        }

        public String uid() {
            return json.path("uid").asText();
        }

        public String device() {
            return json.path("device").asText();
        }

        public String reason() {
            return json.path("reason").asText();
        }

        /** "event uid device reason", to compare sequences at a glance. */
        public String summary() {
            return event() + " " + uid() + " " + device() + " " + reason();
        }
    }

    private final HttpServer server;
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final LinkedBlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    private final ConcurrentHashMap<String, AtomicInteger> inFlightByUid = new ConcurrentHashMap<>();
    private final AtomicInteger mostInFlightForOneUid = new AtomicInteger();
    private volatile ToIntFunction<Call> answer = call -> 200;

    private WebhookReceiver(HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.setExecutor(handlers);
        server.start();
    }

    public static WebhookReceiver start() {
        try {
            return new WebhookReceiver(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An {@code https} endpoint on {@code address} (a loopback address), with the certificate given. */
    public static WebhookReceiver startTls(TestCertificate certificate, String address) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(certificate.serverContext()));
            return new WebhookReceiver(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url(String path) {
        return (server instanceof HttpsServer ? "https://" : "http://") + server.getAddress().getAddress().getHostAddress()
                + ":" + server.getAddress().getPort() + path;
    }

    /** Decides the status of each call; the function may block to keep the broker waiting. */
    public void answerWith(ToIntFunction<Call> answer) {
        this.answer = answer;
    }

    /** The next call received, waiting at most {@code timeout}. */
    public Call next(Duration timeout) {
        try {
            Call call = calls.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (call == null) {
                throw new AssertionError("no webhook call within " + timeout);
            }
            return call;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Call next() {
        return next(Duration.ofSeconds(10));
    }

    public List<Call> next(int count) {
        List<Call> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(next());
        }
        return out;
    }

    /** The calls that arrive within {@code window}; none is an answer too. */
    public List<Call> within(Duration window) {
        List<Call> out = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        try {
            for (long left = window.toMillis(); left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
                Call call = calls.poll(left, TimeUnit.MILLISECONDS);
                if (call != null) {
                    out.add(call);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** The most calls of one uid the receiver ever had open at the same time. */
    public int mostInFlightForOneUid() {
        return mostInFlightForOneUid.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) ->
                    headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
            Call call = new Call(exchange.getRequestURI().getPath(), headers, body, JSON.readTree(body),
                    exchange.getRemoteAddress().getPort());
            AtomicInteger open = inFlightByUid.computeIfAbsent(call.uid(), uid -> new AtomicInteger());
            mostInFlightForOneUid.accumulateAndGet(open.incrementAndGet(), Math::max);
            calls.add(call);
            int status;
            try {
                status = answer.applyAsInt(call);
            } finally {
                open.decrementAndGet(); // before the answer: the broker may post the uid's next change right after it
            }
            exchange.sendResponseHeaders(status, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
