package io.ssebroker.engine;

/** The answer to a registration: refused when the user has too many devices, else whether it is the user's first. */
public record Registration(boolean accepted, boolean firstDeviceOfUser, DeviceSession replaced) {

    public static Registration refused() {
        return new Registration(false, false, null);
    }
}
