package io.ssebroker.engine.redis;

import io.ssebroker.engine.StreamMessage;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which stream channels this node listens to: the broadcast and control channels always, a user's channel only
 * while this node holds a device of that user (counted, so the last device to leave unsubscribes). Each stream
 * channel has a {@link StreamFollower} that notices and repairs gaps; the {@link SubscriptionSupervisor} keeps the
 * channels subscribed, and after it had to subscribe one again, its follower reads what was published meanwhile.
 */
final class RedisRouting implements SubscriptionSupervisor.Handler {
    private static final Logger log = LoggerFactory.getLogger(RedisRouting.class);

    private final RedisKeys keys;
    private final BiFunction<String, Long, CompletableFuture<StreamFollower.Missed>> readAfter;
    private final Consumer<StreamMessage> deliver;
    private final Consumer<String> lost;
    private final Consumer<String> control;
    private final Runnable controlResubscribed;
    private final Map<String, Integer> localDevicesByUid = new HashMap<>();
    /** The subscription of each followed user, confirmed or pending: every device of the user waits for it. */
    private final Map<String, CompletableFuture<Void>> subscriptions = new HashMap<>();
    private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();
    private SubscriptionSupervisor supervisor;

    /** A followed channel: the uid of its stream (null for broadcast) and its follower. */
    private record Route(String uid, StreamFollower follower) {
    }

    /**
     * @param readAfter           reads a stream's entries after an offset: (uid or null for broadcast, offset)
     * @param deliver             hands a message to the node's connections
     * @param lost                told the uid (null for broadcast) of a stream whose undelivered entries were trimmed
     * @param control             handles a control message
     * @param controlResubscribed run when the control channel was subscribed again: control messages may be lost
     */
    RedisRouting(RedisKeys keys, BiFunction<String, Long, CompletableFuture<StreamFollower.Missed>> readAfter,
                 Consumer<StreamMessage> deliver, Consumer<String> lost, Consumer<String> control,
                 Runnable controlResubscribed) {
        this.keys = keys;
        this.readAfter = readAfter;
        this.deliver = deliver;
        this.lost = lost;
        this.control = control;
        this.controlResubscribed = controlResubscribed;
    }

    /** Subscribes to the broadcast and control channels; the broadcast follower starts at the given offset. */
    CompletableFuture<Void> start(SubscriptionSupervisor supervisor, long broadcastOffset) {
        this.supervisor = supervisor;
        Route broadcast = route(null);
        broadcast.follower().startAt(broadcastOffset);
        routes.put(keys.broadcastChannel(), broadcast);
        return CompletableFuture.allOf(supervisor.subscribe(keys.broadcastChannel()), supervisor.subscribe(keys.controlChannel()));
    }

    /**
     * Counts a local device of the user; the first one subscribes to the user's channel, its follower starting at
     * {@code offset}. Completes when the subscription is live; a caller whose future fails must still
     * {@link #release} its count.
     */
    CompletableFuture<Void> acquire(String uid) {
        synchronized (localDevicesByUid) {
            int count = localDevicesByUid.merge(uid, 1, Integer::sum);
            if (count > 1) {
                return subscriptions.get(uid);
            }
            routes.put(keys.userChannel(uid), route(uid));
            CompletableFuture<Void> subscribed = supervisor.subscribe(keys.userChannel(uid));
            subscriptions.put(uid, subscribed);
            return subscribed;
        }
    }

    /** Uncounts a local device of the user; the last one unsubscribes. */
    void release(String uid) {
        synchronized (localDevicesByUid) {
            Integer count = localDevicesByUid.computeIfPresent(uid, (k, n) -> n > 1 ? n - 1 : null);
            if (count == null) {
                subscriptions.remove(uid);
                Route route = routes.remove(keys.userChannel(uid));
                if (route != null) {
                    route.follower().close();
                }
                supervisor.unsubscribe(keys.userChannel(uid));
            }
        }
    }

    /** Every followed stream reads what it missed (Redis may have lost pub/sub messages, or history was renewed). */
    void catchUpAll() {
        routes.values().forEach(route -> route.follower().catchUpNow());
    }

    private Route route(String uid) {
        return new Route(uid, new StreamFollower(offset -> readAfter.apply(uid, offset), deliver, () -> lost.accept(uid)));
    }

    @Override
    public void message(String channel, String payload) {
        if (channel.equals(keys.controlChannel())) {
            control.accept(payload);
            return;
        }
        Route route = routes.get(channel);
        if (route == null) {
            return; // unsubscribed meanwhile
        }
        try {
            route.follower().received(ChannelMessage.parse(route.uid(), payload));
        } catch (RuntimeException e) {
            log.warn("ignored a malformed message on {}: {}", channel, e.getMessage());
        }
    }

    @Override
    public void resubscribed(String channel) {
        if (channel.equals(keys.controlChannel())) {
            controlResubscribed.run();
            return;
        }
        Route route = routes.get(channel);
        if (route != null) {
            route.follower().catchUpNow();
        }
    }

    /**
     * Whether this node has handed on the user's stream and the broadcast stream exactly up to these offsets, and
     * nothing more: a connection attached before asking, starting there, then misses nothing without reading Redis.
     */
    boolean handedOnUpTo(String uid, long userOffset, long broadcastOffset) {
        Route user = routes.get(keys.userChannel(uid));
        Route broadcast = routes.get(keys.broadcastChannel());
        return user != null && broadcast != null && user.follower().isAt(userOffset)
                && broadcast.follower().isAt(broadcastOffset);
    }

    /**
     * Where this node has handed the broadcast stream on: a connection that starts there gets every later broadcast,
     * live or (should the node hand on more before the connection is attached) read from the stream.
     */
    long broadcastHandedOn() {
        return routes.get(keys.broadcastChannel()).follower().handedOn();
    }

    /** The user's follower begins at the offset its first connection starts from. */
    void startUserAt(String uid, long offset) {
        Route route = routes.get(keys.userChannel(uid));
        if (route != null) {
            route.follower().startAt(offset);
        }
    }

    static <T> BiConsumer<T, Throwable> logFailure(String what) {
        return (value, error) -> {
            if (error != null) {
                log.warn("{} failed: {}", what, error.getMessage());
            }
        };
    }
}
