package io.ssebroker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests of every kind, each sent as raw bytes so that nothing in a client library repairs or refuses it
 * first. Each must be answered with the envelope naming the field, and must leave the node serving: a stream
 * opened before the whole table still gets the next message, and nothing of the bad request reaches it.
 */
class BadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final String JSON_TYPE = "application/json";
    private static final String OTHER_SECRET = "another-secret-that-is-also-32-bytes-or-more";
    private static final String KICKED_UID = "bad-kicked-user";
    private static final int MAX_MESSAGE_BYTES = 1024;
    private static final int MAX_BODY_BYTES = 2048;
    private static final int MAX_HEADER_BYTES = 4096;

    private static TestNode node;
    private static SseClient watcher;
    private static final AtomicInteger rowsRun = new AtomicInteger();

    /** One bad request and what the user must see. */
    record Row(String name, String method, String target, Map<String, String> headers, String contentType, String body,
               int status, String msgPart) {
        @Override
        public String toString() {
            return name;
        }

        Row header(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Row(name, method, target, more, contentType, body, status, msgPart);
        }
    }

    @BeforeAll
    static void start() {
        try {
            node = TestNode.start(Map.of(
                    "limits.max_message_bytes", Integer.toString(MAX_MESSAGE_BYTES),
                    "limits.max_targets", "5",
                    "limits.max_body_bytes", Integer.toString(MAX_BODY_BYTES),
                    "limits.max_header_bytes", Integer.toString(MAX_HEADER_BYTES)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        watcher = node.connect("watcher", "watcher-dev");
        assertThat(watcher.status()).isEqualTo(200);
        assertThat(watcher.nextOfType("sys_connected")).isNotNull();
        // tokens of this uid minted before now are revoked, which is what the 204 row relies on
        assertThat(node.api().get("/kick", Map.of("uid", KICKED_UID)).status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (watcher != null) {
            watcher.close();
        }
        if (node != null) {
            node.close();
        }
    }

    static Stream<Row> rows() {
        String long129 = "u".repeat(129);
        long now = System.currentTimeMillis();
        return Stream.of(
                // /token: uid
                get("token without uid", "/token", 400, "uid"),
                get("token with ttl but no uid", "/token?ttl=60", 400, "uid"),
                get("token with empty uid", "/token?uid=", 400, "uid"),
                get("token with whitespace-only uid", "/token?uid=%20%20%09%20", 400, "uid"),
                get("token with uid of 129 chars", "/token?uid=" + long129, 400, "uid"),
                get("token with comma in uid", "/token?uid=a%2Cb", 400, "uid"),
                get("token with CR in uid", "/token?uid=a%0Db", 400, "uid"),
                get("token with LF in uid", "/token?uid=a%0Ab", 400, "uid"),
                get("token with NUL in uid", "/token?uid=a%00b", 400, "uid"),
                get("token with NUL at the end of uid", "/token?uid=a%00", 400, "uid"),
                get("token with LF at the start of device", "/token?uid=a&device=%0Ad", 400, "device"),
                get("token with TAB in uid", "/token?uid=a%09b", 400, "uid"),
                get("token with uid given twice", "/token?uid=a&uid=b", 400, "uid"),
                post("token with uid as JSON array", "/token", JSON_TYPE, "{\"uid\":[\"a\",\"b\"]}", 400, "uid"),
                post("token with uid as nested JSON object", "/token", JSON_TYPE, "{\"uid\":{\"id\":\"a\"}}", 400, "uid"),
                post("token with half of a surrogate pair in uid", "/token", JSON_TYPE, "{\"uid\":\"a\\ud83d\"}", 400, "uid"),
                post("token with a uid of 129 emoji", "/token", JSON_TYPE, "{\"uid\":\"" + "\ud83d\ude00".repeat(129) + "\"}",
                        400, "uid"),
                post("token with empty JSON body", "/token", JSON_TYPE, "", 400, "uid"),
                post("token with empty body and no Content-Type", "/token", null, "", 400, "uid"),
                post("token with LF in uid in multipart", "/token", "multipart/form-data; boundary=XyZ",
                        multipart("XyZ", "uid", "a\nb"), 400, "uid"),
                post("token with device containing a comma", "/token", FORM, "uid=a&device=d1%2Cd2", 400, "device"),
                // /token: ttl
                get("token with text ttl", "/token?uid=a&ttl=abc", 400, "ttl"),
                get("token with zero ttl", "/token?uid=a&ttl=0", 400, "ttl"),
                get("token with negative ttl", "/token?uid=a&ttl=-5", 400, "ttl"),
                get("token with fractional ttl", "/token?uid=a&ttl=1.5", 400, "ttl"),
                post("token with fractional JSON ttl", "/token", JSON_TYPE, "{\"uid\":\"a\",\"ttl\":1.5}", 400, "ttl"),
                post("token with text ttl in form with charset", "/token", FORM + "; charset=utf-8", "uid=a&ttl=ten",
                        400, "ttl"),
                // bodies
                post("JSON body that is an array", "/token", JSON_TYPE, "[{\"uid\":\"a\"}]", 400, "body"),
                post("JSON body that is a string", "/token", JSON_TYPE, "\"uid\"", 400, "body"),
                post("JSON body that is a number", "/send", JSON_TYPE, "42", 400, "body"),
                post("JSON body that is null", "/send", JSON_TYPE, "null", 400, "body"),
                post("send with half of a surrogate pair in data", "/send", JSON_TYPE, "{\"data\":\"a\\ud83d\"}", 400, "data"),
                post("send to a uid that is null", "/send", JSON_TYPE, "{\"data\":\"x\",\"uid\":null}", 400, "uid"),
                post("send to a device that is null", "/send", JSON_TYPE, "{\"data\":\"x\",\"device\":null}", 400, "device"),
                post("token for a device that is null", "/token", JSON_TYPE, "{\"uid\":\"a\",\"device\":null}", 400, "device"),
                post("invalid JSON", "/token", JSON_TYPE, "{\"uid\": \"a\"", 400, "body"),
                post("invalid JSON with charset", "/send", JSON_TYPE + "; charset=utf-8", "{data: x}", 400, "body"),
                post("form body with malformed percent-encoding", "/token", FORM, "uid=%zz", 400, "body"),
                post("form body with an escape that is not UTF-8", "/send", FORM, "data=x&uid=Jos%E9", 400, "UTF-8"),
                post("form body in a charset there is none of", "/send", FORM + "; charset=x-none", "data=x", 415,
                        "charset"),
                get("query with an escape that is not UTF-8", "/token?uid=%FF", 400, "URL"),
                post("JSON body with a repeated name", "/send", JSON_TYPE, "{\"data\":\"x\",\"uid\":\"a\",\"uid\":\"b\"}",
                        400, "body"),
                post("JSON body with a second object after the first", "/send", JSON_TYPE,
                        "{\"data\":\"x\",\"uid\":\"a\"}{\"data\":\"y\"}", 400, "body"),
                post("multipart body without a boundary", "/send", "multipart/form-data", "data=x", 400, "boundary"),
                post("multipart body cut before its closing boundary", "/send", "multipart/form-data; boundary=XyZ",
                        multipart("XyZ", "data", "x").replace("--XyZ--\r\n", ""), 400, "closing boundary"),
                post("multipart body under another boundary", "/send", "multipart/form-data; boundary=Other",
                        multipart("XyZ", "data", "x"), 400, "closing boundary"),
                post("multipart body with its type in capitals and LF in uid", "/token",
                        "Multipart/Form-Data; Boundary=XyZ", multipart("XyZ", "uid", "a\nb"), 400, "uid"),
                post("body over limits.max_body_bytes announced with Expect: 100-continue", "/send", FORM,
                        "data=" + "x".repeat(MAX_BODY_BYTES + 100), 413, "body").header("Expect", "100-continue"),
                post("an expectation other than 100-continue", "/send", FORM, "data=x", 417, "Expect")
                        .header("Expect", "something-else"),
                post("batch send with the idempotency key in the query", "/send?idempotency_key=k1", JSON_TYPE,
                        "[{\"data\":\"x\",\"uid\":\"a\"}]", 400, "idempotency_key"),
                post("text/plain body", "/token", "text/plain", "uid=a", 415, "Content-Type"),
                post("application/xml body", "/send", "application/xml", "<data>x</data>", 415, "Content-Type"),
                post("POST body without Content-Type", "/send", null, "data=x", 415, "Content-Type"),
                post("body over limits.max_body_bytes", "/send", FORM, "data=" + "x".repeat(MAX_BODY_BYTES + 100),
                        413, "body"),
                post("body over limits.max_body_bytes with an HTTP/2 upgrade asked for", "/send", FORM,
                        "data=" + "x".repeat(MAX_BODY_BYTES + 100), 413, "body").header("Upgrade", "h2c")
                        .header("Connection", "Upgrade, HTTP2-Settings").header("HTTP2-Settings", "AAMAAABkAAQAAP__"),
                post("the same announced with Expect: 100-continue", "/send", FORM,
                        "data=" + "x".repeat(MAX_BODY_BYTES + 100), 413, "body").header("Upgrade", "h2c")
                        .header("Connection", "Upgrade, HTTP2-Settings").header("HTTP2-Settings", "AAMAAABkAAQAAP__")
                        .header("Expect", "100-continue"),
                get("headers over limits.max_header_bytes", "/token?uid=a", 413, "header")
                        .header("X-Filler", "f".repeat(MAX_HEADER_BYTES + 500)),
                get("malformed percent-encoding in the query", "/token?uid=%zz", 400, "uid"),
                get("request line over limits.max_header_bytes", "/token?uid=a&pad=" + "p".repeat(MAX_HEADER_BYTES + 10),
                        413, "request line"),
                post("chunked body over limits.max_body_bytes", "/send", JSON_TYPE,
                        chunked("{\"data\":\"" + "x".repeat(MAX_BODY_BYTES) + "\"}"), 413, "body")
                        .header("Transfer-Encoding", "chunked"),
                post("chunked text/plain body", "/send", "text/plain", chunked("data=x"), 415, "Content-Type")
                        .header("Transfer-Encoding", "chunked"),
                get("header name with a space", "/token?uid=a", 400, "HTTP").header("Bad Header", "x"),
                request("request line with an extra part", "GET", "/token?uid=a HTTP/1.1 extra", null, null, 400, "HTTP"),
                // /send
                post("send without data", "/send", FORM, "event=chat", 400, "data"),
                post("send with empty data", "/send", FORM, "data=", 400, "data"),
                post("send with data given twice", "/send", FORM, "data=a&data=b", 400, "data"),
                post("send with null JSON data", "/send", JSON_TYPE, "{\"data\":null}", 400, "data"),
                post("send with data as nested JSON object", "/send", JSON_TYPE, "{\"data\":{\"text\":\"x\"}}", 400, "data"),
                post("send with data over limits.max_message_bytes", "/send", FORM,
                        "data=" + "x".repeat(MAX_MESSAGE_BYTES + 1), 413, "data"),
                post("send with multi-byte data over limits.max_message_bytes (counted in bytes)", "/send", JSON_TYPE,
                        "{\"data\":\"" + "\u00e9".repeat(MAX_MESSAGE_BYTES / 2 + 88) + "\"}", 413, "data"),
                post("send with sys_ event", "/send", FORM, "data=x&event=sys_connected", 400, "event"),
                post("send with other sys_ event", "/send", FORM, "data=x&event=sys_anything", 400, "event"),
                post("send with LF in event", "/send", FORM, "data=x&event=chat%0Adata%3A%20injected", 400, "event"),
                post("send with CR in event", "/send", JSON_TYPE, "{\"data\":\"x\",\"event\":\"a\\rb\"}", 400, "event"),
                post("send with event of 129 chars", "/send", FORM, "data=x&event=" + "e".repeat(129), 400, "event"),
                post("send with event given twice", "/send", FORM, "data=x&event=a&event=b", 400, "event"),
                post("send with comma inside a JSON device element", "/send", JSON_TYPE,
                        "{\"data\":\"x\",\"device\":[\"d1,d2\"]}", 400, "device"),
                post("send with comma inside a JSON uid element", "/send", JSON_TYPE,
                        "{\"data\":\"x\",\"uid\":[\"u1\",\"u2,u3\"]}", 400, "uid"),
                post("send with empty element in device list", "/send", FORM, "data=x&device=d1,,d2", 400, "device"),
                post("send with trailing comma in uid list", "/send", FORM, "data=x&uid=u1,", 400, "uid"),
                post("send with empty uid", "/send", FORM, "data=x&uid=", 400, "uid"),
                post("send with NUL in uid", "/send", FORM, "data=x&uid=u%00v", 400, "uid"),
                post("send with uid as nested JSON array", "/send", JSON_TYPE, "{\"data\":\"x\",\"uid\":[[\"u1\"]]}",
                        400, "uid"),
                post("send with device of 129 chars", "/send", FORM, "data=x&device=" + "d".repeat(129), 400, "device"),
                post("send to too many uids", "/send", FORM, "data=x&uid=u1,u2,u3,u4,u5,u6", 413, "uid"),
                post("send to too many uids and devices", "/send", JSON_TYPE,
                        "{\"data\":\"x\",\"uid\":[\"u1\",\"u2\",\"u3\"],\"device\":[\"d1\",\"d2\",\"d3\"]}", 413, "device"),
                // /kick
                get("kick with neither uid nor device", "/kick?data=bye", 400, "uid"),
                post("kick with empty uid and device", "/kick", FORM, "uid=&device=", 400, "uid"),
                get("kick with LF in device", "/kick?device=d%0A1", 400, "device"),
                get("kick with data given twice", "/kick?uid=nobody&data=x&data=y", 400, "data"),
                post("kick with data as an empty JSON array", "/kick", JSON_TYPE, "{\"uid\":\"nobody\",\"data\":[]}", 400,
                        "data"),
                get("kick with data over limits.max_message_bytes", "/kick?uid=nobody&data="
                        + "k".repeat(MAX_MESSAGE_BYTES + 1), 413, "data"),
                // /info
                get("info with LF in device", "/info?device=a%0Ab", 400, "device"),
                get("info with uid of 129 chars", "/info?uid=" + long129, 400, "uid"),
                get("info with device given twice", "/info?device=a&device=b", 400, "device"),
                get("info with NUL in address", "/info?address=127.0.0.1%00x", 400, "address"),
                // paths and methods
                get("unknown path", "/nope", 404, "path"),
                get("unknown path below a known one", "/send/extra?data=x", 404, "path"),
                request("PUT on /send", "PUT", "/send", FORM, "data=x", 405, "method"),
                request("DELETE on /token", "DELETE", "/token?uid=a", null, null, 405, "method"),
                request("PATCH on /kick", "PATCH", "/kick?uid=a", null, null, 405, "method"),
                request("POST on /events", "POST", "/events", FORM, "token=x", 405, "method"),
                // /events
                get("events without token", "/events?device=d1", 401, "token"),
                get("events with a garbage token", "/events?device=d1&token=garbage", 401, "token"),
                get("events with a garbage bearer token", "/events?device=d1", 401, "token")
                        .header("Authorization", "Bearer not.a.jwt"),
                get("events with a token signed by another secret", "/events?device=d1&token="
                        + jwt(OTHER_SECRET, claims("bad-u", null, now, now + 3_600_000)), 401, "token"),
                get("events with an expired token", "/events?device=d1&token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now - 600_000, now - 120_000)), 401, "token"),
                get("events with an alg none token", "/events?device=d1&token="
                        + new PlainJWT(claims("bad-u", null, now, now + 3_600_000)).serialize(), 401, "token"),
                get("events with a token without uid or sub", "/events?device=d1&token="
                        + jwt(TestNode.SECRET, new JWTClaimsSet.Builder().issueTime(new Date(now))
                                .expirationTime(new Date(now + 3_600_000)).build()), 401, "token"),
                get("events with a token bound to another device", "/events?device=dev-b&token="
                        + jwt(TestNode.SECRET, claims("bad-u", "dev-a", now, now + 3_600_000)), 403, "device"),
                get("events with a token bound to the device with a wide space after it", "/events?device=dev-a&token="
                        + jwt(TestNode.SECRET, claims("bad-u", "dev-a\u3000", now, now + 3_600_000)), 403, "device"),
                get("events with a valid token padded with characters the decoder skips", "/events?device=d1&token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)) + "~~~~", 401, "token"),
                get("events with a valid token with a character the decoder skips inside", "/events?device=d1&token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)).replaceFirst("\\.", ".~"),
                        401, "token"),
                get("events with a header device other than the token's", "/events", 403, "device")
                        .header("X-SSE-TOKEN", jwt(TestNode.SECRET, claims("bad-u", "dev-a", now, now + 3_600_000)))
                        .header("X-SSE-DEVICE", "dev-b"),
                get("events with the token given twice", "/events?device=d1&token=a&token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)), 400, "token"),
                get("events with the device given twice", "/events?device=d1&device=d2&token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)), 400, "device"),
                get("events without any device", "/events?token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)), 400, "device"),
                get("events with control chars in device", "/events?device=d%01x&token="
                        + jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)), 400, "device"),
                get("events with a comma in the header device", "/events", 400, "device")
                        .header("X-SSE-TOKEN", jwt(TestNode.SECRET, claims("bad-u", null, now, now + 3_600_000)))
                        .header("X-SSE-DEVICE", "d1,d2"),
                get("events with a token issued before a kick of its uid", "/events?device=kicked-dev&token="
                        + jwt(TestNode.SECRET, claims(KICKED_UID, null, now - 60_000, now + 3_600_000)), 204, ""));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("rows")
    void isRefusedAndLeavesTheNodeServing(Row row) throws IOException {
        Raw answer = Raw.exchange(node, row);

        assertThat(answer.status).as("HTTP status of %s", row).isEqualTo(row.status);
        if (row.status == 204) {
            assertThat(answer.body).as("body of a 204").isEmpty();
        } else {
            assertThat(answer.header("content-type")).as("content type").startsWith("application/json");
            JsonNode envelope = JSON.readTree(answer.body);
            assertThat(envelope.path("code").asInt()).as("code in %s", answer.body).isEqualTo(row.status);
            assertThat(envelope.path("msg").isTextual()).as("msg is text in %s", answer.body).isTrue();
            assertThat(envelope.path("msg").asText()).as("msg").isNotBlank().contains(row.msgPart);
            assertThat(envelope.path("micro").isNumber()).as("micro is a number in %s", answer.body).isTrue();
            assertThat(envelope.path("result").isTextual()).as("result is text in %s", answer.body).isTrue();
            assertThat(envelope.path("result").asText()).as("result").isEmpty();
        }

        assertStillServing(row);
    }

    @Test
    void anIdentifierIsCountedInCharactersNotJavaChars() {
        Api.Answer answer = node.api().postJson("/token", "{\"uid\":\"" + "\ud83d\ude00".repeat(128) + "\"}");
        assertThat(answer.status()).as(answer.msg()).isEqualTo(200);
    }

    /** A device named in a header in UTF-8 is the device of that name in the token (and in the query string). */
    @Test
    void aDeviceNamedInAHeaderIsReadAsUtf8() {
        long now = System.currentTimeMillis();
        Row connect = get("events naming its device in a header", "/events?token="
                + jwt(TestNode.SECRET, claims("utf8-u", "caf\u00e9-\u8bbe\u5907", now, now + 3_600_000)), 200, "")
                .header("X-SSE-DEVICE", "caf\u00e9-\u8bbe\u5907");
        assertThat(Raw.exchange(node, connect).status()).isEqualTo(200);
    }

    /**
     * The token is taken from the first source that gives one: what the later ones hold (here an {@code Authorization}
     * header of a proxy's that is not UTF-8) does not refuse the connection; a token that is not text is a bad token.
     */
    @Test
    void onlyTheSourceTheTokenIsTakenFromIsRead() {
        long now = System.currentTimeMillis();
        String token = jwt(TestNode.SECRET, claims("first-source-u", "d1", now, now + 3_600_000));
        try (RawConnection connection = new RawConnection(node.port())) {
            connection.write("GET /events?token=a&token=b HTTP/1.1\r\nHost: " + node.host() + ":" + node.port()
                    + "\r\nX-SSE-TOKEN: " + token + "\r\nAuthorization: Basic \u00ff\u00fe\r\n\r\n");
            assertThat(statusOf(connection)).isEqualTo(200);
        }
        try (RawConnection connection = new RawConnection(node.port())) {
            connection.write("GET /events?token=" + token + " HTTP/1.1\r\nHost: " + node.host() + ":" + node.port()
                    + "\r\nAuthorization: Basic \u00ff\u00fe\r\n\r\n");
            assertThat(statusOf(connection)).as("a proxy's credential is no token").isEqualTo(200);
        }
        try (RawConnection connection = new RawConnection(node.port())) {
            connection.write("GET /events?device=d1 HTTP/1.1\r\nHost: " + node.host() + ":" + node.port()
                    + "\r\nConnection: close\r\nAuthorization: Bearer \u00ff\r\n\r\n");
            String answer = connection.read(Duration.ofSeconds(2));
            assertThat(connection.status()).as("a bearer token that is not UTF-8").isEqualTo(401);
            assertThat(answer).containsIgnoringCase("WWW-Authenticate: Bearer").contains("token: Authorization: not UTF-8");
        }
    }

    /** The status of the answer on a stream that stays open: read until its head has come. */
    private static int statusOf(RawConnection connection) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (connection.status() < 0 && !connection.closedByServer() && System.nanoTime() < deadline) {
            connection.read(Duration.ofMillis(200));
        }
        return connection.status();
    }

    /** A request target in absolute form, as a client configured with a proxy sends it, is read by its path. */
    @Test
    void aTargetInAbsoluteFormIsReadByItsPath() {
        String authority = node.host() + ":" + node.port();
        assertThat(Raw.exchange(node, request("absolute form", "GET", "http://" + authority + "/healthz", null, null, 200, ""))
                .status()).isEqualTo(200);
        Raw info = Raw.exchange(node, request("absolute form with a query", "GET", "http://" + authority + "?uid=watcher",
                null, null, 200, ""));
        assertThat(info.status()).as("no path is the root page, not /info").isEqualTo(200);
    }

    @Test
    void aMethodNotAllowedNamesTheMethodsThatAre() {
        assertThat(Raw.exchange(node, request("PUT on /send", "PUT", "/send", FORM, "data=x", 405, "method"))
                .header("allow")).isEqualTo("GET, POST, OPTIONS");
        assertThat(Raw.exchange(node, request("POST on /events", "POST", "/events", FORM, "token=x", 405, "method"))
                .header("allow")).isEqualTo("GET, OPTIONS");
    }

    /**
     * The watcher must see exactly the marker next: had the bad request leaked into a stream (a broadcast that should
     * have been refused, an injected frame), that would arrive first.
     */
    private static void assertStillServing(Row row) {
        String marker = "alive after #" + rowsRun.incrementAndGet() + ": " + row.name;
        Api.Answer sent = node.api().postForm("/send", Map.of("uid", "watcher", "data", marker));
        assertThat(sent.status()).as("send after the row").isEqualTo(200);
        assertThat(sent.result().asInt()).isEqualTo(1);
        SseClient.Event event = watcher.next(Duration.ofSeconds(5));
        assertThat(event).as("the watcher's stream is still open").isNotNull();
        assertThat(event.event()).isEqualTo("message");
        assertThat(event.data()).isEqualTo(marker);
        assertThat(node.api().get("/healthz", Map.of()).status()).isEqualTo(200);
    }

    private static Row get(String name, String target, int status, String msgPart) {
        return new Row(name, "GET", target, Map.of(), null, null, status, msgPart);
    }

    private static Row post(String name, String target, String contentType, String body, int status, String msgPart) {
        return new Row(name, "POST", target, Map.of(), contentType, body, status, msgPart);
    }

    private static Row request(String name, String method, String target, String contentType, String body, int status,
                               String msgPart) {
        return new Row(name, method, target, Map.of(), contentType, body, status, msgPart);
    }

    private static String multipart(String boundary, String field, String value) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"\r\n\r\n" + value + "\r\n--"
                + boundary + "--\r\n";
    }

    /** The body as two chunks, so that the size is only known once it has arrived. */
    private static String chunked(String body) {
        int half = body.length() / 2;
        return Integer.toHexString(half) + "\r\n" + body.substring(0, half) + "\r\n"
                + Integer.toHexString(body.length() - half) + "\r\n" + body.substring(half) + "\r\n0\r\n\r\n";
    }

    private static JWTClaimsSet claims(String uid, String device, long issuedAt, long expires) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(uid).claim("uid", uid)
                .issueTime(new Date(issuedAt)).expirationTime(new Date(expires));
        if (device != null) {
            claims.claim("device_name", device);
        }
        return claims.build();
    }

    private static String jwt(String secret, JWTClaimsSet claims) {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    /** One HTTP/1.1 exchange over a fresh socket, the request written byte for byte as the row gives it. */
    record Raw(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        static Raw exchange(TestNode node, Row row) {
            byte[] body = row.body == null ? null : row.body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(row.method + " " + row.target + " HTTP/1.1\r\n")
                    .append("Host: ").append(node.host()).append(':').append(node.port()).append("\r\n")
                    .append("Connection: close\r\n");
            row.headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            if (row.contentType != null) {
                head.append("Content-Type: ").append(row.contentType).append("\r\n");
            }
            if (body != null && !row.headers.containsKey("Transfer-Encoding")) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            try (Socket socket = new Socket(node.host(), node.port())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(head.toString().getBytes(StandardCharsets.UTF_8));
                if (body != null) {
                    out.write(body);
                }
                out.flush();
                InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                String statusLine = line(in);
                int status = Integer.parseInt(statusLine.split(" ")[1]);
                Map<String, String> headers = new LinkedHashMap<>();
                for (String line = line(in); !line.isEmpty(); line = line(in)) {
                    int colon = line.indexOf(':');
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                }
                String text = "";
                if (headers.containsKey("content-length")) {
                    text = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
                } else if (status != 204 && status != 200) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                return new Raw(status, headers, text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed in the response head");
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
