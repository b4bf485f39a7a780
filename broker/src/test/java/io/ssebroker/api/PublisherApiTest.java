package io.ssebroker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.Api.Answer;
import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The publisher endpoints as a user sees them over HTTP, in every parameter form, with real streams attached. */
class PublisherApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final String TIME_PATTERN = "\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}";
    private static final String ORIGIN = "https://app.example.com";
    private static final String OTHER_ORIGIN = "https://evil.example.net";
    private static final String API_KEY = "publisher-key-0123456789";
    private static final long DEFAULT_TTL = 600;
    private static final long MAX_TTL = 3600;

    /** Node shared by the tests whose counts cannot be disturbed by the others (each uses its own uids). */
    private static TestNode node;

    /** The ways a publisher can pass parameters. */
    enum Form { QUERY, JSON, JSON_CHARSET, FORM, FORM_CHARSET, MULTIPART, MULTIPART_CHARSET }

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("jwt.expire", Long.toString(DEFAULT_TTL), "jwt.max_expire", Long.toString(MAX_TTL)));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    // ---- /token ----

    @ParameterizedTest
    @EnumSource(Form.class)
    void tokenInEveryFormIsAJwtThatConnects(Form form) {
        String uid = "tök-" + form.name().toLowerCase(Locale.ROOT);
        String device = "tok-dev-" + form.name().toLowerCase(Locale.ROOT);
        Answer answer = call(node, form, "/token", Map.of("uid", uid, "device", device));

        assertSuccess(answer);
        String token = answer.result().asText();
        JsonNode header = jwtPart(token, 0);
        assertThat(header.path("alg").asText()).isEqualTo("HS256");
        JsonNode claims = jwtPart(token, 1);
        assertThat(claims.path("sub").asText()).isEqualTo(uid);
        assertThat(claims.path("uid").asText()).isEqualTo(uid);
        assertThat(claims.path("device_name").asText()).isEqualTo(device);
        assertThat(claims.path("jti").asText()).isNotEmpty();
        assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(DEFAULT_TTL);
        assertThat(claims.path("iat").asLong()).isCloseTo(System.currentTimeMillis() / 1000, within(60L));

        // the device comes from the token alone
        try (SseClient client = SseClient.open(node, "/events?token=" + token, Map.of())) {
            assertThat(client.status()).isEqualTo(200);
            Event connected = client.next();
            assertThat(connected.event()).isEqualTo("sys_connected");
            assertThat(call(node, form, "/send", Map.of("device", device, "data", "to " + uid)).result().asInt()).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("to " + uid);
        }
    }

    @Test
    void tokenAcceptsJsonNumbersWhereStringsAreExpected() {
        Answer answer = node.api().postJson("/token", "{\"uid\": 1965, \"device\": 42, \"ttl\": 120}");

        assertSuccess(answer);
        JsonNode claims = jwtPart(answer.result().asText(), 1);
        assertThat(claims.path("uid").asText()).isEqualTo("1965");
        assertThat(claims.path("sub").asText()).isEqualTo("1965");
        assertThat(claims.path("device_name").asText()).isEqualTo("42");
        assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(120);
        try (SseClient client = SseClient.open(node, "/events?device=42", Map.of("X-SSE-TOKEN", answer.result().asText()))) {
            assertThat(client.status()).isEqualTo(200);
            client.nextOfType("sys_connected");
            Answer info = node.api().postJson("/info", "{\"uid\": 1965}");
            assertSuccess(info);
            assertThat(info.result().path("online").asBoolean()).isTrue();
            assertThat(info.result().path("uid").asText()).isEqualTo("1965");
        }
    }

    @Test
    void tokenWithDeviceConnectsOnlyThatDevice() {
        String bound = node.token("tb-user", "tb-1");
        try (SseClient other = SseClient.open(node, "/events?device=tb-2", Map.of("X-SSE-TOKEN", bound))) {
            assertThat(other.status()).isEqualTo(403);
            assertEnvelopeFailure(other.body(), 403, "device");
        }
        try (SseClient same = SseClient.open(node, "/events?device=tb-1", Map.of("X-SSE-TOKEN", bound))) {
            assertThat(same.status()).isEqualTo(200);
            assertThat(same.next().event()).isEqualTo("sys_connected");
        }

        String unbound = node.token("tb-user", null);
        assertThat(jwtPart(unbound, 1).has("device_name")).isFalse();
        try (SseClient noDevice = SseClient.open(node, "/events", Map.of("X-SSE-TOKEN", unbound))) {
            assertThat(noDevice.status()).isEqualTo(400);
            assertEnvelopeFailure(noDevice.body(), 400, "device");
        }
        try (SseClient any = SseClient.open(node, "/events?device=tb-any", Map.of("Authorization", "Bearer " + unbound))) {
            assertThat(any.status()).isEqualTo(200);
            assertThat(any.next().event()).isEqualTo("sys_connected");
        }
    }

    @Test
    void ttlSetsTheLifetimeUpToJwtMaxExpire() {
        assertThat(lifetime(Map.of("uid", "ttl-u"))).isEqualTo(DEFAULT_TTL);
        assertThat(lifetime(Map.of("uid", "ttl-u", "ttl", "60"))).isEqualTo(60);
        assertThat(lifetime(Map.of("uid", "ttl-u", "ttl", Long.toString(MAX_TTL)))).isEqualTo(MAX_TTL);
        assertThat(lifetime(Map.of("uid", "ttl-u", "ttl", Long.toString(MAX_TTL + 1)))).isEqualTo(MAX_TTL);
        assertThat(lifetime(Map.of("uid", "ttl-u", "ttl", "315360000"))).isEqualTo(MAX_TTL);
        JsonNode claims = jwtPart(node.api().get("/token", Map.of("uid", "ttl-u", "ttl", "90")).result().asText(), 1);
        assertThat(claims.path("exp").asLong()).isCloseTo(System.currentTimeMillis() / 1000 + 90,
                within(30L));
    }

    // ---- /send ----

    @Test
    void sendAnswersTheNumberOfDistinctTargetDevicesOnline() {
        try (SseClient a1 = open(node, "sa", "sa-1"); SseClient a2 = open(node, "sa", "sa-2");
             SseClient b1 = open(node, "sb", "sb-1")) {
            assertThat(sendCount(Map.of("uid", "sa", "data", "m1"))).isEqualTo(2);
            assertThat(sendCount(Map.of("uid", "sa,sb", "data", "m2"))).isEqualTo(3);
            assertThat(sendCount(Map.of("device", "sa-1,sb-1", "data", "m3"))).isEqualTo(2);
            assertThat(sendCount(Map.of("uid", "sa", "device", "sa-1", "data", "m4"))).isEqualTo(2);
            assertThat(sendCount(Map.of("uid", "sa", "device", "sb-1,sa-2", "data", "m5"))).isEqualTo(3);
            assertThat(sendCount(Map.of("uid", "nobody-online", "data", "m6"))).isZero();
            assertThat(sendCount(Map.of("device", "sa-1,sa-1", "data", "m7"))).isEqualTo(1);
            assertThat(sendCount(Map.of("device", "never-connected", "data", "m8"))).isZero();
            assertThat(sendCount(Map.of("uid", "sa,sb", "data", "end"))).isEqualTo(3);

            // each device got exactly what was addressed to it, once, in order
            assertThat(dataUntil(a1, "end")).containsExactly("m1", "m2", "m3", "m4", "m5", "m7", "end");
            assertThat(dataUntil(a2, "end")).containsExactly("m1", "m2", "m4", "m5", "end");
            assertThat(dataUntil(b1, "end")).containsExactly("m2", "m3", "m5", "end");
        }
    }

    @ParameterizedTest
    @EnumSource(Form.class)
    void sendInEveryFormDeliversDataAndEvent(Form form) {
        String name = form.name().toLowerCase(Locale.ROOT);
        try (SseClient client = open(node, "sf-" + name, "sf-dev-" + name)) {
            Answer answer = call(node, form, "/send",
                    Map.of("uid", "sf-" + name, "data", "hello\nfrom " + name, "event", "ev-" + name));
            assertSuccess(answer);
            assertThat(answer.result().asInt()).isEqualTo(1);
            Event event = client.next();
            assertThat(event.event()).isEqualTo("ev-" + name);
            assertThat(event.data()).isEqualTo("hello\nfrom " + name);
            assertThat(event.id()).isNotEmpty();
        }
    }

    @Test
    void sendAcceptsJsonArraysAndNumbers() {
        try (SseClient a = open(node, "sj-a", "sj-a-1"); SseClient b = open(node, "sj-b", "sj-b-1");
             SseClient n = open(node, "1966", "sj-n-1")) {
            Answer toArray = node.api().postJson("/send", "{\"uid\": [\"sj-a\", \"sj-b\"], \"data\": 42}");
            assertSuccess(toArray);
            assertThat(toArray.result().asInt()).isEqualTo(2);
            assertThat(a.next().data()).isEqualTo("42");
            assertThat(b.next().data()).isEqualTo("42");

            Answer toNumber = node.api().postJson("/send", "{\"uid\": 1966, \"data\": 3.5, \"event\": 7}");
            assertSuccess(toNumber);
            assertThat(toNumber.result().asInt()).isEqualTo(1);
            Event event = n.next();
            assertThat(event.data()).isEqualTo("3.5");
            assertThat(event.event()).isEqualTo("7");

            Answer toDevices = node.api().postJson("/send", "{\"device\": [\"sj-a-1\", \"sj-n-1\"], \"data\": \"d\"}");
            assertThat(toDevices.result().asInt()).isEqualTo(2);
            assertThat(a.next().data()).isEqualTo("d");
            assertThat(n.next().data()).isEqualTo("d");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"one\ntwo", "a\n\nb", "trailing newline\n", "\nleading newline", "  spaced  ",
            "data: not a field\nevent: not an event\nid: not an id", "ünïcødé € 😀", "x"})
    void dataArrivesIntact(String data) {
        try (SseClient client = open(node, "nl-user", "nl-dev")) {
            assertThat(node.api().postJson("/send", Map.of("uid", "nl-user", "data", data)).result().asInt()).isEqualTo(1);
            Event event = client.next();
            assertThat(event.data()).isEqualTo(data);
            assertThat(event.event()).isEqualTo("message");
        }
    }

    @Test
    void broadcastReachesEveryDeviceAndCountsThem() throws InterruptedException {
        try (TestNode fresh = TestNode.start(); SseClient a1 = open(fresh, "ba", "ba-1");
             SseClient a2 = open(fresh, "ba", "ba-2"); SseClient b1 = open(fresh, "bb", "bb-1")) {
            Answer answer = fresh.api().postForm("/send", Map.of("data", "to everyone", "event", "news"));
            assertSuccess(answer);
            assertThat(answer.result().asInt()).isEqualTo(3);
            for (SseClient client : List.of(a1, a2, b1)) {
                Event event = client.next();
                assertThat(event.event()).isEqualTo("news");
                assertThat(event.data()).isEqualTo("to everyone");
            }
            assertThat(fresh.api().get("/send", Map.of("data", "by query")).result().asInt()).isEqualTo(3);
            assertThat(fresh.api().postJson("/send", "{\"data\": \"by json\"}").result().asInt()).isEqualTo(3);
            for (SseClient client : List.of(a1, a2, b1)) {
                assertThat(client.next().data()).isEqualTo("by query");
                assertThat(client.next().data()).isEqualTo("by json");
            }
        }
    }

    // ---- /kick ----

    @Test
    void kickEndsConnectionsWithTheKickEventAndRevokesEarlierTokens() {
        String oldToken = node.token("ka", "ka-1");
        try (SseClient a1 = SseClient.open(node, "/events?device=ka-1", Map.of("X-SSE-TOKEN", oldToken));
             SseClient a2 = open(node, "ka", "ka-2"); SseClient b1 = open(node, "kb", "kb-1")) {
            assertThat(a1.next().event()).isEqualTo("sys_connected");

            Answer answer = node.api().get("/kick", Map.of("uid", "ka", "data", "bye now"));
            assertSuccess(answer);
            assertThat(answer.result().asInt()).isEqualTo(2);
            assertEndedByKick(a1, "bye now");
            assertEndedByKick(a2, "bye now");

            assertThat(node.api().send(Map.of("uid", "kb", "data", "still here"))).isEqualTo(1);
            assertThat(b1.next().data()).isEqualTo("still here");
        }
        try (SseClient again = SseClient.open(node, "/events?device=ka-1", Map.of("X-SSE-TOKEN", oldToken))) {
            assertThat(again.status()).isEqualTo(204);
        }
        try (SseClient fresh = open(node, "ka", "ka-1")) {
            assertThat(fresh.status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(Form.class)
    void kickInEveryFormByDeviceList(Form form) {
        String name = form.name().toLowerCase(Locale.ROOT);
        try (SseClient d1 = open(node, "kf-" + name, "kf-" + name + "-1");
             SseClient d2 = open(node, "kf-" + name, "kf-" + name + "-2")) {
            Answer answer = call(node, form, "/kick",
                    Map.of("device", "kf-" + name + "-1,kf-" + name + "-2", "data", "bye " + name));
            assertSuccess(answer);
            assertThat(answer.result().asInt()).isEqualTo(2);
            assertEndedByKick(d1, "bye " + name);
            assertEndedByKick(d2, "bye " + name);
        }
    }

    @Test
    void kickCountsDistinctConnectionsAndAcceptsJson() {
        try (SseClient o1 = open(node, "ko", "ko-1"); SseClient o2 = open(node, "ko", "ko-2");
             SseClient n1 = open(node, "1967", "kn-1"); SseClient x1 = open(node, "kx", "kx-1")) {
            Answer overlap = node.api().postForm("/kick", Map.of("uid", "ko", "device", "ko-1"));
            assertSuccess(overlap);
            assertThat(overlap.result().asInt()).isEqualTo(2);
            assertEndedByKick(o1, "");
            assertEndedByKick(o2, "");

            Answer json = node.api().postJson("/kick", "{\"uid\": 1967, \"device\": [\"kx-1\"], \"data\": \"json bye\"}");
            assertSuccess(json);
            assertThat(json.result().asInt()).isEqualTo(2);
            assertEndedByKick(n1, "json bye");
            assertEndedByKick(x1, "json bye");

            Answer nobody = node.api().get("/kick", Map.of("uid", "nobody-connected", "device", "no-such-device"));
            assertSuccess(nobody);
            assertThat(nobody.result().asInt()).isZero();
        }
    }

    // ---- /info ----

    @Test
    void infoOnAnOnlineDevice() {
        try (SseClient client = open(node, "ui", "ui-1")) {
            node.api().send(Map.of("device", "ui-1", "data", "for the frame id"));
            Event event = client.next();

            Answer answer = node.api().get("/info", Map.of("device", "ui-1"));
            assertSuccess(answer);
            JsonNode device = answer.result();
            assertThat(fieldNames(device)).containsExactlyInAnyOrder("online", "device_id", "device_name", "uid",
                    "login_time", "instance_address", "device_address", "last_touch_time", "last_frame_id");
            assertOnlineDevice(device, "ui", "ui-1");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                    node.api().get("/info", Map.of("device", "ui-1")).result().path("last_frame_id").asText())
                    .isEqualTo(event.id()));
        }
    }

    @Test
    void infoOnAnOfflineDeviceAndUser() {
        Answer device = node.api().get("/info", Map.of("device", "never-connected-device"));
        assertSuccess(device);
        assertThat(device.result().path("online").isBoolean()).isTrue();
        assertThat(device.result().path("online").asBoolean()).isFalse();
        assertThat(fieldNames(device.result())).contains("online", "device_id", "device_name", "uid", "login_time",
                "instance_address", "device_address", "last_touch_time", "last_frame_id");

        Answer user = node.api().get("/info", Map.of("uid", "never-connected-user"));
        assertSuccess(user);
        assertThat(user.result().path("online").asBoolean()).isFalse();
        assertThat(user.result().path("online").isBoolean()).isTrue();
        assertThat(user.result().path("uid").asText()).isEqualTo("never-connected-user");
        assertThat(user.result().path("devices").isArray()).isTrue();
        assertThat(user.result().path("devices")).isEmpty();
    }

    @Test
    void infoOnAUserListsItsDevices() {
        try (SseClient d1 = open(node, "uu", "uu-1"); SseClient d2 = open(node, "uu", "uu-2")) {
            Answer answer = node.api().get("/info", Map.of("uid", "uu"));
            assertSuccess(answer);
            JsonNode user = answer.result();
            assertThat(fieldNames(user)).containsExactlyInAnyOrder("online", "uid", "login_time", "last_touch_time", "devices");
            assertThat(user.path("online").asBoolean()).isTrue();
            assertThat(user.path("uid").asText()).isEqualTo("uu");
            assertRecentTime(user.path("login_time"));
            assertRecentTime(user.path("last_touch_time"));
            assertThat(user.path("devices")).hasSize(2);
            List<String> names = new ArrayList<>();
            for (JsonNode device : user.path("devices")) {
                assertOnlineDevice(device, "uu", device.path("device_name").asText());
                names.add(device.path("device_name").asText());
            }
            assertThat(names).containsExactlyInAnyOrder("uu-1", "uu-2");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode user = node.api().get("/info", Map.of("uid", "uu")).result();
            assertThat(user.path("online").asBoolean()).isFalse();
            assertThat(user.path("devices")).isEmpty();
        });
    }

    @Test
    void infoOnTheNodeAndTheCluster() throws InterruptedException {
        try (TestNode fresh = TestNode.start(); SseClient c1a = open(fresh, "c1", "c1-a");
             SseClient c1b = open(fresh, "c1", "c1-b")) {
            SseClient c2a = open(fresh, "c2", "c2-a");
            try {
                Answer nodeInfo = fresh.api().get("/info", Map.of("address", fresh.nodeAddress()));
                assertSuccess(nodeInfo);
                JsonNode self = nodeInfo.result();
                assertThat(fieldNames(self)).containsExactlyInAnyOrder("online", "version", "address", "start_time", "device_count");
                assertThat(self.path("online").asBoolean()).isTrue();
                assertThat(self.path("version").asText()).isNotBlank().isNotEqualTo("unknown");
                assertThat(self.path("address").asText()).isEqualTo(fresh.nodeAddress());
                assertRecentTime(self.path("start_time"));
                assertThat(self.path("device_count").asInt()).isEqualTo(3);

                Answer clusterInfo = fresh.api().get("/info", Map.of());
                assertSuccess(clusterInfo);
                JsonNode cluster = clusterInfo.result();
                assertThat(fieldNames(cluster)).containsExactlyInAnyOrder("instance_count", "user_count", "device_count", "instances");
                assertThat(cluster.path("instance_count").asInt()).isEqualTo(1);
                assertThat(cluster.path("user_count").asInt()).isEqualTo(2);
                assertThat(cluster.path("device_count").asInt()).isEqualTo(3);
                assertThat(cluster.path("instances")).hasSize(1);
                assertThat(cluster.path("instances").get(0)).isEqualTo(self);
            } finally {
                c2a.close();
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                JsonNode cluster = fresh.api().postJson("/info", "{}").result();
                assertThat(cluster.path("user_count").asInt()).isEqualTo(1);
                assertThat(cluster.path("device_count").asInt()).isEqualTo(2);
            });

            Answer unknown = fresh.api().get("/info", Map.of("address", "10.9.8.7:8080"));
            assertSuccess(unknown);
            assertThat(unknown.result().path("online").isBoolean()).isTrue();
            assertThat(unknown.result().path("online").asBoolean()).isFalse();
            assertThat(unknown.result().path("address").asText()).isEqualTo("10.9.8.7:8080");
        }
    }

    @Test
    void infoAnswersForTheFirstParameterGiven() {
        try (SseClient client = open(node, "fw", "fw-1")) {
            JsonNode byDevice = node.api().get("/info", Map.of("device", "fw-1", "uid", "other", "address", node.nodeAddress()))
                    .result();
            assertThat(byDevice.has("device_name")).isTrue();
            assertThat(byDevice.path("device_name").asText()).isEqualTo("fw-1");

            JsonNode byUid = node.api().get("/info", Map.of("uid", "fw", "address", node.nodeAddress())).result();
            assertThat(byUid.has("devices")).isTrue();
            assertThat(byUid.path("uid").asText()).isEqualTo("fw");
        }
    }

    @ParameterizedTest
    @EnumSource(Form.class)
    void infoInEveryForm(Form form) {
        String name = form.name().toLowerCase(Locale.ROOT);
        try (SseClient client = open(node, "if-" + name, "if-dev-" + name)) {
            Answer answer = call(node, form, "/info", Map.of("device", "if-dev-" + name));
            assertSuccess(answer);
            assertOnlineDevice(answer.result(), "if-" + name, "if-dev-" + name);

            Answer user = call(node, form, "/info", Map.of("uid", "if-" + name));
            assertSuccess(user);
            assertThat(user.result().path("devices")).hasSize(1);
        }
    }

    // ---- CORS ----

    @Test
    void corsForAConfiguredOrigin() throws InterruptedException {
        try (TestNode cors = TestNode.start(Map.of("http.cors_origins", ORIGIN))) {
            Answer preflight = cors.api().send("OPTIONS", "/send", Map.of("Origin", ORIGIN,
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, x-api-key"));
            assertThat(preflight.status()).isBetween(200, 299);
            assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
            assertThat(preflight.header("Access-Control-Allow-Methods")).contains("GET").contains("POST");
            assertThat(preflight.header("Access-Control-Allow-Headers").toLowerCase(Locale.ROOT))
                    .contains("content-type").contains("x-api-key").contains("authorization").contains("idempotency-key");

            Answer eventsPreflight = cors.api().send("OPTIONS", "/events", Map.of("Origin", ORIGIN,
                    "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "last-event-id"));
            assertThat(eventsPreflight.status()).isBetween(200, 299);
            assertThat(eventsPreflight.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
            assertThat(eventsPreflight.header("Access-Control-Allow-Headers").toLowerCase(Locale.ROOT))
                    .contains("last-event-id").contains("x-sse-token");

            Answer get = cors.api().get("/info", Map.of(), Map.of("Origin", ORIGIN));
            assertSuccess(get);
            assertThat(get.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
            Answer post = cors.api().post("/token", "application/x-www-form-urlencoded", "uid=cors-u", Map.of("Origin", ORIGIN));
            assertSuccess(post);
            assertThat(post.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
            Answer failure = cors.api().post("/send", "application/json", "{}", Map.of("Origin", ORIGIN));
            assertThat(failure.status()).isEqualTo(400);
            assertThat(failure.header("Access-Control-Allow-Origin")).as("a browser must be able to read errors too")
                    .isEqualTo(ORIGIN);

            String token = post.result().asText();
            try (SseClient stream = SseClient.open(cors, "/events?device=cors-d&token=" + token, Map.of("Origin", ORIGIN))) {
                assertThat(stream.status()).isEqualTo(200);
                assertThat(stream.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
            }

            Answer otherPreflight = cors.api().send("OPTIONS", "/send", Map.of("Origin", OTHER_ORIGIN,
                    "Access-Control-Request-Method", "POST"));
            assertThat(otherPreflight.header("Access-Control-Allow-Origin")).isNull();
            // without API keys a page of a site not listed is no local client
            Answer otherGet = cors.api().get("/info", Map.of(), Map.of("Origin", OTHER_ORIGIN));
            assertThat(otherGet.status()).isEqualTo(403);
            assertThat(otherGet.header("Access-Control-Allow-Origin")).isNull();
            try (SseClient stream = SseClient.open(cors, "/events?device=cors-d2&token=" + token,
                    Map.of("Origin", OTHER_ORIGIN))) {
                assertThat(stream.header("Access-Control-Allow-Origin")).isNull();
            }
        }
    }

    @Test
    void corsHeadersAreAlsoOnAnOversizedBodyAnswer() throws InterruptedException {
        try (TestNode cors = TestNode.start(Map.of("http.cors_origins", ORIGIN, "limits.max_body_bytes", "1024"))) {
            Answer tooLarge = cors.api().post("/send", "application/x-www-form-urlencoded", "data=" + "x".repeat(1500),
                    Map.of("Origin", ORIGIN));
            assertFailure(tooLarge, 413, "body");
            // without it the browser hides the answer and the page sees only a network error
            assertThat(tooLarge.header("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
        }
    }

    @Test
    void corsWithAnyOriginAllowsNoCredentials() throws InterruptedException {
        try (TestNode cors = TestNode.start(Map.of("http.cors_origins", "*", "auth.api_keys", API_KEY))) {
            // '*' opens the publisher API to every site's pages only for a caller with a key
            Answer get = cors.api().get("/info", Map.of(), Map.of("Origin", OTHER_ORIGIN, "X-API-Key", API_KEY));
            assertSuccess(get);
            assertThat(get.header("Access-Control-Allow-Origin")).isEqualTo("*");
            assertThat(get.header("Access-Control-Allow-Credentials")).isNull();

            Answer preflight = cors.api().send("OPTIONS", "/token", Map.of("Origin", ORIGIN,
                    "Access-Control-Request-Method", "POST"));
            assertThat(preflight.status()).isBetween(200, 299);
            assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("*");
            assertThat(preflight.header("Access-Control-Allow-Credentials")).isNull();
            assertThat(preflight.header("Access-Control-Allow-Methods")).contains("POST");

            String token = cors.api().get("/token", Map.of("uid", "star-u", "device", "star-d"), Map.of("X-API-Key", API_KEY))
                    .result().asText();
            try (SseClient stream = SseClient.open(cors, "/events?token=" + token, Map.of("Origin", ORIGIN))) {
                assertThat(stream.status()).isEqualTo(200);
                assertThat(stream.header("Access-Control-Allow-Origin")).isEqualTo("*");
                assertThat(stream.header("Access-Control-Allow-Credentials")).isNull();
            }
        }
    }

    @Test
    void noCorsHeadersByDefault() {
        Answer get = node.api().get("/info", Map.of(), Map.of("Origin", ORIGIN));
        assertThat(get.status()).as("a page of another site, without a key").isEqualTo(403);
        assertThat(get.header("Access-Control-Allow-Origin")).isNull();
        Answer preflight = node.api().send("OPTIONS", "/send", Map.of("Origin", ORIGIN, "Access-Control-Request-Method", "POST"));
        assertThat(preflight.header("Access-Control-Allow-Origin")).isNull();
        assertThat(preflight.header("Access-Control-Allow-Methods")).isNull();
        try (SseClient stream = SseClient.open(node, "/events?token=" + node.token("nc-u", "nc-d"), Map.of("Origin", ORIGIN))) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.header("Access-Control-Allow-Origin")).isNull();
        }
    }

    // ---- publisher auth ----

    @Test
    void apiKeyIsRequiredWhenConfigured() throws InterruptedException {
        try (TestNode secured = TestNode.start(Map.of("auth.api_keys", API_KEY))) {
            Api api = secured.api();
            for (String path : List.of("/token", "/send", "/kick", "/info")) {
                Map<String, String> params = Map.of("uid", "key-u", "data", "x");
                assertFailure(api.get(path, params), 401, "API key");
                assertFailure(api.get(path, params, Map.of("X-API-Key", API_KEY + "-wrong")), 401, "API key");
                assertFailure(api.get(path, params, Map.of("Authorization", "Bearer " + API_KEY.substring(1))), 401, "API key");
                assertFailure(api.post(path, "application/x-www-form-urlencoded", Api.form(params), Map.of()), 401, "API key");
                assertSuccess(api.get(path, params, Map.of("X-API-Key", API_KEY)));
                assertSuccess(api.get(path, params, Map.of("Authorization", "Bearer " + API_KEY)));
            }

            Answer token = api.post("/token", "application/json", "{\"uid\":\"key-u\",\"device\":\"key-d\"}",
                    Map.of("X-API-Key", API_KEY));
            assertSuccess(token);
            // the stream itself is authorised by its token, not by an API key
            try (SseClient stream = SseClient.open(secured, "/events?token=" + token.result().asText(), Map.of())) {
                assertThat(stream.status()).isEqualTo(200);
                stream.nextOfType("sys_connected");
                Answer sent = api.post("/send", "application/x-www-form-urlencoded", "uid=key-u&data=keyed",
                        Map.of("Authorization", "Bearer " + API_KEY));
                assertSuccess(sent);
                assertThat(sent.result().asInt()).isEqualTo(1);
                assertThat(stream.next().data()).isEqualTo("keyed");
            }
        }
    }

    @Test
    void withoutKeysOnlyDirectLocalClientsArePublishers() throws InterruptedException {
        try (TestNode proxied = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1"))) {
            Api api = proxied.api();
            for (String path : List.of("/token", "/send", "/kick", "/info")) {
                Map<String, String> params = Map.of("uid", "lo-u", "data", "x");
                assertFailure(api.get(path, params, Map.of("X-Forwarded-For", "203.0.113.7")), 403, "loopback");
                assertFailure(api.get(path, params, Map.of("X-Real-IP", "203.0.113.7")), 403, "loopback");
                assertSuccess(api.get(path, params));
                // forwarded is never local, whatever the chain says: a proxy may pass on what a client made up
                assertFailure(api.get(path, params, Map.of("X-Forwarded-For", "127.0.0.1")), 403, "not through a proxy");
            }
        }
        // from a peer that is not a trusted proxy the header names nobody, but the request was forwarded all the same
        assertFailure(node.api().get("/info", Map.of(), Map.of("X-Forwarded-For", "203.0.113.7")), 403, "loopback");
    }

    @Test
    void withoutKeysABrowsersRequestForAnotherSitesPageIsNotLocal() throws InterruptedException {
        Map<String, String> params = Map.of("uid", "page-u", "data", "x");
        String own = node.baseUrl();
        for (String path : List.of("/token", "/send", "/kick", "/info")) {
            // an image or a form of another site, a sandboxed page
            assertFailure(node.api().get(path, params, Map.of("Sec-Fetch-Site", "cross-site")), 403, "another site");
            assertFailure(node.api().get(path, params, Map.of("Sec-Fetch-Site", "same-site")), 403, "another site");
            assertFailure(node.api().get(path, params, Map.of("Origin", "https://evil.example")), 403, "another site");
            assertFailure(node.api().get(path, params, Map.of("Origin", "null")), 403, "another site");
            // the node's own page (the demo page), an address typed in, a back end's client
            assertSuccess(node.api().get(path, params, Map.of("Origin", own, "Sec-Fetch-Site", "same-origin")));
            assertSuccess(node.api().get(path, params, Map.of("Sec-Fetch-Site", "none")));
            assertSuccess(node.api().get(path, params));
        }
        // a DNS name its owner rebound to 127.0.0.1: the browser thinks the page and the node are one origin, and
        // sends a GET of its own site over plain HTTP without Origin or Sec-Fetch-Site
        assertThat(rawGetStatus(node.port(), "rebound.example:" + node.port())).isEqualTo(403);
        for (String loopback : List.of("localhost:" + node.port(), "127.0.0.1:" + node.port(), "[::1]:" + node.port(),
                "app.localhost", "127.0.0.2")) {
            assertThat(rawGetStatus(node.port(), loopback)).as("Host: %s", loopback).isEqualTo(200);
        }
        // the name the node is configured to give itself is its own
        try (TestNode named = TestNode.start(Map.of("server.address", "broker.internal:8080"))) {
            assertThat(rawGetStatus(named.port(), "broker.internal:8080")).isEqualTo(200);
            assertThat(rawGetStatus(named.port(), "other.internal:8080")).isEqualTo(403);
        }
        // a site the operator lists is theirs; '*' opens the streams to every site, not the publisher API
        try (TestNode listing = TestNode.start(Map.of("http.cors_origins", "https://app.example"));
                TestNode any = TestNode.start(Map.of("http.cors_origins", "*"))) {
            assertSuccess(listing.api().get("/info", params, Map.of("Origin", "https://app.example")));
            assertFailure(listing.api().get("/info", params, Map.of("Origin", "https://evil.example")), 403,
                    "another site");
            assertFailure(any.api().get("/info", params, Map.of("Origin", "https://evil.example")), 403,
                    "another site");
        }
    }

    /** The status of {@code GET /info} sent with this Host and no other header, as a browser's plain GET of its site. */
    private static int rawGetStatus(int port, String host) {
        try (RawConnection connection = new RawConnection(port)) {
            connection.write("GET /info?uid=page-u HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .read(Duration.ofSeconds(5));
            return connection.status();
        }
    }

    // ---- paths, methods, page ----

    @Test
    void unknownPathIs404WithTheEnvelope() {
        assertFailure(node.api().get("/nope", Map.of()), 404, "/nope");
        assertFailure(node.api().postJson("/sendx", "{\"data\":\"x\"}"), 404, "/sendx");
    }

    @Test
    void wrongMethodsAre405WithTheEnvelope() {
        for (String path : List.of("/token", "/send", "/kick", "/info")) {
            assertFailure(node.api().send("PUT", path, Map.of()), 405, "PUT");
            assertFailure(node.api().send("DELETE", path, Map.of()), 405, "DELETE");
        }
        assertFailure(node.api().post("/events", "application/x-www-form-urlencoded", "token=x", Map.of()), 405, "POST");
        assertFailure(node.api().send("DELETE", "/events", Map.of()), 405, "DELETE");
    }

    @Test
    void rootServesTheDemoPage() {
        Answer page = node.api().get("/", Map.of());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.response().body()).contains("EventSource");
    }

    // ---- helpers ----

    private static Answer call(TestNode target, Form form, String path, Map<String, String> params) {
        Api api = target.api();
        return switch (form) {
            case QUERY -> api.get(path, params);
            case JSON -> api.postJson(path, (Object) params);
            case JSON_CHARSET -> api.post(path, "application/json; charset=utf-8", json(params), Map.of());
            case FORM -> api.postForm(path, params);
            case FORM_CHARSET -> api.post(path, "application/x-www-form-urlencoded; charset=utf-8", Api.form(params), Map.of());
            case MULTIPART -> api.postMultipart(path, params);
            case MULTIPART_CHARSET -> {
                String boundary = "b0undary-" + System.nanoTime();
                yield api.post(path, "multipart/form-data; charset=utf-8; boundary=" + boundary, multipart(boundary, params),
                        Map.of());
            }
        };
    }

    private static String multipart(String boundary, Map<String, String> params) {
        StringBuilder body = new StringBuilder();
        params.forEach((name, value) -> body.append("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"").append(name).append("\"\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
                .append(value).append("\r\n"));
        return body.append("--").append(boundary).append("--\r\n").toString();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A connected stream whose opening event has been read. */
    private static SseClient open(TestNode target, String uid, String device) {
        SseClient client = SseClient.open(target, "/events?device=" + URLEncoder.encode(device, StandardCharsets.UTF_8),
                Map.of("X-SSE-TOKEN", target.token(uid, device)));
        assertThat(client.status()).as("connect %s/%s: %s", uid, device, client.body()).isEqualTo(200);
        assertThat(client.next().event()).isEqualTo("sys_connected");
        return client;
    }

    private static int sendCount(Map<String, String> params) {
        Answer answer = node.api().postForm("/send", params);
        assertSuccess(answer);
        return answer.result().asInt();
    }

    private static List<String> dataUntil(SseClient client, String last) {
        List<String> seen = new ArrayList<>();
        while (seen.isEmpty() || !seen.get(seen.size() - 1).equals(last)) {
            Event event = client.next(Duration.ofSeconds(5));
            assertThat(event).as("stream ended after %s", seen).isNotNull();
            seen.add(event.data());
        }
        return seen;
    }

    private static long lifetime(Map<String, String> params) {
        Answer answer = node.api().get("/token", params);
        assertSuccess(answer);
        JsonNode claims = jwtPart(answer.result().asText(), 1);
        return claims.path("exp").asLong() - claims.path("iat").asLong();
    }

    private static void assertEndedByKick(SseClient client, String data) {
        List<Event> events = client.readUntilClosed(Duration.ofSeconds(5));
        assertThat(events).as("events before the close").isNotEmpty();
        Event last = events.get(events.size() - 1);
        assertThat(last.event()).isEqualTo("sys_kick_offline");
        assertThat(last.data()).isEqualTo(data);
        assertThat(client.isClosedByServer()).isTrue();
    }

    private static void assertOnlineDevice(JsonNode device, String uid, String name) {
        assertThat(device.path("online").isBoolean()).isTrue();
        assertThat(device.path("online").asBoolean()).isTrue();
        assertThat(device.path("device_id").asText()).isNotEmpty();
        assertThat(device.path("device_name").asText()).isEqualTo(name);
        assertThat(device.path("uid").asText()).isEqualTo(uid);
        assertRecentTime(device.path("login_time"));
        assertRecentTime(device.path("last_touch_time"));
        assertThat(device.path("instance_address").asText()).isEqualTo(node.nodeAddress());
        assertThat(device.path("device_address").asText()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(device.path("last_frame_id").isTextual()).isTrue();
    }

    private static void assertRecentTime(JsonNode value) {
        assertThat(value.asText()).matches(TIME_PATTERN);
        LocalDateTime time = LocalDateTime.parse(value.asText(), TIME);
        LocalDateTime now = LocalDateTime.now();
        assertThat(time).isBetween(now.minusMinutes(5), now.plusSeconds(5));
    }

    private static void assertSuccess(Answer answer) {
        assertThat(answer.status()).as("status of %s", answer.response().body()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        JsonNode json = answer.json();
        assertThat(fieldNames(json)).containsExactly("code", "msg", "micro", "result");
        assertThat(json.path("code").isInt()).isTrue();
        assertThat(json.path("code").asInt()).isEqualTo(1);
        assertThat(json.path("msg").asText()).isEqualTo("success");
        assertThat(json.path("micro").isIntegralNumber()).isTrue();
        assertThat(json.path("micro").asLong()).isNotNegative();
    }

    private static void assertFailure(Answer answer, int status, String msgPart) {
        assertThat(answer.status()).as("status of %s", answer.response().body()).isEqualTo(status);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertEnvelopeFailure(answer.response().body(), status, msgPart);
    }

    private static void assertEnvelopeFailure(String body, int status, String msgPart) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
        assertThat(json.path("code").asInt()).as("code in %s", body).isEqualTo(status);
        assertThat(json.path("msg").asText()).contains(msgPart);
        assertThat(json.path("micro").isIntegralNumber()).isTrue();
        assertThat(json.path("result").isTextual()).isTrue();
        assertThat(json.path("result").asText()).isEmpty();
    }

    private static JsonNode jwtPart(String jwt, int index) {
        String[] parts = jwt.split("\\.");
        assertThat(parts).as("a JWT has three parts: %s", jwt).hasSize(3);
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(parts[index]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
