package io.ssebroker.engine;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Everything that is shared between the nodes of a cluster: retained streams, routing of messages to the nodes
 * that hold their targets, presence, revocations. The broker talks to exactly one engine. Futures fail with
 * {@link EngineUnavailableException} when the backing store cannot be reached.
 */
public interface Engine extends AutoCloseable {

    /** Starts the engine; from now on it calls the listener for this node. */
    void start(EngineListener listener);

    /** Appends the message to its target streams and routes it; completes with the number of target devices online. */
    CompletableFuture<Integer> publish(Publication publication);

    /**
     * Makes {@code session} the device's presence entry, unless the user already has {@code maxDevicesPerUser} other
     * devices online or a kick of the user or the device revoked the connection's token (issued at
     * {@code tokenIssuedAtMillis}; checked with the entry's write where the engine can, else just before it). A
     * previous connection of the device, on any node, is extruded.
     */
    CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis);

    /** Removes the presence entry if it still belongs to this session's connection; completes with whether it did. */
    CompletableFuture<Boolean> unregister(DeviceSession session, String reason);

    /**
     * The retained messages for this device after {@code from} (none when from is empty: it starts at the heads).
     * Asked once the device's connection is findable by {@link EngineListener#deliver}: messages the node has not
     * handed to the listener yet may be left out, since they reach the connection live.
     */
    CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from);

    /**
     * Ends matching connections on every node and revokes tokens issued before now; completes with the count of
     * devices that were online, once their connections have left presence (a node that does not answer within a
     * bound is not waited for: its presence is cleared when it is found dead).
     */
    CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data);

    /** True when a token of this uid/device issued at {@code issuedAtMillis} was revoked by a later kick. */
    CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis);

    /**
     * Remembers that the connection with this nonce, of this uid, was kicked or extruded, so that its reconnect is
     * refused. The most recent ended connections of each user are remembered (a bounded number, for the longest token
     * lifetime).
     */
    void markEnded(String uid, String nonce);

    /**
     * A registered connection ended before it went live (its client closed it first, or its replay failed): its
     * client never had it, and comes back with the cursor of the connection it replaced. The end its registration
     * marked on that one ({@code replaced}) is taken back, so that its client is not refused with 204 for good.
     * Unless this node ended it ({@code replacedEnded}: the extrusion, a kick or its close claimed its end here), the
     * replaced connection may still be registering or replaying here, and go live: its presence, which the
     * registration replaced, is written again while it is this node's.
     */
    void takeBackReplaced(DeviceSession session, DeviceSession replaced, boolean replacedEnded);

    CompletableFuture<Boolean> isEnded(String uid, String nonce);

    CompletableFuture<Optional<DeviceSession>> device(String device);

    CompletableFuture<List<DeviceSession>> userDevices(String uid);

    CompletableFuture<List<NodeStatus>> nodes();

    CompletableFuture<Integer> userCount();

    /**
     * Proves that this node can publish through the engine and receive what it published: sends a canary on the
     * engine's routing path (the Redis engine: a publish on its control channel, addressed to this node) and
     * completes when this same node has received it back. The canary reaches no client, is retained in no stream
     * and fires no listener or state-change callback. Fails with {@link EngineUnavailableException} when the store
     * cannot be reached. It may never complete when routing is broken: callers bound the wait (readiness gives it
     * two seconds), and an implementation forgets a canary that is not back within a few seconds. An engine without
     * routing between processes (the memory engine) completes at once.
     */
    CompletableFuture<Void> ping();

    @Override
    void close();
}
