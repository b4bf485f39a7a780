package io.ssebroker.engine.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * channel has a {@link StreamFollower} that notices and repairs gaps.
 */
final class RedisRouting {
    private static final Logger log = LoggerFactory.getLogger(RedisRouting.class);

    private final StatefulRedisPubSubConnection<String, String> pubSub;
    private final RedisKeys keys;
    private final BiFunction<String, Long, CompletableFuture<StreamFollower.Missed>> readAfter;
    private final Consumer<StreamMessage> deliver;
    private final Consumer<String> lost;
    private final Consumer<String> control;
    private final Map<String, Integer> localDevicesByUid = new HashMap<>();
    /** The subscription of each followed user, confirmed or pending: every device of the user waits for it. */
    private final Map<String, CompletableFuture<Void>> subscriptions = new HashMap<>();
    private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();

    /** A followed channel: the uid of its stream (null for broadcast) and its follower. */
    private record Route(String uid, StreamFollower follower) {
    }

    /**
     * @param readAfter reads a stream's entries after an offset: (uid or null for broadcast, offset)
     * @param deliver   hands a message to the node's connections
     * @param lost      told the uid (null for broadcast) of a stream whose undelivered entries were trimmed
     * @param control   handles a control message
     */
    RedisRouting(StatefulRedisPubSubConnection<String, String> pubSub, RedisKeys keys,
                 BiFunction<String, Long, CompletableFuture<StreamFollower.Missed>> readAfter,
                 Consumer<StreamMessage> deliver, Consumer<String> lost, Consumer<String> control) {
        this.pubSub = pubSub;
        this.keys = keys;
        this.readAfter = readAfter;
        this.deliver = deliver;
        this.lost = lost;
        this.control = control;
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void smessage(String channel, String payload) {
                received(channel, payload);
            }
        });
    }

    /** Subscribes to the broadcast and control channels; the broadcast follower starts at the given offset. */
    CompletableFuture<Void> start(long broadcastOffset) {
        Route broadcast = route(null);
        broadcast.follower().startAt(broadcastOffset);
        routes.put(keys.broadcastChannel(), broadcast);
        return subscribe(List.of(keys.broadcastChannel(), keys.controlChannel()));
    }

    /**
     * Counts a local device of the user; the first one subscribes to the user's channel. Completes when the
     * subscription is confirmed; a caller whose future fails must still {@link #release} its count.
     */
    CompletableFuture<Void> acquire(String uid) {
        synchronized (localDevicesByUid) {
            int count = localDevicesByUid.merge(uid, 1, Integer::sum);
            if (count > 1) {
                return subscriptions.get(uid);
            }
            routes.put(keys.userChannel(uid), route(uid));
            CompletableFuture<Void> subscribed = RedisFutures.guard(pubSub.async().ssubscribe(keys.userChannel(uid)));
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
                routes.remove(keys.userChannel(uid));
                pubSub.async().sunsubscribe(keys.userChannel(uid));
            }
        }
    }

    /** After a reconnect: subscribe again to everything and read what was published meanwhile. */
    CompletableFuture<Void> resubscribeAndCatchUp() {
        List<String> channels = new ArrayList<>(routes.keySet());
        channels.add(keys.controlChannel());
        return subscribe(channels).thenRun(() -> routes.values().forEach(route -> route.follower().catchUpNow()));
    }

    /** One SSUBSCRIBE per channel: on Redis Cluster the channels of one command must share a slot. */
    private CompletableFuture<Void> subscribe(List<String> channels) {
        return RedisFutures.guard(CompletableFuture.allOf(channels.stream()
                .map(channel -> pubSub.async().ssubscribe(channel).toCompletableFuture())
                .toArray(CompletableFuture[]::new)));
    }

    private Route route(String uid) {
        return new Route(uid, new StreamFollower(offset -> readAfter.apply(uid, offset), deliver, () -> lost.accept(uid)));
    }

    private void received(String channel, String payload) {
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

    /** Visible for the engine's start: the user's follower begins at the offset its first reader saw. */
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
