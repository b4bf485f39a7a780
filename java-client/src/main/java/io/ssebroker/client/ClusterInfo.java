package io.ssebroker.client;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The cluster ({@code /info}): every live node and the users and devices online. */
public record ClusterInfo(@JsonProperty("instance_count") int instanceCount,
                          @JsonProperty("user_count") int userCount,
                          @JsonProperty("device_count") int deviceCount,
                          List<NodeInfo> instances) {
}
