package io.ssebroker.broker;

import java.util.Set;

/** Names of the events the broker itself sends (as in go-sse-broker), and the presence-change reasons. */
public final class SystemEvents {
    public static final String CONNECTED = "sys_connected";
    public static final String EXTRUDE = "sys_extrude_offline";
    public static final String KICK = "sys_kick_offline";
    public static final String INSTANCE_CLOSE = "sys_instance_close";
    public static final String RESET = "sys_reset";
    public static final Set<String> ALL = Set.of(CONNECTED, EXTRUDE, KICK, INSTANCE_CLOSE, RESET);

    /** Event names starting with this are the broker's own; publishers may not use them. */
    public static final String RESERVED_PREFIX = "sys_";

    public static final String REASON_DISCONNECT = "device_disconnect";
    public static final String REASON_EXTRUDE = "extrude_offline";
    public static final String REASON_KICK = "kick_offline";
    public static final String REASON_INSTANCE_CLOSE = "instance_close";

    private SystemEvents() {
    }
}
