package io.ssebroker.broker;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The connections served by one event loop. Only that loop touches the list, so a broadcast costs one task per
 * loop and no locks; the same loop sends the heartbeats of its idle connections.
 */
final class LoopConnections {
    private final EventExecutor loop;
    private final List<LocalConnection> connections = new ArrayList<>();

    LoopConnections(EventExecutor loop, long heartbeatMillis) {
        this.loop = loop;
        long tick = Math.max(100, heartbeatMillis / 4);
        loop.scheduleAtFixedRate(() -> heartbeat(heartbeatMillis), tick, tick, TimeUnit.MILLISECONDS);
    }

    EventExecutor loop() {
        return loop;
    }

    void add(LocalConnection connection) {
        connections.add(connection);
    }

    void remove(LocalConnection connection) {
        connections.remove(connection);
    }

    List<LocalConnection> connections() {
        return connections;
    }

    private void heartbeat(long heartbeatMillis) {
        long silentSince = System.currentTimeMillis() - heartbeatMillis;
        for (int i = 0; i < connections.size(); i++) {
            LocalConnection connection = connections.get(i);
            if (connection.isLive() && connection.stream.lastWriteMillis() <= silentSince) {
                connection.stream.writeHeartbeat();
            }
        }
    }
}
