package io.ssebroker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class StateChangeJsonTest {
    private static final long AT = 1_764_460_800_123L;

    @Test
    void writesTheFieldsInGoSseBrokersOrder() {
        byte[] json = new StateChangeJson("10.0.0.7:8080")
                .encode(new StateChange(StateChange.Kind.USER_ONLINE, "u-1", "d-1", StateChange.DEVICE_CONNECTED, AT));
        String time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault())
                .format(Instant.ofEpochMilli(AT));
        assertThat(new String(json, StandardCharsets.UTF_8)).isEqualTo("{\"uid\":\"u-1\",\"device\":\"d-1\",\"trigger_time\":\""
                + time + "\",\"reason\":\"device_connected\",\"payload\":{\"event\":\"user_online\",\"node\":\"10.0.0.7:8080\"}}");
    }

    @Test
    void escapesWhatJsonRequires() {
        byte[] json = new StateChangeJson("node")
                .encode(new StateChange(StateChange.Kind.DEVICE_OFFLINE, "u\"1\\", "d\n\u00e9\u2028", "kick", AT));
        assertThat(new String(json, StandardCharsets.UTF_8))
                .startsWith("{\"uid\":\"u\\\"1\\\\\",\"device\":\"d\\n\u00e9\u2028\",");
    }

    /** The changes of one second share its formatted time; the next second has its own. */
    @Test
    void eachChangeHasTheTimeOfItsOwnSecond() {
        StateChangeJson json = new StateChangeJson("node");
        DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
        for (long at : new long[] {AT, AT + 500, AT + 877, AT + 1000, AT - 1000, AT + 86_400_000}) {
            assertThat(json.head("u", "d", at)).contains("\"trigger_time\":\"" + format.format(Instant.ofEpochMilli(at)) + "\"");
        }
    }

    /** The parts the Redis scripts assemble a change from make the same JSON. */
    @Test
    void thePartsMakeTheSameJson() {
        StateChangeJson json = new StateChangeJson("10.0.0.7:8080");
        StateChange change = new StateChange(StateChange.Kind.DEVICE_OFFLINE, "u\"1", "d-1", StateChange.KICK_OFFLINE, AT);
        assertThat(json.head("u\"1", "d-1", AT) + "kick_offline" + StateChangeJson.BEFORE_EVENT + "device_offline" + json.tail())
                .isEqualTo(new String(json.encode(change), StandardCharsets.UTF_8));
    }
}
