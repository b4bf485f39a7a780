package io.ssebroker.engine;

/**
 * A presence change: a user or device came online or went offline, and why. User changes are cluster-wide (first
 * device anywhere, last device anywhere).
 */
public record StateChange(Kind kind, String uid, String device, String reason, long timeMillis) {

    /** The kinds, with the go-sse-broker channel each is published on. */
    public enum Kind {
        USER_ONLINE("sse_topic_user_online"),
        USER_OFFLINE("sse_topic_user_offline"),
        DEVICE_ONLINE("sse_topic_device_online"),
        DEVICE_OFFLINE("sse_topic_device_offline");

        private final String channel;

        Kind(String channel) {
            this.channel = channel;
        }

        public String channel() {
            return channel;
        }
    }

    public static final String DEVICE_CONNECTED = "device_connected";
    public static final String DEVICE_DISCONNECT = "device_disconnect";
    /**
     * The client stopped acknowledging what the node sent it (a heartbeat at least) for {@code sse.heartbeat_timeout}:
     * gone without a FIN or a reset (a sleeping laptop, a switched network), or (Linux 5.11+) no longer reading at all.
     */
    public static final String HEARTBEAT_FAIL = "heartbeat_fail";
    public static final String EXTRUDE_OFFLINE = "extrude_offline";
    public static final String KICK_OFFLINE = "kick_offline";
    public static final String INSTANCE_CLOSE = "instance_close";
    public static final String INSTANCE_CLEAR = "instance_clear";
}
