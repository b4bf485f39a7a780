package io.ssebroker.engine;

import java.util.Set;

/** What an engine asks of the node it runs on; implemented by the broker. Calls must not block. */
public interface EngineListener {

    /** A message for connections on this node; called in offset order per stream. */
    void deliver(StreamMessage message);

    /** The connection {@code session} of this node was replaced by a newer one from {@code byClientAddress}. */
    void extrude(DeviceSession session, String byClientAddress);

    /** Ends the local connections of these uids and devices; returns how many were ended. */
    int kick(Set<String> uids, Set<String> devices, String data);
}
