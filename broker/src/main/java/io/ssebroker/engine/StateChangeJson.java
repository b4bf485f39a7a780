package io.ssebroker.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON of a state change, as go-sse-broker published it, with a structured payload:
 * {@code {"uid", "device", "trigger_time", "reason", "payload": {"event", "node"}}}. {@code trigger_time} is
 * {@code yyyy-MM-dd HH:mm:ss} in the node's time zone (as in {@code /info}); {@code event} is the kind
 * ({@code user_online}, {@code user_offline}, {@code device_online}, {@code device_offline}) and {@code node} the
 * address of the node that saw the change. The same bytes go to webhooks and to the Redis channels.
 */
public final class StateChangeJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TRIGGER_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final String nodeAddress;

    public StateChangeJson(String nodeAddress) {
        this.nodeAddress = nodeAddress;
    }

    public byte[] encode(StateChange change) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("event", eventName(change.kind()));
        payload.put("node", nodeAddress);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("uid", change.uid());
        body.put("device", change.device());
        body.put("trigger_time", TRIGGER_TIME.format(Instant.ofEpochMilli(change.timeMillis())));
        body.put("reason", change.reason());
        body.put("payload", payload);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode state change", e);
        }
    }

    /** {@code user_online} for {@code USER_ONLINE}: the channel name without its {@code sse_topic_} prefix. */
    public static String eventName(StateChange.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
