package io.ssebroker.broker;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The extrusions this node was told of lately, by the connection they end: the new connection's client address,
 * which {@code sys_extrude_offline} carries. A connection still being registered when its extrusion came was not
 * found by it; once attached it learns that it was extruded (from the engine) and takes the address from here. Kept
 * for a minute (a registration takes milliseconds) and at most {@link #MAX_EXTRUSIONS}.
 */
final class RecentExtrusions {
    private static final long KEEP_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int MAX_EXTRUSIONS = 4096;

    private record Extrusion(String byClientAddress, long receivedNanos) {
    }

    /** By the nonce of the connection ended, oldest first. */
    private final LinkedHashMap<String, Extrusion> extrusions = new LinkedHashMap<>();

    synchronized void add(String nonce, String byClientAddress) {
        long now = System.nanoTime();
        for (Iterator<Extrusion> oldestFirst = extrusions.values().iterator(); oldestFirst.hasNext(); ) {
            Extrusion oldest = oldestFirst.next();
            if (extrusions.size() < MAX_EXTRUSIONS && now - oldest.receivedNanos() <= KEEP_NANOS) {
                break;
            }
            oldestFirst.remove();
        }
        Extrusion known = extrusions.remove(nonce);
        // an extrusion found by a recovery, which knows no address, does not hide the one the node was told of
        String address = byClientAddress.isEmpty() && known != null ? known.byClientAddress() : byClientAddress;
        extrusions.put(nonce, new Extrusion(address, now));
    }

    /** The extrusion ended an attached connection: no connection still being registered needs its address. */
    synchronized void forget(String nonce) {
        extrusions.remove(nonce);
    }

    /** The client address of the connection that extruded this one; "" when this node was not told of it. */
    synchronized String byWhom(String nonce) {
        Extrusion extrusion = extrusions.get(nonce);
        return extrusion == null ? "" : extrusion.byClientAddress();
    }
}
