package io.ssebroker.engine;

/**
 * The answer to a registration: refused when the user has too many devices, the connection's token was revoked by
 * a kick, or the connection was ended already; else whether it is the user's first device, the session it replaced,
 * and {@code start}: where a connection without a cursor starts, fixed together with the registration, so that every
 * message published once the device counts as online (for a send, or for the device-online callback) is after it.
 * {@code decisionOrder} orders the accepted registrations made through one node as the engine decided them (its answers
 * may come in another order): of two connections of one device registered through this node, the one decided later
 * has the higher order.
 */
public record Registration(Outcome outcome, boolean firstDeviceOfUser, DeviceSession replaced, Position start,
                           long decisionOrder) {

    public enum Outcome {
        ACCEPTED,
        /** The user already has the maximum of other devices online. */
        TOO_MANY_DEVICES,
        /** A kick of the user or the device revoked the connection's token after it was issued. */
        REVOKED,
        /**
         * The connection was ended before its registration was answered: a newer connection of the device replaced it
         * (a registration that Redis ran again after a reconnect finds that), or another user's registration took the
         * device while this one registered.
         */
        ENDED
    }

    public static Registration accepted(boolean firstDeviceOfUser, DeviceSession replaced, Position start,
                                        long decisionOrder) {
        return new Registration(Outcome.ACCEPTED, firstDeviceOfUser, replaced, start, decisionOrder);
    }

    public static Registration tooManyDevices() {
        return refused(Outcome.TOO_MANY_DEVICES);
    }

    public static Registration revoked() {
        return refused(Outcome.REVOKED);
    }

    /** A registration refused with this outcome (any but {@link Outcome#ACCEPTED}). */
    public static Registration refused(Outcome outcome) {
        if (outcome == Outcome.ACCEPTED) {
            throw new IllegalArgumentException("an accepted registration is not refused");
        }
        return new Registration(outcome, false, null, null, 0);
    }

    public boolean accepted() {
        return outcome == Outcome.ACCEPTED;
    }
}
