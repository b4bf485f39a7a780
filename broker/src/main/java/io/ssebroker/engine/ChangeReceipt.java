package io.ssebroker.engine;

import java.util.UUID;

/**
 * What goes with a presence change handed to a listener that works on it later (the webhook): the change's delivery
 * id, the same wherever and however often it is posted, and the way to tell the engine that the listener is done with
 * it. The Redis engine keeps each change it handed on recorded until then, so that when its node dies first, the
 * survivor that takes over the node's work posts the change again, under the same id.
 */
public interface ChangeReceipt {

    /** The change's id, for the receiver to drop a change it was given twice. */
    String deliveryId();

    /**
     * The change's JSON as the node that saw it wrote it (and published it on the Redis channels), so that whichever
     * node posts it sends those bytes; null when the listener is to write it itself.
     */
    default String recordedJson() {
        return null;
    }

    /**
     * The listener is done with the change: posted, given up after its attempts, taken back within an offline grace,
     * or dropped by a full backlog. Not called for a change the listener abandons when the node stops: the engine
     * leaves that one to a survivor. Called once, from any thread; never blocks.
     */
    void finished();

    /** A receipt for a change kept nowhere but in the listener: a fresh id, and nothing to record. */
    static ChangeReceipt unrecorded() {
        String id = UUID.randomUUID().toString();
        return new ChangeReceipt() {
            @Override
            public String deliveryId() {
                return id;
            }

            @Override
            public void finished() {
                // nothing recorded it
            }
        };
    }
}
