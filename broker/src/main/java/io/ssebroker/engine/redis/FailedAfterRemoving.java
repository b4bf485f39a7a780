package io.ssebroker.engine.redis;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Failures;
import java.util.ArrayList;
import java.util.List;

/**
 * A presence step that failed after it had removed connections' presence entries: a registration that replaced the
 * device's previous connection, or took the device from another user. Those connections have no presence left,
 * whatever becomes of the step, and are ended like replaced ones; this failure names them.
 */
final class FailedAfterRemoving extends RuntimeException {
    private final transient List<DeviceSession> removed;

    private FailedAfterRemoving(List<DeviceSession> removed, Throwable cause) {
        super(cause.getMessage(), cause);
        this.removed = List.copyOf(removed);
    }

    /** The failure, naming these connections too (besides those it names already); the failure itself when none. */
    static Throwable naming(List<DeviceSession> connections, Throwable failure) {
        Throwable cause = Failures.cause(failure);
        if (connections.isEmpty()) {
            return cause;
        }
        List<DeviceSession> all = new ArrayList<>(removedBy(cause));
        for (DeviceSession connection : connections) {
            if (all.stream().noneMatch(named -> named.nonce().equals(connection.nonce()))) {
                all.add(connection);
            }
        }
        return new FailedAfterRemoving(all, cause instanceof FailedAfterRemoving named ? named.getCause() : cause);
    }

    /** The connections a failure names as removed (none when it is not one of these). */
    static List<DeviceSession> removedBy(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof FailedAfterRemoving named) {
                return named.removed;
            }
        }
        return List.of();
    }
}
