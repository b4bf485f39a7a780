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
}
