package io.ssebroker.broker;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.NodeStatus;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** An engine that hands every call to another: a test overrides the calls it changes. */
class ForwardingEngine implements Engine {
    private final Engine engine;

    ForwardingEngine(Engine engine) {
        this.engine = engine;
    }

    @Override
    public CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis) {
        return engine.register(session, maxDevicesPerUser, tokenIssuedAtMillis);
    }

    @Override
    public void start(EngineListener listener) {
        engine.start(listener);
    }

    @Override
    public CompletableFuture<Integer> publish(Publication publication) {
        return engine.publish(publication);
    }

    @Override
    public CompletableFuture<Boolean> unregister(DeviceSession session, String reason) {
        return engine.unregister(session, reason);
    }

    @Override
    public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
        return engine.replay(uid, device, from);
    }

    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data) {
        return engine.kick(uids, devices, data);
    }

    @Override
    public CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis) {
        return engine.isRevoked(uid, device, issuedAtMillis);
    }

    @Override
    public void markEnded(String uid, String nonce) {
        engine.markEnded(uid, nonce);
    }

    @Override
    public void takeBackReplaced(DeviceSession session, DeviceSession replaced, boolean replacedEnded) {
        engine.takeBackReplaced(session, replaced, replacedEnded);
    }

    @Override
    public CompletableFuture<Boolean> isEnded(String uid, String nonce) {
        return engine.isEnded(uid, nonce);
    }

    @Override
    public CompletableFuture<Optional<DeviceSession>> device(String device) {
        return engine.device(device);
    }

    @Override
    public CompletableFuture<List<DeviceSession>> userDevices(String uid) {
        return engine.userDevices(uid);
    }

    @Override
    public CompletableFuture<List<NodeStatus>> nodes() {
        return engine.nodes();
    }

    @Override
    public CompletableFuture<Integer> userCount() {
        return engine.userCount();
    }

    @Override
    public CompletableFuture<Void> ping() {
        return engine.ping();
    }

    @Override
    public void close() {
        engine.close();
    }
}
