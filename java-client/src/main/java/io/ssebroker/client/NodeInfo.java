package io.ssebroker.client;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One node of the cluster ({@code /info?address=}). */
public record NodeInfo(boolean online, String version, String address,
                       @JsonProperty("start_time") String startTime,
                       @JsonProperty("device_count") int deviceCount) {
}
