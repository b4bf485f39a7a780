package io.ssebroker.client;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Presence of one user ({@code /info?uid=}): its devices online, by login time. */
public record UserInfo(boolean online, String uid,
                       @JsonProperty("login_time") String loginTime,
                       @JsonProperty("last_touch_time") String lastTouchTime,
                       List<DeviceInfo> devices) {
}
