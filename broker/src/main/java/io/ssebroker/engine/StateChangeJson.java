package io.ssebroker.engine;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
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
 *
 * <p>A change is written in parts: its {@link #head} (up to the reason), the reason, {@link #BEFORE_EVENT}, the event
 * name and the node's {@link #tail}. The Redis presence scripts assemble the changes they make from a head and the
 * tail the same way, so that a registration sends one head instead of three whole changes. Reasons and event names
 * are identifiers and need no escaping.
 */
public final class StateChangeJson {
    /** What comes between a change's reason and its event name. */
    public static final String BEFORE_EVENT = "\",\"payload\":{\"event\":\"";
    private static final DateTimeFormatter TRIGGER_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    /** A second and its trigger time: the changes of one second share it (formatting a time is the costly part). */
    private record FormattedSecond(long epochSecond, String text) {
    }

    private final String tail;
    private volatile FormattedSecond lastSecond = new FormattedSecond(Long.MIN_VALUE, "");

    public StateChangeJson(String nodeAddress) {
        StringBuilder json = new StringBuilder("\",\"node\":\"");
        JsonStringEncoder.getInstance().quoteAsString(nodeAddress, json);
        this.tail = json.append("\"}}").toString();
    }

    public byte[] encode(StateChange change) {
        return (head(change.uid(), change.device(), change.timeMillis()) + change.reason() + BEFORE_EVENT
                + eventName(change.kind()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    /** The JSON of a change up to its reason: {@code {"uid":"…","device":"…","trigger_time":"…","reason":"}. */
    public String head(String uid, String device, long timeMillis) {
        StringBuilder json = new StringBuilder(96 + uid.length() + device.length()).append("{\"uid\":\"");
        JsonStringEncoder.getInstance().quoteAsString(uid, json);
        json.append("\",\"device\":\"");
        JsonStringEncoder.getInstance().quoteAsString(device, json);
        return json.append("\",\"trigger_time\":\"").append(triggerTime(timeMillis)).append("\",\"reason\":\"").toString();
    }

    /** What follows a change's event name: {@code ","node":"…"}}, the same for every change of this node. */
    public String tail() {
        return tail;
    }

    private String triggerTime(long timeMillis) {
        long second = Math.floorDiv(timeMillis, 1000);
        FormattedSecond last = lastSecond;
        if (last.epochSecond() != second) {
            last = new FormattedSecond(second, TRIGGER_TIME.format(Instant.ofEpochSecond(second)));
            lastSecond = last;
        }
        return last.text();
    }

    /** {@code user_online} for {@code USER_ONLINE}: the channel name without its {@code sse_topic_} prefix. */
    public static String eventName(StateChange.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
