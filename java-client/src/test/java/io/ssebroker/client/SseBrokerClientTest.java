package io.ssebroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client against a real broker node: every call, its typed results and errors, and when it retries. */
class SseBrokerClientTest {
    private static final String API_KEY = "client-test-api-key-0123456789";
    private static TestNode broker;
    private static SseBrokerClient client;

    @BeforeAll
    static void start() throws InterruptedException {
        broker = TestNode.start(Map.of("auth.api_keys", API_KEY, "jwt.issuer", "https://app.example.com",
                "jwt.audience", "push"));
        client = SseBrokerClient.builder(URI.create(broker.baseUrl())).apiKey(API_KEY).build();
    }

    /** A loopback port nothing listens on (yet). */
    private static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return free.getLocalPort();
        }
    }

    /** A device's stream, opened with a connect token. */
    private static SseClient subscribe(String token, String device) {
        return SseClient.open(broker, "/events?device=" + device, Map.of("X-SSE-TOKEN", token));
    }

    /** The next event as "type: data". */
    private static String next(SseClient stream) {
        SseClient.Event event = stream.next(Duration.ofSeconds(5));
        return event == null ? null : event.event() + ": " + event.data();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aMessageSentToADeviceArrivesThere() throws Exception {
        try (SseClient phone = subscribe(client.token("alice", "phone", Duration.ofMinutes(5)), "phone")) {
            assertThat(next(phone)).startsWith("sys_connected");
            assertThat(client.send(Message.toDevices("phone").event("chat").data("hello\nworld"))).isEqualTo(1);
            assertThat(next(phone)).isEqualTo("chat: hello\nworld");
            assertThat(client.sendAsync(Message.toUsers("alice").data("async")).get()).isEqualTo(1);
            assertThat(next(phone)).isEqualTo("message: async");
            assertThat(client.send(Message.broadcast().data("everyone"))).isGreaterThanOrEqualTo(1);
            assertThat(next(phone)).isEqualTo("message: everyone");
        }
    }

    @Test
    void aMessageWithAnIdempotencyKeyIsDeliveredOnceHoweverOftenItIsSent() throws Exception {
        try (SseClient tablet = subscribe(client.token("bob", "tablet", null), "tablet")) {
            next(tablet);
            Message order = Message.toUsers("bob").idempotencyKey("order-42").data("paid");
            assertThat(client.send(order)).isEqualTo(1);
            assertThat(client.send(order)).isEqualTo(1);
            assertThat(next(tablet)).isEqualTo("message: paid");
            assertThat(tablet.readFor(Duration.ofMillis(500))).isEmpty();
        }
    }

    @Test
    void aBatchAnswersOneResultPerMessage() {
        List<BatchResult> results = client.sendBatch(List.of(Message.toUsers("carol").data("one"),
                Message.toUsers("carol").event("bad\u0007name").data("x"), Message.toUsers("carol").event("sys_forged").data("x")));
        assertThat(results).hasSize(3);
        assertThat(results.get(0).accepted()).isTrue();
        assertThat(results.get(1)).satisfies(r -> {
            assertThat(r.accepted()).isFalse();
            assertThat(r.code()).isEqualTo(400);
            assertThat(r.message()).contains("event");
        });
        assertThat(results.get(2).code()).isEqualTo(400);
    }

    @Test
    void presenceAndKickOfADevice() throws Exception {
        try (SseClient laptop = subscribe(client.token("dave", "laptop", null), "laptop")) {
            next(laptop);
            DeviceInfo device = client.device("laptop");
            assertThat(device.online()).isTrue();
            assertThat(device.uid()).isEqualTo("dave");
            assertThat(device.loginTime()).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}");
            UserInfo user = client.user("dave");
            assertThat(user.devices()).extracting(DeviceInfo::deviceName).containsExactly("laptop");
            ClusterInfo cluster = client.cluster();
            assertThat(cluster.instanceCount()).isEqualTo(1);
            assertThat(cluster.deviceCount()).isGreaterThanOrEqualTo(1);
            assertThat(client.node(broker.nodeAddress()).online()).isTrue();

            assertThat(client.kick(Kick.devices("laptop").withData("signed out"))).isEqualTo(1);
            assertThat(next(laptop)).isEqualTo("sys_kick_offline: signed out");
            assertThat(client.device("laptop").online()).isFalse();
        }
    }

    @Test
    void tokensMintedLocallyAreAcceptedByTheBroker() throws Exception {
        ConnectTokens tokens = new ConnectTokens(TestNode.SECRET).withIssuer("https://app.example.com")
                .withAudience("push");
        try (SseClient watch = subscribe(tokens.mint("erin", "watch", Duration.ofMinutes(1)), "watch")) {
            assertThat(next(watch)).startsWith("sys_connected");
            client.send(Message.toDevices("watch").data("tick"));
            assertThat(next(watch)).isEqualTo("message: tick");
        }
        try (SseClient refused = subscribe(new ConnectTokens(TestNode.SECRET).mint("erin", "watch", Duration.ofMinutes(1)),
                "watch")) {
            assertThat(refused.status()).as("without the issuer the broker checks").isEqualTo(401);
            assertThat(refused.body()).contains("iss");
        }
    }

    @Test
    void anEmptyListOfTargetsIsNeverABroadcast() {
        assertThatThrownBy(() -> Message.toUsers(List.of()).data("x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Message.broadcast().users(List.of("a"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Message.toDevices("d").data("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Message.toUsers("c", "a", "b").data("x").uids()).containsExactly("c", "a", "b");
        assertThatThrownBy(() -> new ConnectTokens(TestNode.SECRET).mint("u", " ", Duration.ofMinutes(1)))
                .as("a blank device would bind the token to none").isInstanceOf(IllegalArgumentException.class);
        assertThat(Message.class.getConstructors()).as("no way around the builders' check").isEmpty();
        assertThat(Message.toUsers("a").data("private").toString()).doesNotContain("private");
    }

    @Test
    void settingsThatCannotWorkAreRefusedWhenTheClientIsBuilt() {
        SseBrokerClient.Builder builder = SseBrokerClient.builder(URI.create(broker.baseUrl()));
        assertThatThrownBy(() -> builder.requestTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestTimeout");
        assertThatThrownBy(() -> builder.connectTimeout(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.retryBackoff(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBlockingCallFailsWithItsCallersStack() {
        assertThatThrownBy(() -> client.send(Message.toUsers("sys,tem").data("x")))
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(e.getStackTrace()).anySatisfy(frame ->
                        assertThat(frame.getMethodName()).isEqualTo("aBlockingCallFailsWithItsCallersStack")));
        assertThatThrownBy(() -> client.token(null, "d", null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anInterruptEndsTheWait() throws Exception {
        HttpServer silent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        silent.createContext("/", exchange -> { }); // never answers
        silent.start();
        try {
            SseBrokerClient waiting = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + silent.getAddress().getPort()))
                    .requestTimeout(Duration.ofSeconds(30)).build();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean interruptedAfter = new AtomicBoolean();
            Thread caller = new Thread(() -> {
                try {
                    waiting.send(Message.toUsers("u").data("x"));
                } catch (RuntimeException e) {
                    failure.set(e);
                    interruptedAfter.set(Thread.currentThread().isInterrupted());
                }
            });
            caller.start();
            Thread.sleep(300);
            caller.interrupt();
            caller.join(5_000);
            assertThat(caller.isAlive()).as("the wait ended").isFalse();
            assertThat(failure.get()).isInstanceOf(SseBrokerException.class).hasMessageContaining("interrupted");
            assertThat(interruptedAfter).isTrue();
        } finally {
            silent.stop(0);
        }
    }

    @Test
    void anyCallIsRetriedWhenNoConnectionCouldBeMade() throws Exception {
        int port = freePort();
        SseBrokerClient retrying = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + port))
                .retryBackoff(Duration.ofMillis(1_500)).build();
        // refused (nothing listens yet): sent again once the broker listens, though it has no idempotency key
        CompletableFuture<Integer> sent = retrying.sendAsync(Message.toUsers("u").data("x"));
        Thread.sleep(200);
        AtomicInteger calls = new AtomicInteger();
        HttpServer late = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        late.createContext("/", exchange -> {
            calls.incrementAndGet();
            byte[] body = "{\"code\":1,\"msg\":\"success\",\"micro\":1,\"result\":1}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        late.start();
        try {
            assertThat(sent.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(calls.get()).as("sent once: the refused attempt never reached it").isEqualTo(1);
        } finally {
            late.stop(0);
        }
    }

    /** A call cancelled while it waits to be sent again is not sent again, once the broker listens or later. */
    @Test
    void aCancelledCallIsNotSentAgain() throws Exception {
        int port = freePort();
        SseBrokerClient retrying = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + port))
                .retryBackoff(Duration.ofMillis(1_000)).build();
        CompletableFuture<Integer> sent = retrying.sendAsync(Message.toUsers("u").data("x")); // refused: nothing listens
        Thread.sleep(200);
        assertThat(sent.cancel(true)).isTrue();
        assertNoAttemptOnceListening(port);
    }

    /** Listens on the port for longer than every pause the retries would have taken: no attempt comes. */
    private static void assertNoAttemptOnceListening(int port) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer late = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        late.createContext("/", exchange -> {
            calls.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        late.start();
        try {
            Thread.sleep(2_500);
            assertThat(calls.get()).as("no attempt after the call was given up").isZero();
        } finally {
            late.stop(0);
        }
    }

    /** A call its caller gave up on (a timeout of its own) is not sent again either. */
    @Test
    void aCallTimedOutByItsCallerIsNotSentAgain() throws Exception {
        int port = freePort();
        SseBrokerClient retrying = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + port))
                .retryBackoff(Duration.ofMillis(1_000)).build();
        CompletableFuture<Integer> kick = retrying.kickAsync(Kick.users("u")).orTimeout(200, TimeUnit.MILLISECONDS);
        assertThatThrownBy(kick::join).hasCauseInstanceOf(TimeoutException.class);
        assertNoAttemptOnceListening(port);
    }

    /**
     * A 429 says that nothing was done (the broker's HTTP/2 body budget, its per-address limits, a proxy's rate
     * limit): even a send without a key is sent again. An answer of another shape to a batch is an error, not an
     * empty list of results; a null argument fails the future.
     */
    @Test
    void aRefusalBeforeAnythingWasDoneIsRetriedAndAnAnswerOfAnotherShapeIsAnError() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer limited = refusingEveryOtherCall(calls, 429, "too many", 2, null);
        try {
            SseBrokerClient retrying = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + limited.getAddress().getPort()))
                    .retryBackoff(Duration.ofMillis(10)).build();
            assertThat(retrying.send(Message.toUsers("u").data("x"))).isEqualTo(2);
            assertThat(calls.get()).as("429, then the retry").isEqualTo(2);

            calls.set(1); // the next answer: 200 with a number, as a broker without batches might answer
            assertThatThrownBy(() -> retrying.sendBatch(List.of(Message.toUsers("u").data("x"), Message.broadcast().data("y"))))
                    .isInstanceOf(SseBrokerException.class).hasMessageContaining("a batch of 2 messages");
            assertThat(retrying.deviceAsync(null)).failsWithin(Duration.ofSeconds(1));
            assertThat(retrying.sendAsync(null)).failsWithin(Duration.ofSeconds(1));
        } finally {
            limited.stop(0);
        }
    }

    @Test
    void refusalsAreTypedErrorsWithTheBrokersReason() {
        SseBrokerClient wrongKey = SseBrokerClient.builder(URI.create(broker.baseUrl())).apiKey("not-the-key-not-the-key").build();
        assertThatThrownBy(() -> wrongKey.send(Message.broadcast().data("x")))
                .isInstanceOf(AuthenticationException.class)
                .satisfies(e -> assertThat(((SseBrokerException) e).status()).isEqualTo(401));
        assertThatThrownBy(() -> client.send(Message.toUsers("sys,tem").data("x")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("uid");
        assertThatThrownBy(() -> client.send(Message.toUsers("x").event("sys_forged").data("x")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("reserved");
        SseBrokerClient nobody = SseBrokerClient.builder(URI.create("http://127.0.0.1:9")).maxRetries(0).build();
        assertThatThrownBy(() -> nobody.cluster()).isInstanceOf(UnavailableException.class)
                .satisfies(e -> assertThat(((SseBrokerException) e).status()).isZero());
        assertThat(nobody.notReady()).hasValueSatisfying(reason -> assertThat(reason).startsWith("unreachable"));
        assertThat(client.notReady()).isEmpty();
    }

    @Test
    void onlyCallsThatAreSafeToRepeatAreRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer flaky = refusingEveryOtherCall(calls, 503, "engine unavailable: down", 3, null);
        try {
            SseBrokerClient retrying = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + flaky.getAddress().getPort()))
                    .retryBackoff(Duration.ofMillis(10)).build();
            assertThat(retrying.send(Message.toUsers("u").idempotencyKey("k").data("x"))).isEqualTo(3);
            assertThat(calls.get()).as("503, then the retry").isEqualTo(2);

            calls.set(0);
            assertThatThrownBy(() -> retrying.send(Message.toUsers("u").data("x")))
                    .as("a send without a key may have been delivered: not repeated")
                    .isInstanceOf(UnavailableException.class).hasMessageContaining("engine unavailable");
            assertThat(calls.get()).isEqualTo(1);

            calls.set(0);
            assertThatThrownBy(() -> retrying.kick(Kick.users("u"))).isInstanceOf(UnavailableException.class);
            assertThat(calls.get()).isEqualTo(1);
        } finally {
            flaky.stop(0);
        }
    }

    /**
     * A proxy's Retry-After is waited out before the retry; one longer than the client's longest pause is the caller's
     * to wait (the call fails at once, saying how long).
     */
    @Test
    void aRetryAfterIsWaitedOutOrLeftToTheCaller() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer shortWait = refusingEveryOtherCall(calls, 503, "upstream busy", 4, "1");
        HttpServer longWait = refusingEveryOtherCall(new AtomicInteger(), 429, "slow down", 5, "120");
        try {
            SseBrokerClient toShort = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + shortWait.getAddress().getPort()))
                    .retryBackoff(Duration.ofMillis(10)).build();
            long start = System.nanoTime();
            assertThat(toShort.send(Message.toUsers("u").idempotencyKey("k-after").data("x"))).isEqualTo(4);
            assertThat(calls.get()).as("503, then the retry").isEqualTo(2);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the Retry-After").isGreaterThanOrEqualTo(Duration.ofSeconds(1));

            SseBrokerClient toLong = SseBrokerClient.builder(URI.create("http://127.0.0.1:" + longWait.getAddress().getPort()))
                    .retryBackoff(Duration.ofMillis(10)).build();
            assertThatThrownBy(() -> toLong.send(Message.toUsers("u").data("x"))).isInstanceOf(UnavailableException.class)
                    .satisfies(e -> assertThat(((UnavailableException) e).retryAfter()).hasValue(Duration.ofSeconds(120)));
        } finally {
            shortWait.stop(0);
            longWait.stop(0);
        }
    }

    @Test
    void aRetryAfterIsReadAsSecondsOrAsADate() {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        assertThat(RetryAfter.parse("3", now)).isEqualTo(Duration.ofSeconds(3));
        assertThat(RetryAfter.parse("Mon, 07 Dec 2026 10:00:30 GMT", now)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetryAfter.parse("Mon, 07 Dec 2026 09:00:00 GMT", now)).as("a date past").isZero();
        assertThat(RetryAfter.parse("soon", now)).isNull();
        assertThat(RetryAfter.parse("99999999999999999999999", now)).isNull();
        assertThat(RetryAfter.parse(null, now)).isNull();
    }

    /**
     * A broker stand-in that refuses every other call (the first, the third...) with this status and reason, in the
     * broker's envelope, and the {@code retryAfter} header when not null, and answers the others with success and
     * {@code result}; {@code calls} counts them.
     */
    private static HttpServer refusingEveryOtherCall(AtomicInteger calls, int status, String reason, int result,
                                                     String retryAfter) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            boolean refused = calls.incrementAndGet() % 2 == 1;
            byte[] body = (refused ? "{\"code\":" + status + ",\"msg\":\"" + reason + "\",\"micro\":1,\"result\":\"\"}"
                    : "{\"code\":1,\"msg\":\"success\",\"micro\":1,\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            if (refused && retryAfter != null) {
                exchange.getResponseHeaders().add("Retry-After", retryAfter);
            }
            exchange.sendResponseHeaders(refused ? status : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }
}
