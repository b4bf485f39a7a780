package io.ssebroker.engine.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.engine.DeviceSession;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A presence entry as stored in Redis; the scripts read its {@code nonce}. It names the node process that holds the
 * connection ({@code nodeId}), so that an entry whose node is gone can be told from a live one.
 */
final class SessionJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SessionJson() {
    }

    static String write(DeviceSession session, String nodeId) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("nodeId", nodeId);
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

    /** The node process that holds the entry's connection; empty for an entry written by an older version. */
    static String nodeId(String json) {
        try {
            return JSON.readTree(json).path("nodeId").asText();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed presence entry", e);
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
