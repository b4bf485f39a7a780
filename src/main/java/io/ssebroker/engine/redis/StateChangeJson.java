package io.ssebroker.engine.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.engine.StateChange;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON of a presence change as go-sse-broker published it: uid, device, trigger_time, reason, payload. */
final class StateChangeJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private StateChangeJson() {
    }

    static String write(StateChange change, String node) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("event", change.kind().channel().substring("sse_topic_".length()));
        payload.put("node", node);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("uid", change.uid());
        fields.put("device", change.device());
        fields.put("trigger_time", TIME.format(Instant.ofEpochMilli(change.timeMillis())));
        fields.put("reason", change.reason());
        fields.put("payload", payload);
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
