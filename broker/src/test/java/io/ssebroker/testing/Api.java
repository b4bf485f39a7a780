package io.ssebroker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** A publisher-side client: the endpoints over real HTTP, answers parsed as the JSON envelope. */
public final class Api {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String baseUrl;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public Api(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** One answer: the HTTP status, the headers and the body (parsed when it is JSON). */
    public record Answer(int status, HttpResponse<String> response, JsonNode json) {
        public int code() {
            return json.path("code").asInt();
        }

        public String msg() {
            return json.path("msg").asText();
        }

        public JsonNode result() {
            return json.path("result");
        }

        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    public Answer get(String path, Map<String, String> params, Map<String, String> headers) {
        String query = params.isEmpty() ? "" : (path.contains("?") ? "&" : "?") + form(params);
        return send(request(path + query, headers).GET().build());
    }

    public Answer get(String path, Map<String, String> params) {
        return get(path, params, Map.of());
    }

    public Answer postForm(String path, Map<String, String> params) {
        return post(path, "application/x-www-form-urlencoded", form(params), Map.of());
    }

    public Answer postJson(String path, String json) {
        return post(path, "application/json", json, Map.of());
    }

    public Answer postJson(String path, Object value) {
        try {
            return postJson(path, JSON.writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Answer postMultipart(String path, Map<String, String> params) {
        String boundary = "----sse-broker-test-boundary";
        StringBuilder body = new StringBuilder();
        params.forEach((name, value) -> body.append("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"").append(name).append("\"\r\n\r\n")
                .append(value).append("\r\n"));
        body.append("--").append(boundary).append("--\r\n");
        return post(path, "multipart/form-data; boundary=" + boundary, body.toString(), Map.of());
    }

    public Answer post(String path, String contentType, String body, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path, headers).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        return send(builder.build());
    }

    public Answer send(String method, String path, Map<String, String> headers) {
        return send(request(path, headers).method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    public String token(String uid, String device) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("uid", uid);
        if (device != null) {
            params.put("device", device);
        }
        Answer answer = get("/token", params);
        if (answer.status() != 200) {
            throw new IllegalStateException("token: " + answer.json());
        }
        return answer.result().asText();
    }

    public int send(Map<String, String> params) {
        Answer answer = postForm("/send", params);
        if (answer.status() != 200) {
            throw new IllegalStateException("send: " + answer.json());
        }
        return answer.result().asInt();
    }

    private HttpRequest.Builder request(String path, Map<String, String> headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10));
        headers.forEach(builder::header);
        return builder;
    }

    private Answer send(HttpRequest request) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            String type = response.headers().firstValue("content-type").orElse("");
            if (type.startsWith("application/json")) {
                json = JSON.readTree(response.body());
            }
            return new Answer(response.statusCode(), response, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String form(Map<String, String> params) {
        return params.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }
}
