package io.ssebroker.engine;

/**
 * The answer to a registration: refused when the user has too many devices or the connection's token was revoked by
 * a kick; else whether it is the user's first device, the session it replaced, and {@code start}: where a connection
 * without a cursor starts, fixed together with the registration, so that every message published once the device
 * counts as online (for a send, or for the device-online callback) is after it.
 */
public record Registration(Outcome outcome, boolean firstDeviceOfUser, DeviceSession replaced, Position start) {

    public enum Outcome {
        ACCEPTED,
        /** The user already has the maximum of other devices online. */
        TOO_MANY_DEVICES,
        /** A kick of the user or the device revoked the connection's token after it was issued. */
        REVOKED
    }

    public static Registration accepted(boolean firstDeviceOfUser, DeviceSession replaced, Position start) {
        return new Registration(Outcome.ACCEPTED, firstDeviceOfUser, replaced, start);
    }

    public static Registration tooManyDevices() {
        return new Registration(Outcome.TOO_MANY_DEVICES, false, null, null);
    }

    public static Registration revoked() {
        return new Registration(Outcome.REVOKED, false, null, null);
    }

    public boolean accepted() {
        return outcome == Outcome.ACCEPTED;
    }
}
