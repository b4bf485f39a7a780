package io.ssebroker.engine;

/**
 * Receives presence changes on the node where they happened, in order per uid. Called while the engine holds its
 * presence lock: implementations must only hand the change off (queue it), never block.
 */
@FunctionalInterface
public interface StateChangeListener {
    StateChangeListener NONE = change -> { };

    void stateChanged(StateChange change);
}
