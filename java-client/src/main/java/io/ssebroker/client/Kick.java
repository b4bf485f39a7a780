package io.ssebroker.client;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A {@code /kick}: ends the connections of these users and devices and revokes their earlier tokens. */
public record Kick(Set<String> uids, Set<String> devices, String data) {

    public Kick {
        uids = Collections.unmodifiableSet(new LinkedHashSet<>(uids));
        devices = Collections.unmodifiableSet(new LinkedHashSet<>(devices));
        if (uids.isEmpty() && devices.isEmpty()) {
            throw new IllegalArgumentException("a kick names at least one uid or device");
        }
    }

    public static Kick users(String... uids) {
        return users(List.of(uids));
    }

    public static Kick users(Collection<String> uids) {
        return new Kick(new LinkedHashSet<>(uids), Set.of(), null);
    }

    public static Kick devices(String... devices) {
        return devices(List.of(devices));
    }

    public static Kick devices(Collection<String> devices) {
        return new Kick(Set.of(), new LinkedHashSet<>(devices), null);
    }

    /** The data of the {@code sys_kick_offline} event the ended connections receive (why they were ended). */
    public Kick withData(String reason) {
        return new Kick(uids, devices, reason);
    }
}
