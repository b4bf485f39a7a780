package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.ssebroker.metrics.PrometheusText;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import io.ssebroker.testing.WebhookReceiver;
import io.ssebroker.testing.WebhookReceiver.Call;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** State changes posted to a real HTTP endpoint by a real node whose clients connect over real sockets. */
class WebhookCallbackTest {
    private static final DateTimeFormatter TRIGGER_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    @Test
    void connectAndDisconnectPostUserAndDeviceChanges() {
        try (WebhookReceiver receiver = WebhookReceiver.start(); TestNode node = node(receiver, Map.of())) {
            SseClient client = node.connect("u-1", "d-1");
            client.nextOfType("sys_connected");
            List<Call> online = receiver.next(2);
            assertThat(online).extracting(Call::summary).containsExactly(
                    "user_online u-1 d-1 device_connected", "device_online u-1 d-1 device_connected");
            assertThat(online).extracting(call -> call.header("X-SSE-Event"))
                    .containsExactly("sse_topic_user_online", "sse_topic_device_online");
            Call first = online.get(0);
            assertThat(first.path()).isEqualTo("/hook");
            assertThat(first.header("Content-Type")).startsWith("application/json");
            assertThat(first.header("X-SSE-Signature")).as("no callback.secret, no signature").isNull();
            List<String> fields = new ArrayList<>();
            first.json().fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactly("uid", "device", "trigger_time", "reason", "payload");
            LocalDateTime triggered = LocalDateTime.parse(first.json().path("trigger_time").asText(), TRIGGER_TIME);
            assertThat(triggered).isCloseTo(LocalDateTime.now(), within(10, ChronoUnit.SECONDS));
            assertThat(first.json().path("payload").path("node").asText()).isEqualTo(node.nodeAddress());

            client.close();
            assertThat(receiver.next(2)).extracting(Call::summary).containsExactly(
                    "device_offline u-1 d-1 device_disconnect", "user_offline u-1 d-1 device_disconnect");
        }
    }

    @Test
    void extrusionAndKickAreTheReasonsOfTheirOfflines() {
        try (WebhookReceiver receiver = WebhookReceiver.start(); TestNode node = node(receiver, Map.of())) {
            try (SseClient first = node.connect("u-x", "d-x")) {
                first.nextOfType("sys_connected");
                receiver.next(2);
                SseClient second = node.connect("u-x", "d-x");
                second.nextOfType("sys_connected");
                assertThat(receiver.next(2)).extracting(Call::summary).containsExactly(
                        "device_offline u-x d-x extrude_offline", "device_online u-x d-x device_connected");
                node.api().postForm("/kick", Map.of("uid", "u-x"));
                assertThat(receiver.next(2)).extracting(Call::summary).containsExactly(
                        "device_offline u-x d-x kick_offline", "user_offline u-x d-x kick_offline");
                second.close();
            }
        }
    }

    @Test
    void gracefulShutdownPostsInstanceCloseBeforeTheNodeStops() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            TestNode node = node(receiver, Map.of());
            try (SseClient client = node.connect("u-close", "d-close")) {
                client.nextOfType("sys_connected");
                receiver.next(2);
                node.close();
                List<Call> delivered = List.of(receiver.next(Duration.ofMillis(200)), receiver.next(Duration.ofMillis(200)));
                assertThat(delivered).extracting(Call::summary).containsExactly(
                        "device_offline u-close d-close instance_close", "user_offline u-close d-close instance_close");
            }
        }
    }

    @Test
    void withASecretEachBodyIsSignedWithItsHmac() throws Exception {
        String secret = "webhook-signing-secret";
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = node(receiver, Map.of("callback.secret", secret))) {
            try (SseClient client = node.connect("u-sig", "d-sig")) {
                client.nextOfType("sys_connected");
                for (Call call : receiver.next(2)) {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                    String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(call.body()));
                    assertThat(call.header("X-SSE-Signature")).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void failedPostsAreRetriedWithTheSameDeliveryIdUntilAccepted() {
        try (WebhookReceiver receiver = WebhookReceiver.start(); TestNode node = node(receiver, Map.of())) {
            AtomicInteger failuresLeft = new AtomicInteger(2);
            receiver.answerWith(call -> failuresLeft.getAndDecrement() > 0 ? 500 : 200);
            try (SseClient client = node.connect("u-retry", "d-retry")) {
                client.nextOfType("sys_connected");
                List<Call> calls = receiver.next(4);
                assertThat(calls).extracting(Call::event)
                        .containsExactly("user_online", "user_online", "user_online", "device_online");
                assertThat(calls.subList(0, 3)).extracting(call -> call.header("X-SSE-Delivery")).containsOnly(
                        calls.get(0).header("X-SSE-Delivery"));
                assertThat(calls.get(3).header("X-SSE-Delivery")).isNotEqualTo(calls.get(0).header("X-SSE-Delivery"));
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    PrometheusText metrics = PrometheusText.scrape(node);
                    assertThat(metrics.value("sse_broker_webhook_retries_total")).isEqualTo(2.0);
                    assertThat(metrics.value("sse_broker_webhook_delivered_total")).isEqualTo(2.0);
                });
            }
        }
    }

    @Test
    void aChangeIsGivenUpAfterMaxAttemptsOrAClientErrorAndTheNextOnesStillGo() {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = node(receiver, Map.of("callback.max_attempts", "2"))) {
            receiver.answerWith(call -> switch (call.event()) {
                case "user_online" -> 503;
                case "device_online" -> 400;
                default -> 200;
            });
            SseClient client = node.connect("u-fail", "d-fail");
            client.nextOfType("sys_connected");
            assertThat(receiver.next(3)).extracting(Call::event)
                    .containsExactly("user_online", "user_online", "device_online");
            client.close();
            assertThat(receiver.next(2)).extracting(Call::event).containsExactly("device_offline", "user_offline");
            PrometheusText metrics = PrometheusText.scrape(node);
            assertThat(metrics.value("sse_broker_webhook_failures_total")).isEqualTo(2.0);
            assertThat(metrics.value("sse_broker_webhook_retries_total")).isEqualTo(1.0);
        }
    }

    @Test
    void aUidsChangesArePostedInOrderOneAtATime() {
        try (WebhookReceiver receiver = WebhookReceiver.start(); TestNode node = node(receiver, Map.of())) {
            receiver.answerWith(call -> {
                sleep(30);
                return 200;
            });
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String device = "d-order-" + i;
                try (SseClient client = node.connect("u-order", device)) {
                    client.nextOfType("sys_connected");
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> !node.api().get("/info", Map.of("device", device))
                        .result().path("online").asBoolean());
                expected.add("user_online u-order " + device + " device_connected");
                expected.add("device_online u-order " + device + " device_connected");
                expected.add("device_offline u-order " + device + " device_disconnect");
                expected.add("user_offline u-order " + device + " device_disconnect");
            }
            assertThat(receiver.next(expected.size())).extracting(Call::summary).containsExactlyElementsOf(expected);
            assertThat(receiver.mostInFlightForOneUid()).isEqualTo(1);
        }
    }

    @Test
    void aSlowUidDoesNotHoldUpOtherUids() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        try (WebhookReceiver receiver = WebhookReceiver.start(); TestNode node = node(receiver, Map.of())) {
            receiver.answerWith(call -> {
                if (call.uid().equals("u-slow")) {
                    waitFor(release);
                }
                return 200;
            });
            try (SseClient slow = node.connect("u-slow", "d-slow"); SseClient fast = node.connect("u-fast", "d-fast")) {
                slow.nextOfType("sys_connected");
                fast.nextOfType("sys_connected");
                List<Call> whileSlowHangs = receiver.next(3);
                assertThat(whileSlowHangs).extracting(Call::summary).containsExactlyInAnyOrder(
                        "user_online u-slow d-slow device_connected",
                        "user_online u-fast d-fast device_connected",
                        "device_online u-fast d-fast device_connected");
                assertThat(receiver.within(Duration.ofMillis(300))).as("u-slow's next change waits for the first").isEmpty();
                release.countDown();
                assertThat(receiver.next().summary()).isEqualTo("device_online u-slow d-slow device_connected");
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void comingBackWithinTheOfflineGraceSendsNeitherTheOfflineNorTheOnline() {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = node(receiver, Map.of("callback.offline_grace", "1"))) {
            try (SseClient first = node.connect("u-grace", "d-grace")) {
                first.nextOfType("sys_connected");
            }
            assertThat(receiver.next(2)).extracting(Call::event).containsExactly("user_online", "device_online");
            await().atMost(Duration.ofSeconds(5)).until(() -> !node.api().get("/info", Map.of("device", "d-grace"))
                    .result().path("online").asBoolean());
            SseClient again = node.connect("u-grace", "d-grace");
            again.nextOfType("sys_connected");
            assertThat(receiver.within(Duration.ofMillis(1500))).as("offline taken back by the online").isEmpty();
            assertThat(PrometheusText.scrape(node).value("sse_broker_webhook_suppressed_total")).isEqualTo(2.0);

            long closedAt = System.nanoTime();
            again.close();
            assertThat(receiver.next(2)).extracting(Call::summary).containsExactly(
                    "device_offline u-grace d-grace device_disconnect", "user_offline u-grace d-grace device_disconnect");
            assertThat(System.nanoTime() - closedAt).as("held for the grace").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
        }
    }

    /**
     * Only onlines are posted (a URL for device_online alone): a held offline, posted nowhere, holds back none of its
     * user's later changes; the online of the user's other device goes at once, and its own online within the grace
     * is still taken back.
     */
    @Test
    void aHeldOfflineThatIsPostedNowhereHoldsBackNothing() throws InterruptedException {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = TestNode.start(Map.of("callback.device_online", receiver.url("/online"),
                     "callback.offline_grace", "15"))) {
            try (SseClient first = node.connect("u-only-online", "d-first")) {
                first.nextOfType("sys_connected");
                assertThat(receiver.next(1)).extracting(Call::summary)
                        .containsExactly("device_online u-only-online d-first device_connected");
            }
            node.awaitOffline("d-first");
            try (SseClient second = node.connect("u-only-online", "d-second")) {
                second.nextOfType("sys_connected");
                assertThat(receiver.next(1)).as("within the grace, not after it").extracting(Call::summary)
                        .containsExactly("device_online u-only-online d-second device_connected");
                try (SseClient back = node.connect("u-only-online", "d-first")) {
                    back.nextOfType("sys_connected");
                    assertThat(receiver.within(Duration.ofMillis(1000))).as("d-first's online taken back").isEmpty();
                }
            }
        }
    }

    /**
     * Offlines held for the grace fill the backlog (a crowd lost its connections at once): the onlines of those who
     * come back still take them back, rather than being dropped for want of room, which would post the offlines of
     * users who are online.
     */
    @Test
    void onlinesTakeBackTheHeldOfflinesOfAFullBacklog() {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = node(receiver, Map.of("callback.offline_grace", "15", "callback.queue_size", "4"))) {
            List<String> users = List.of("u-crowd-1", "u-crowd-2");
            for (String uid : users) {
                try (SseClient client = node.connect(uid, "d-" + uid)) {
                    client.nextOfType("sys_connected");
                    assertThat(receiver.next(2)).extracting(Call::event).containsExactly("user_online", "device_online");
                    await("answered").atMost(Duration.ofSeconds(2))
                            .until(() -> PrometheusText.scrape(node).value("sse_broker_webhook_queue") == 2.0 * users.indexOf(uid));
                }
            }
            await("the four offlines held, the backlog full").atMost(Duration.ofSeconds(2))
                    .until(() -> PrometheusText.scrape(node).value("sse_broker_webhook_queue") == 4.0);
            List<SseClient> back = new ArrayList<>();
            try {
                for (String uid : users) {
                    SseClient client = node.connect(uid, "d-" + uid);
                    back.add(client);
                    client.nextOfType("sys_connected");
                }
                assertThat(receiver.within(Duration.ofMillis(500))).as("nothing posted for those back").isEmpty();
                assertThat(PrometheusText.scrape(node).value("sse_broker_webhook_suppressed_total"))
                        .as("every offline taken back by its online").isEqualTo(4.0);
                assertThat(PrometheusText.scrape(node).value("sse_broker_webhook_queue")).isZero();
            } finally {
                back.forEach(SseClient::close);
            }
        }
    }

    @Test
    void aFullBacklogDropsChangesAndNeverDelaysTheStreams() {
        CountDownLatch release = new CountDownLatch(1);
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = node(receiver, Map.of("callback.queue_size", "1", "callback.timeout", "30"))) {
            receiver.answerWith(call -> {
                waitFor(release);
                return 200;
            });
            List<SseClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    SseClient client = node.connect("u-full-" + i, "d-full-" + i);
                    clients.add(client);
                    client.nextOfType("sys_connected");
                }
                long sentAt = System.nanoTime();
                node.api().send(Map.of("device", "d-full-0", "data", "still flowing"));
                assertThat(clients.get(0).next(Duration.ofSeconds(2)).data()).isEqualTo("still flowing");
                assertThat(System.nanoTime() - sentAt).isLessThan(TimeUnit.SECONDS.toNanos(2));
                PrometheusText metrics = PrometheusText.scrape(node);
                assertThat(metrics.value("sse_broker_webhook_dropped_total")).isEqualTo(9.0);
                assertThat(metrics.value("sse_broker_webhook_queue")).isEqualTo(1.0);
            } finally {
                release.countDown();
                clients.forEach(SseClient::close);
            }
        }
    }

    /**
     * Changes that keep failing pause between their attempts holding no request slot: a receiver that refuses some
     * users (more of them than there are slots) does not hold up everyone else's changes for the length of their
     * retries.
     */
    @Test
    void changesPausingBetweenAttemptsDoNotHoldUpOthers() {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = node(receiver, Map.of("callback.max_attempts", "10"))) {
            receiver.answerWith(call -> call.uid().startsWith("u-refused-") ? 503 : 200);
            List<SseClient> refused = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    SseClient client = node.connect("u-refused-" + i, "d-refused-" + i);
                    client.nextOfType("sys_connected");
                    refused.add(client);
                }
                try (SseClient other = node.connect("u-other", "d-other")) {
                    other.nextOfType("sys_connected");
                    // u-other's change is posted while the refused ones pause (next fails after the time left)
                    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    Call call;
                    do {
                        call = receiver.next(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                    } while (!call.uid().equals("u-other"));
                }
            } finally {
                refused.forEach(SseClient::close);
            }
        }
    }

    @Test
    void goSseBrokersPerKindUrlsTakeTheirKindOnly() throws InterruptedException {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("callback.user_online", receiver.url("/user-online"));
            settings.put("callback.device_offline", receiver.url("/device-offline"));
            try (TestNode node = TestNode.start(settings)) {
                try (SseClient client = node.connect("u-kind", "d-kind")) {
                    client.nextOfType("sys_connected");
                }
                List<Call> calls = receiver.next(2);
                assertThat(calls).extracting(call -> call.path() + " " + call.event())
                        .containsExactly("/user-online user_online", "/device-offline device_offline");
                assertThat(receiver.within(Duration.ofMillis(300))).isEmpty();
            }
        }
    }

    private static TestNode node(WebhookReceiver receiver, Map<String, String> settings) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("callback.url", receiver.url("/hook"));
        all.putAll(settings);
        try {
            return TestNode.start(all);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
