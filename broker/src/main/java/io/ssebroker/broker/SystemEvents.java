package io.ssebroker.broker;

/** Names of the events the broker itself sends, as in go-sse-broker. */
public final class SystemEvents {
    public static final String CONNECTED = "sys_connected";
    public static final String EXTRUDE = "sys_extrude_offline";
    public static final String KICK = "sys_kick_offline";
    public static final String INSTANCE_CLOSE = "sys_instance_close";
    public static final String RESET = "sys_reset";
    /** The node cannot take the connection now (limit, draining, engine unreachable): come back after {@code retry}. */
    public static final String UNAVAILABLE = "sys_unavailable";
    /** Event names starting with this are the broker's own; publishers may not use them. */
    public static final String RESERVED_PREFIX = "sys_";

    private SystemEvents() {
    }
}
