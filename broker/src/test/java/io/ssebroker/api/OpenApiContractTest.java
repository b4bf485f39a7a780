package io.ssebroker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.yaml against the real answers of a node: for every endpoint, successes and errors, the status must be
 * one the description names for that path and method, the content type one it lists, and a JSON body must match its
 * schema. The node serves the same description at /openapi.yaml.
 */
class OpenApiContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "contract-test-api-key-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static JsonNode openApi;
    private static TestNode node;
    private final List<String> checked = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        openApi = new YAMLMapper().readTree(Path.of("docs/openapi.yaml").toFile());
        node = TestNode.start(Map.of("auth.api_keys", KEY, "http.trusted_proxies", "127.0.0.1",
                "limits.max_devices_per_user", "1", "limits.max_targets", "3"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private record Exchange(String method, String path, int status, String contentType, String body) {
    }

    private static Exchange call(String method, String pathAndQuery, String contentType, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        String path = pathAndQuery.contains("?") ? pathAndQuery.substring(0, pathAndQuery.indexOf('?')) : pathAndQuery;
        return new Exchange(method.toLowerCase(Locale.ROOT), path, response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(null), response.body());
    }

    private static Exchange get(String pathAndQuery, String... headers) throws Exception {
        return call("GET", pathAndQuery, null, null, withKey(headers));
    }

    private static Exchange postJson(String path, String json, String... headers) throws Exception {
        return call("POST", path, "application/json", json, withKey(headers));
    }

    private static String[] withKey(String[] headers) {
        for (String header : headers) {
            if (header.equalsIgnoreCase("X-API-Key") || header.equalsIgnoreCase("X-Forwarded-For")) {
                return headers;
            }
        }
        String[] all = java.util.Arrays.copyOf(headers, headers.length + 2);
        all[headers.length] = "X-API-Key";
        all[headers.length + 1] = KEY;
        return all;
    }

    /** A connect token minted with the node's API key (null device: a token bound to none). */
    private static String token(String uid, String device) throws Exception {
        Exchange minted = get("/token?uid=" + uid + (device == null ? "" : "&device=" + device));
        return JSON.readTree(minted.body()).path("result").asText();
    }

    /** Checks one answer against the description; returns its JSON body when it has one. */
    private JsonNode conforms(Exchange exchange) throws Exception {
        String where = exchange.method() + " " + exchange.path() + " " + exchange.status();
        JsonNode operation = openApi.path("paths").path(exchange.path()).path(exchange.method());
        assertThat(operation.isMissingNode()).as("%s: the path and method are described", where).isFalse();
        JsonNode response = resolve(operation.path("responses").path(Integer.toString(exchange.status())));
        assertThat(response.isMissingNode()).as("%s: the status is described", where).isFalse();
        checked.add(where);
        JsonNode content = response.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            assertThat(exchange.body()).as("%s: no body", where).isEmpty();
            return null;
        }
        String mediaType = exchange.contentType() == null ? "" : exchange.contentType().split(";")[0].trim();
        assertThat(content.has(mediaType)).as("%s: content type %s is described", where, mediaType).isTrue();
        if (!mediaType.equals("application/json")) {
            return null;
        }
        JsonNode body = JSON.readTree(exchange.body());
        Set<ValidationMessage> errors = schema(content.path(mediaType).path("schema")).validate(body);
        assertThat(errors).as("%s: %s", where, exchange.body()).isEmpty();
        return body;
    }

    /** A schema of the description, with the description's components beside it so that its $refs resolve. */
    private static JsonSchema schema(JsonNode schema) {
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.set("components", openApi.path("components"));
        root.set("allOf", JSON.createArrayNode().add(schema));
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(root);
    }

    private static JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        while (current.has("$ref")) {
            current = openApi.at(current.get("$ref").asText().substring(1));
        }
        return current;
    }

    @Test
    void publisherEndpointsAnswerAsDescribed() throws Exception {
        String token = conforms(get("/token?uid=alice&device=phone")).path("result").asText();
        conforms(postJson("/token", "{\"uid\": 7, \"ttl\": 60}"));
        conforms(get("/token"));
        conforms(get("/token?uid=alice", "X-API-Key", "wrong-key-wrong-key"));
        conforms(call("POST", "/token", "text/plain", "uid=alice", "X-API-Key", KEY));

        try (SseClient phone = SseClient.open(node, "/events?device=phone", Map.of("X-SSE-TOKEN", token))) {
            phone.next();
            conforms(get("/send?uid=alice&data=hello&event=chat"));
            conforms(postJson("/send", "{\"device\": [\"phone\"], \"data\": \"x\", \"idempotency_key\": \"k1\"}"));
            JsonNode batch = conforms(postJson("/send", "[{\"uid\": \"alice\", \"data\": \"1\"}, {\"data\": \"\"}]"));
            assertThat(batch.path("result")).hasSize(2);
            conforms(get("/send?uid=alice"));
            conforms(get("/send?uid=a,b,c,d&data=x"));
            conforms(get("/info?device=phone"));
            conforms(get("/info?uid=alice"));
            conforms(get("/info?address=" + node.nodeAddress()));
            conforms(get("/info"));
            conforms(get("/info?device=nobody"));
            conforms(get("/kick?device=phone&data=bye"));
        }
        conforms(postJson("/kick", "{\"uid\": [\"bob\"]}"));
        conforms(get("/kick"));
        conforms(get("/info", "X-Forwarded-For", "203.0.113.9")); // no key: a remote client is refused
    }

    @Test
    void theEventStreamAnswersAsDescribed() throws Exception {
        String token = token("carol", "laptop");
        try (SseClient stream = SseClient.open(node, "/events?device=laptop", Map.of("X-SSE-TOKEN", token))) {
            conforms(new Exchange("get", "/events", stream.status(), stream.header("Content-Type"), ""));
            String cursor = stream.next().id();
            try (SseClient second = SseClient.open(node, "/events?device=tablet",
                    Map.of("X-SSE-TOKEN", token("carol", "tablet"), "Accept", "application/json"))) {
                conforms(new Exchange("get", "/events", second.status(), second.header("Content-Type"), second.body()));
            }
            get("/kick?device=laptop");
            try (SseClient kicked = SseClient.open(node, "/events?device=laptop",
                    Map.of("X-SSE-TOKEN", token, "Last-Event-ID", cursor))) {
                assertThat(kicked.status()).isEqualTo(204);
                conforms(new Exchange("get", "/events", kicked.status(), kicked.header("Content-Type"), kicked.body()));
            }
        }
        conforms(get("/events?device=x"));
        conforms(get("/events?token=not-a-jwt&device=x"));
        conforms(get("/events?token=" + token("dave", null)));
        conforms(get("/events?device=other&token=" + token("dave", "phone")));
    }

    @Test
    void aNodeWhoseRedisIsUnreachableAnswersAsDescribed() throws Exception {
        TestNode described = node;
        try (RedisServers redis = RedisServers.standaloneNotStarted();
             TestNode down = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1",
                     "auth.api_keys", KEY))) {
            node = down;
            conforms(get("/send?uid=alice&data=x"));
            conforms(get("/readyz"));
            Exchange refused = get("/events?device=phone&token=" + token("alice", "phone"), "Accept", "application/json");
            assertThat(refused.status()).isEqualTo(503);
            conforms(refused);
        } finally {
            node = described;
        }
    }

    /** What the description says of methods and paths it does not list: 405 and 404 with the envelope. */
    private static void refusedWithTheEnvelope(Exchange exchange, int status) throws Exception {
        assertThat(exchange.status()).isEqualTo(status);
        JsonNode body = JSON.readTree(exchange.body());
        assertThat(schema(openApi.at("/components/schemas/Failure")).validate(body)).isEmpty();
        assertThat(body.path("code").asInt()).isEqualTo(status);
    }

    @Test
    void unlistedMethodsAndPathsAnswerAsDescribed() throws Exception {
        assertThat(openApi.path("paths").path("/send").has("delete")).isFalse();
        refusedWithTheEnvelope(call("DELETE", "/send", null, null, "X-API-Key", KEY), 405);
        refusedWithTheEnvelope(call("POST", "/events", "application/json", "{}"), 405);
        refusedWithTheEnvelope(call("PUT", "/healthz", "application/json", "{}"), 405);
        assertThat(openApi.path("paths").has("/nope")).isFalse();
        refusedWithTheEnvelope(get("/nope"), 404);
    }

    @Test
    void operationsEndpointsAnswerAsDescribed() throws Exception {
        conforms(get("/healthz"));
        conforms(get("/readyz"));
        conforms(get("/metrics"));
        conforms(get("/metrics", "X-API-Key", "wrong-key-wrong-key"));
        conforms(get("/"));
        conforms(get("/client/sse-broker.js"));
        Exchange served = get("/openapi.yaml");
        conforms(served);
        assertThat(new YAMLMapper().readTree(served.body())).isEqualTo(openApi);
    }
}
