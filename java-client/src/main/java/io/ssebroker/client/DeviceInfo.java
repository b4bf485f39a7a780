package io.ssebroker.client;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Presence of one device ({@code /info?device=}); times are {@code yyyy-MM-dd HH:mm:ss}, empty when offline. */
public record DeviceInfo(boolean online,
                         @JsonProperty("device_id") String deviceId,
                         @JsonProperty("device_name") String deviceName,
                         String uid,
                         @JsonProperty("login_time") String loginTime,
                         @JsonProperty("instance_address") String instanceAddress,
                         @JsonProperty("device_address") String deviceAddress,
                         @JsonProperty("last_touch_time") String lastTouchTime,
                         @JsonProperty("last_frame_id") String lastFrameId) {
}
