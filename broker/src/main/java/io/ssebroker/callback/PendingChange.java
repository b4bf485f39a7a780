package io.ssebroker.callback;

import io.ssebroker.engine.ChangeReceipt;
import io.ssebroker.engine.StateChange;

/**
 * A state change waiting for delivery. An offline change is held until {@code holdUntilNanos} (the offline grace),
 * so that an online of the same user or device can still take it back.
 */
record PendingChange(StateChange change, ChangeReceipt receipt, boolean held, long holdUntilNanos) {

    /** Still within its grace at {@code nowNanos}. */
    boolean heldAt(long nowNanos) {
        return held && holdUntilNanos - nowNanos > 0;
    }

    /** True when this is the held offline that {@code online} takes back: same kind of subject, same device. */
    boolean undoneBy(StateChange online, long nowNanos) {
        if (!heldAt(nowNanos)) {
            return false;
        }
        return switch (online.kind()) {
            case USER_ONLINE -> change.kind() == StateChange.Kind.USER_OFFLINE;
            case DEVICE_ONLINE -> change.kind() == StateChange.Kind.DEVICE_OFFLINE
                    && change.device().equals(online.device());
            default -> false;
        };
    }
}
