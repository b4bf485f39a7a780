package io.ssebroker.engine;

/**
 * The answer to a registration: refused when the user has too many devices; else whether it is the user's first
 * device, the session it replaced, and {@code start}: where a connection without a cursor starts, fixed together with
 * the registration, so that every message published once the device counts as online (for a send, or for the
 * device-online callback) is after it.
 */
public record Registration(boolean accepted, boolean firstDeviceOfUser, DeviceSession replaced, Position start) {

    public static Registration refused() {
        return new Registration(false, false, null, null);
    }
}
