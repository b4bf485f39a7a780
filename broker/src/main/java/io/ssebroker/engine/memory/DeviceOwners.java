package io.ssebroker.engine.memory;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The uid each device last connected with, so that a message to an offline device lands in its user's stream.
 * Bounded per user, not for everyone at once: a user who churns device ids forgets its own oldest devices, never
 * another user's. A user's devices are forgotten with its stream. Not thread-safe: used under the engine's
 * presence lock.
 */
final class DeviceOwners {
    private final int perUser;
    private final Map<String, String> ownerByDevice = new HashMap<>();
    /** Each user's devices, oldest first. */
    private final Map<String, LinkedHashSet<String>> devicesByUid = new HashMap<>();

    DeviceOwners(int perUser) {
        this.perUser = perUser;
    }

    String owner(String device) {
        return ownerByDevice.get(device);
    }

    /** Records the device as the user's; when the user has too many, its oldest one not in {@code online} goes. */
    void record(String device, String uid, Set<String> online) {
        String previous = ownerByDevice.put(device, uid);
        if (previous != null && !previous.equals(uid)) {
            forgetOf(previous, device);
        }
        LinkedHashSet<String> devices = devicesByUid.computeIfAbsent(uid, k -> new LinkedHashSet<>());
        devices.remove(device);
        devices.add(device);
        if (devices.size() > perUser) {
            for (String oldest : devices) {
                if (!online.contains(oldest)) {
                    devices.remove(oldest);
                    ownerByDevice.remove(oldest);
                    break;
                }
            }
        }
    }

    /** Forgets every device of a user whose stream is gone. */
    void forgetUser(String uid) {
        LinkedHashSet<String> devices = devicesByUid.remove(uid);
        if (devices != null) {
            devices.forEach(device -> ownerByDevice.remove(device, uid));
        }
    }

    private void forgetOf(String uid, String device) {
        LinkedHashSet<String> devices = devicesByUid.get(uid);
        if (devices != null && devices.remove(device) && devices.isEmpty()) {
            devicesByUid.remove(uid);
        }
    }
}
