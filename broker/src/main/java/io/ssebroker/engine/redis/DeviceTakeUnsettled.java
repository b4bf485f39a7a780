package io.ssebroker.engine.redis;

import io.ssebroker.engine.Failures;

/**
 * A registration that failed before it knew that it had taken its device and ended the session another user had on
 * it (the step that records the owner, or the one that removes that session, unanswered in time): the device may be
 * recorded as the registering user's while the other user's connection is still online with it. Its rollback gives
 * the device back to that user (give-back-owner.lua), unless a later registration took the device since.
 */
final class DeviceTakeUnsettled extends RuntimeException {
    private DeviceTakeUnsettled(Throwable cause) {
        super(cause.getMessage(), cause);
    }

    static DeviceTakeUnsettled of(Throwable failure) {
        return new DeviceTakeUnsettled(Failures.cause(failure));
    }

    /** Whether a registration's failure is one of these. */
    static boolean in(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DeviceTakeUnsettled) {
                return true;
            }
        }
        return false;
    }
}
