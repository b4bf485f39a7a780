package io.ssebroker.engine.redis;

import io.ssebroker.engine.StreamMessage;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which stream channels this node listens to: the broadcast and control channels always, a user's channel while
 * this node holds a device of that user (counted) and for a while after the last one left
 * ({@code redis.channel_linger}). Each stream channel has a {@link StreamFollower} that notices and repairs gaps;
 * the {@link SubscriptionSupervisor} keeps the channels subscribed, and after it had to subscribe one again, its
 * follower reads what was published meanwhile.
 *
 * <p>Clients come back: a page that navigates closes its stream and opens another, an {@code EventSource} reconnects
 * after a few seconds, a reconnect storm follows a network blip. A user whose channel is still subscribed when a
 * device comes back costs no {@code SSUBSCRIBE} and no {@code SUNSUBSCRIBE}, and the registration does not wait for a
 * subscription. Meanwhile the node receives the user's messages and hands them to no connection; its follower keeps
 * its place, so a device that comes back starts as a second device would. A lingering channel that pub/sub lost, or
 * whose stream would have to be read again, is unsubscribed instead: there is nobody to catch up for.
 */
final class RedisRouting implements SubscriptionSupervisor.Handler {
    private static final Logger log = LoggerFactory.getLogger(RedisRouting.class);
    /** At most this many users linger; beyond, the one that left first is unsubscribed at once. */
    private static final int MAX_LINGERING = 50_000;

    private final RedisKeys keys;
    private final BiFunction<String, Long, CompletableFuture<StreamFollower.Missed>> readAfter;
    private final Consumer<StreamMessage> deliver;
    private final BiConsumer<String, String> reset;
    private final Consumer<String> control;
    private final Runnable controlResubscribed;
    private final Map<String, Integer> localDevicesByUid = new HashMap<>();
    /** The subscription of each followed user, confirmed or pending: every device of the user waits for it. */
    private final Map<String, SubscriptionSupervisor.Subscribing> subscriptions = new HashMap<>();
    /** Users without a local device whose channel is still subscribed, with when they left; the first to leave first. */
    private final LinkedHashMap<String, Long> lingering = new LinkedHashMap<>();
    private final long lingerNanos;
    private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();
    private SubscriptionSupervisor supervisor;

    /** A followed channel: the uid of its stream (null for broadcast) and its follower. */
    private record Route(String uid, StreamFollower follower) {
    }

    /**
     * @param readAfter           reads a stream's entries after an offset: (uid or null for broadcast, offset)
     * @param deliver             hands a message to the node's connections
     * @param reset               told the uid (null for broadcast) of a stream whose connections must be reset, and why:
     *                            undelivered entries were trimmed, or the history changed (see {@link StreamFollower})
     * @param control             handles a control message
     * @param controlResubscribed run when the control channel was subscribed again: control messages may be lost
     * @param lingerNanos         how long a user's channel stays subscribed after the user's last local device left
     */
    RedisRouting(RedisKeys keys, BiFunction<String, Long, CompletableFuture<StreamFollower.Missed>> readAfter,
                 Consumer<StreamMessage> deliver, BiConsumer<String, String> reset, Consumer<String> control,
                 Runnable controlResubscribed, long lingerNanos) {
        this.lingerNanos = lingerNanos;
        this.keys = keys;
        this.readAfter = readAfter;
        this.deliver = deliver;
        this.reset = reset;
        this.control = control;
        this.controlResubscribed = controlResubscribed;
    }

    /** Subscribes to the broadcast and control channels; the broadcast follower starts at the given offset. */
    CompletableFuture<Void> start(SubscriptionSupervisor supervisor, long broadcastOffset) {
        this.supervisor = supervisor;
        Route broadcast = route(null);
        broadcast.follower().startAt(broadcastOffset);
        routes.put(keys.broadcastChannel(), broadcast);
        // A broadcast published after the caller read the offset, and before the subscription is live, comes by no
        // channel: the stream is read once it is live (a reconnecting client's cursor may name that offset).
        CompletableFuture<Void> broadcastLive = supervisor.subscribe(keys.broadcastChannel()).live()
                .thenRun(() -> broadcast.follower().catchUpNow());
        return CompletableFuture.allOf(broadcastLive, supervisor.subscribe(keys.controlChannel()).live());
    }

    /**
     * Counts a local device of the user; the first one subscribes to the user's channel unless it still lingers (a
     * new follower starts where {@link #startUserAt} says). A device that finds the user's subscription failed (it
     * timed out while the supervisor goes on trying, or was made again before it was live) waits for it afresh: the
     * devices that waited before are failing and releasing, the channel may be live meanwhile. A caller whose futures
     * fail must still {@link #release} its count.
     */
    SubscriptionSupervisor.Subscribing acquire(String uid) {
        synchronized (localDevicesByUid) {
            int count = localDevicesByUid.merge(uid, 1, Integer::sum);
            String channel = keys.userChannel(uid);
            if (count == 1) {
                if (lingering.remove(uid) == null) {
                    routes.put(channel, route(uid));
                    return subscribe(uid, channel);
                }
                if (!routes.get(channel).follower().settled()) {
                    // a gap was being read for nobody while the user was away: the new device starts a new follower
                    routes.put(channel, route(uid)).follower().close();
                }
            }
            SubscriptionSupervisor.Subscribing current = subscriptions.get(uid);
            return current.live().isCompletedExceptionally() ? subscribe(uid, channel) : current;
        }
    }

    private SubscriptionSupervisor.Subscribing subscribe(String uid, String channel) {
        SubscriptionSupervisor.Subscribing subscribing = supervisor.subscribe(channel);
        subscriptions.put(uid, subscribing);
        return subscribing;
    }

    /**
     * Uncounts a local device of the user; after the last one the channel lingers. A release with nothing counted (a
     * failed registration released twice) changes nothing.
     */
    void release(String uid) {
        synchronized (localDevicesByUid) {
            if (!localDevicesByUid.containsKey(uid)) {
                return;
            }
            Integer count = localDevicesByUid.computeIfPresent(uid, (k, n) -> n > 1 ? n - 1 : null);
            if (count != null) {
                return;
            }
            if (lingerNanos <= 0) {
                unfollow(uid);
                return;
            }
            lingering.put(uid, System.nanoTime());
            if (lingering.size() > MAX_LINGERING) {
                Iterator<String> first = lingering.keySet().iterator();
                String oldest = first.next();
                first.remove();
                unfollow(oldest);
            }
        }
    }

    /** Unsubscribes the users whose last device left more than the linger time ago; run every second or so. */
    void endLingering() {
        long now = System.nanoTime();
        try {
            synchronized (localDevicesByUid) {
                Iterator<Map.Entry<String, Long>> oldestFirst = lingering.entrySet().iterator();
                while (oldestFirst.hasNext()) {
                    Map.Entry<String, Long> user = oldestFirst.next();
                    if (now - user.getValue() < lingerNanos) {
                        return;
                    }
                    oldestFirst.remove();
                    unfollow(user.getKey());
                }
            }
        } catch (RuntimeException e) {
            // a failure must not stop the schedule that runs this: lingering would then never end
            log.warn("ending lingering channels failed this round", e);
        }
    }

    private void unfollow(String uid) {
        subscriptions.remove(uid);
        Route route = routes.remove(keys.userChannel(uid));
        if (route != null) {
            route.follower().close();
        }
        supervisor.unsubscribe(keys.userChannel(uid));
    }

    /**
     * Every followed stream reads what it missed (Redis may have lost pub/sub messages, or history was renewed). A
     * lingering user has nobody to catch up for: its channel is unsubscribed instead.
     */
    void catchUpAll() {
        synchronized (localDevicesByUid) {
            lingering.keySet().forEach(this::unfollow);
            lingering.clear();
        }
        routes.values().forEach(route -> route.follower().catchUpNow());
    }

    /** Unsubscribes the user's channel if it lingers; true if it did. */
    private boolean endLinger(String uid) {
        synchronized (localDevicesByUid) {
            if (lingering.remove(uid) == null) {
                return false;
            }
            unfollow(uid);
            return true;
        }
    }

    /**
     * The node is done with Redis: every follower stops, so that none goes on reading a gap (retrying every second
     * on a closed connection) for a node that no longer exists.
     */
    void close() {
        synchronized (localDevicesByUid) {
            routes.values().forEach(route -> route.follower().close());
            routes.clear();
            lingering.clear();
        }
    }

    private Route route(String uid) {
        return new Route(uid, new StreamFollower(offset -> readAfter.apply(uid, offset), deliver, reason -> reset.accept(uid, reason)));
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
        if (route != null && (route.uid() == null || !endLinger(route.uid()))) {
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
