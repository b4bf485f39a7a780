package io.ssebroker.engine.redis;

import io.ssebroker.engine.DeviceSession;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a registration that failed at this node (no answer in time, a dropped connection, a failover), or whose
 * connection ended before it went live (its client closed it first, its replay failed), may have left in Redis beyond
 * its presence entry, which the rollback or the removal takes away: if its script ran, the device's connection it
 * replaced is remembered as ended, as if a connection that went live had replaced it. That connection's client never
 * had the new one, and coming back with its cursor it would be refused with 204, for good. And a registration that
 * failed before it knew that it had taken its device from another user and ended that user's session may have left
 * the device recorded as its user's: messages to the device would go to a stream that no connection of the device
 * reads, while that user's connection, still online, misses them. The mark is taken back and the device given back
 * at once and, while Redis does not answer, again at every heartbeat for a minute, while the scripts' records are kept
 * (the registration script's a minute, the device's take record two); each is done once, whichever run gets through
 * (take-back-ended.lua, give-back-owner.lua). One still unanswered by then is logged. The connection whose mark was
 * taken back lost its presence entry to the failed registration: where nothing ended it (the registration failed
 * without an answer that named it), its node writes the entry again if the connection is still open.
 *
 * <p>Threads: failures are reported from whichever thread completes a registration; retries run on the engine's
 * scheduler.
 */
final class FailedRegistrations {
    private static final Logger log = LoggerFactory.getLogger(FailedRegistrations.class);
    /** How long register.lua keeps its record of the connection it replaced. */
    private static final long RECORD_KEPT_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Take-backs waiting for Redis at most: beyond, a failure is logged and left (a mass failure in a long outage). */
    private static final int MAX_PENDING = 100_000;

    private final RedisPresence presence;
    private final BiFunction<DeviceSession, String, CompletableFuture<Void>> restorePresence;
    /** Failed registrations whose take-back has not been answered yet. */
    private final ConcurrentHashMap<DeviceSession, Pending> pending = new ConcurrentHashMap<>();
    /** Those whose take-back is under way: a heartbeat does not send another meanwhile. */
    private final Set<DeviceSession> underWay = ConcurrentHashMap.newKeySet();

    /**
     * When a failed registration's records expire, whether its device is to be given back, and whether the connection
     * it replaced (if any) is to have its presence written again.
     */
    private record Pending(long expires, boolean givesBackDevice, boolean restoresReplaced) {
    }

    /**
     * @param restorePresence asks the node of a connection that lost its presence entry to a failed registration
     *                        (named by its nonce) to write it again; fails when the asking could not be sent, and
     *                        is asked again at the next heartbeat then
     */
    FailedRegistrations(RedisPresence presence, BiFunction<DeviceSession, String, CompletableFuture<Void>> restorePresence) {
        this.presence = presence;
        this.restorePresence = restorePresence;
    }

    /**
     * A registration failed at this node, or its connection did not go live: takes back what its script may have
     * marked, and gives its device back where the registration failed before it knew that it had taken the device
     * ({@code takeUnsettled}); has the connection it replaced written again where nothing ended that one
     * ({@code replacedNotEnded}).
     */
    void failed(DeviceSession session, boolean takeUnsettled, boolean replacedNotEnded) {
        if (pending.size() >= MAX_PENDING) {
            log.warn("connection {} of user {} did not go live: whether the connection it replaced was marked "
                    + "ended{} is not checked (too many failures waiting for Redis)", session.nonce(), session.uid(),
                    takeUnsettled ? " or device " + session.device() + " taken from another user" : "");
            return;
        }
        Pending failure = new Pending(System.nanoTime() + RECORD_KEPT_NANOS, takeUnsettled, replacedNotEnded);
        pending.put(session, failure);
        takeBack(session, failure);
    }

    /** Runs every heartbeat: takes back again what Redis did not answer before. */
    void retry() {
        long now = System.nanoTime();
        pending.forEach((session, failure) -> {
            if (now - failure.expires() > 0) {
                pending.remove(session);
                log.warn("connection {} of user {} did not go live, and Redis did not answer in time whether the "
                        + "connection it replaced was marked ended (that one may be refused when it comes back){}",
                        session.nonce(), session.uid(), failure.givesBackDevice()
                                ? " or device " + session.device() + " taken from another user" : "");
            } else {
                takeBack(session, failure);
            }
        });
    }

    private void takeBack(DeviceSession session, Pending failure) {
        if (!underWay.add(session)) {
            return;
        }
        CompletableFuture<Boolean> givenBack = failure.givesBackDevice() ? presence.giveBackDevice(session)
                : CompletableFuture.completedFuture(false);
        presence.takeBackEnded(session).thenCombine(givenBack, (takenBack, deviceGivenBack) -> {
            CompletableFuture<Void> restored = CompletableFuture.completedFuture(null);
            if (takenBack != null && failure.restoresReplaced()) {
                log.info("connection {} of user {} ended before its client could have kept it, after replacing connection {}: that one's presence "
                        + "is written again if it is still open, and it may come back", session.nonce(), session.uid(),
                        takenBack.nonce());
                // a take-back run again answers that connection again (take-back-ended.lua): the asking is retried
                restored = restorePresence.apply(takenBack, session.nonce());
            } else if (takenBack != null) {
                log.info("connection {} of user {} ended before its client could have kept it, after replacing connection {}: that one may come "
                        + "back", session.nonce(), session.uid(), takenBack.nonce());
            }
            if (deviceGivenBack) {
                log.info("connection {} of user {} ended before its client could have kept it, after taking device {} from another user: the "
                        + "device is that user's again", session.nonce(), session.uid(), session.device());
            }
            return restored;
        }).thenCompose(restored -> restored).whenComplete((done, error) -> {
            underWay.remove(session);
            if (error == null) {
                pending.remove(session);
            } // else the next heartbeat asks again
        });
    }
}
