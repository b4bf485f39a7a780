package io.ssebroker.engine;

/**
 * Receives presence changes on the node where they happened, in order per uid. Called while the engine holds its
 * presence lock: implementations must only hand the change off (queue it), never block.
 */
@FunctionalInterface
public interface StateChangeListener {
    StateChangeListener NONE = change -> { };

    void stateChanged(StateChange change);

    /**
     * A change with its receipt, from an engine that records the changes it hands on until the listener is done with
     * them. A listener that is done at once (it only counts or queues elsewhere) takes this default; one that works
     * on the change later (the webhook) keeps the receipt and finishes it then.
     */
    default void stateChanged(StateChange change, ChangeReceipt receipt) {
        stateChanged(change);
        receipt.finished();
    }
}
