package io.ssebroker.engine.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.engine.DeviceSession;
import java.util.LinkedHashMap;
import java.util.Map;

/** A presence entry as stored in Redis; the scripts read its {@code nonce}. */
final class SessionJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SessionJson() {
    }

    static String write(DeviceSession session) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("uid", session.uid());
        fields.put("device", session.device());
        fields.put("nonce", session.nonce());
        fields.put("node", session.nodeAddress());
        fields.put("client", session.clientAddress());
        fields.put("login", session.loginTimeMillis());
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static DeviceSession read(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return new DeviceSession(node.path("uid").asText(), node.path("device").asText(), node.path("nonce").asText(),
                    node.path("node").asText(), node.path("client").asText(), node.path("login").asLong());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed presence entry", e);
        }
    }
}
