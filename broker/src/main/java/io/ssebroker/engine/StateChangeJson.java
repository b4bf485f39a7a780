package io.ssebroker.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The JSON of a state change, as go-sse-broker published it, with a structured payload:
 * {@code {"uid", "device", "trigger_time", "reason", "payload": {"event", "node"}}}. {@code trigger_time} is
 * {@code yyyy-MM-dd HH:mm:ss} in the node's time zone (as in {@code /info}); {@code event} is the kind
 * ({@code user_online}, {@code user_offline}, {@code device_online}, {@code device_offline}) and {@code node} the
 * address of the node that saw the change. The same bytes go to webhooks and to the Redis channels.
 */
public final class StateChangeJson {
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter TRIGGER_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final String nodeAddress;

    public StateChangeJson(String nodeAddress) {
        this.nodeAddress = nodeAddress;
    }

    /** Written field by field (a registration encodes three of these, a removal two). */
    public byte[] encode(StateChange change) {
        ByteArrayBuilder bytes = new ByteArrayBuilder(160);
        try (JsonGenerator json = JSON.createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("uid", change.uid());
            json.writeStringField("device", change.device());
            json.writeStringField("trigger_time", TRIGGER_TIME.format(Instant.ofEpochMilli(change.timeMillis())));
            json.writeStringField("reason", change.reason());
            json.writeObjectFieldStart("payload");
            json.writeStringField("event", eventName(change.kind()));
            json.writeStringField("node", nodeAddress);
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode state change", e);
        }
        return bytes.toByteArray();
    }

    /** {@code user_online} for {@code USER_ONLINE}: the channel name without its {@code sse_topic_} prefix. */
    public static String eventName(StateChange.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
