package io.ssebroker.engine.redis;

import io.ssebroker.engine.DeviceSession;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a registration that failed at this node (no answer in time, a dropped connection, a failover), or whose
 * connection ended before it went live (its client closed it first, its replay failed), may have left in Redis beyond
 * its presence entry, which the rollback or the removal takes away: if its script ran, the device's connection it
 * replaced is remembered as ended, as if a connection that went live had replaced it. That connection's client never
 * had the new one, and coming back with its cursor it would be refused with 204, for good. The mark is taken back at
 * once and, while Redis does not answer, again at every heartbeat for as long as the script's record of what it
 * replaced is kept (a minute); a take-back still unanswered by then is logged.
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
    /** Failed registrations whose take-back has not been answered yet, with when their record expires. */
    private final ConcurrentHashMap<DeviceSession, Long> pending = new ConcurrentHashMap<>();

    FailedRegistrations(RedisPresence presence) {
        this.presence = presence;
    }

    /** A registration failed at this node, or its connection did not go live: takes back what its script may have marked. */
    void failed(DeviceSession session) {
        if (pending.size() >= MAX_PENDING) {
            log.warn("connection {} of user {} did not go live: whether the connection it replaced was marked "
                    + "ended is not checked (too many failures waiting for Redis)", session.nonce(), session.uid());
            return;
        }
        pending.put(session, System.nanoTime() + RECORD_KEPT_NANOS);
        takeBack(session);
    }

    /** Runs every heartbeat: takes back again what Redis did not answer before. */
    void retry() {
        long now = System.nanoTime();
        pending.forEach((session, expires) -> {
            if (now - expires > 0) {
                pending.remove(session);
                log.warn("connection {} of user {} did not go live, and Redis did not answer in time whether the "
                        + "connection it replaced was marked ended: that one may be refused when it comes back",
                        session.nonce(), session.uid());
            } else {
                takeBack(session);
            }
        });
    }

    private void takeBack(DeviceSession session) {
        presence.takeBackEnded(session).whenComplete((takenBack, error) -> {
            if (error != null) {
                return; // the next heartbeat asks again
            }
            pending.remove(session);
            if (takenBack) {
                log.info("connection {} of user {} did not go live after replacing another: that one may come back",
                        session.nonce(), session.uid());
            }
        });
    }
}
