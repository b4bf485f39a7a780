package io.ssebroker.engine.redis;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.StreamMessage;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A node side that takes nothing from the engine: for tests that look at what the engine keeps in Redis (and, made
 * into a subclass, at one kind of call).
 */
class IgnoringEngineListener implements EngineListener {
    @Override
    public void deliver(StreamMessage message) {
    }

    @Override
    public void extrude(DeviceSession session, String byClientAddress) {
    }

    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data, long kickedAtMillis) {
        return CompletableFuture.completedFuture(0);
    }

    @Override
    public void revalidate() {
    }

    @Override
    public void streamReset(String uid, String reason) {
    }

    @Override
    public void historyRestarted(String epoch) {
    }
}
