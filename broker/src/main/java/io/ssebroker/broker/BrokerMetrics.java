package io.ssebroker.broker;

/**
 * What the broker counts as it works. Called on event loops, on the delivery path: implementations must be cheap
 * (an adder increment) and never block.
 */
public interface BrokerMetrics {
    BrokerMetrics NONE = new BrokerMetrics() {
        @Override
        public void delivered(int frames) {
        }

        @Override
        public void replayed(int frames) {
        }

        @Override
        public void reset(String reason) {
        }

        @Override
        public void disconnected(String reason) {
        }

        @Override
        public void slowClientDisconnected() {
        }

        @Override
        public void connectionLimitReached() {
        }

        @Override
        public void deviceLimitReached() {
        }
    };

    /** Live message frames written to connections; called once per delivery batch. */
    void delivered(int frames);

    /** Retained messages handed to a connection that opened with a cursor. */
    void replayed(int frames);

    /** A connection's replay began with {@code sys_reset} for this reason. */
    void reset(String reason);

    /**
     * A connection of this node ended; {@code reason} is the presence reason ({@code device_disconnect},
     * {@code heartbeat_fail}, {@code extrude_offline}, {@code kick_offline}, {@code instance_close}).
     */
    void disconnected(String reason);

    /** A connection was closed because its client read too slowly (limits.max_unsent_bytes). */
    void slowClientDisconnected();

    /** A connect was refused because the node holds {@code limits.max_connections} connections. */
    void connectionLimitReached();

    /** A connect was refused because its user has {@code limits.max_devices_per_user} other devices online. */
    void deviceLimitReached();
}
