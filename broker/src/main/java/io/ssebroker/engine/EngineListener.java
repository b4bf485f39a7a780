package io.ssebroker.engine;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** What an engine asks of the node it runs on; implemented by the broker. Calls must not block. */
public interface EngineListener {

    /** A message for connections on this node; called in offset order per stream. */
    void deliver(StreamMessage message);

    /** The connection {@code session} of this node was replaced by a newer one from {@code byClientAddress}. */
    void extrude(DeviceSession session, String byClientAddress);

    /**
     * Ends the local connections of these uids and devices. Completes with how many there were once every one of
     * them has closed and left presence, so that whoever asked for the kick sees them offline when it answers.
     * {@code kickedAtMillis} is when the kick revoked the tokens: a connection still being registered when the kick
     * came, with a token issued at or before then, ends once attached.
     */
    CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data, long kickedAtMillis);

    /**
     * Kicks and extrusions sent to this node meanwhile may have been lost (the control channel had to be subscribed
     * again): every local connection checks whether it was ended, from what the engine retained.
     */
    void revalidate();

    /**
     * Messages of a stream (a user's; the broadcast stream when uid is null) were gone before this node could
     * deliver them ({@link Replay#EXPIRED}), or messages it delivered are gone ({@link Replay#HISTORY_LOST}: a
     * failover lost them, and what the stream holds instead, possibly older, is delivered next): its connections on
     * that stream are told with {@code sys_reset} and the reason.
     */
    void streamReset(String uid, String reason);

    /** The engine's history started anew (its store lost its data): connections go on in the new epoch. */
    void historyRestarted(String epoch);
}
