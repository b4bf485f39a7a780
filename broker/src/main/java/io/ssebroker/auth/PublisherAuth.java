package io.ssebroker.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Who may call the publisher API: holders of a configured API key, or, when none is configured, processes on the
 * node's own host that connect to it directly (over loopback, not through a proxy).
 */
public final class PublisherAuth {
    private final List<byte[]> keys;

    public PublisherAuth(List<String> apiKeys) {
        this.keys = apiKeys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    public boolean keysConfigured() {
        return !keys.isEmpty();
    }

    /**
     * @param presentedKey the key from {@code X-API-Key} or {@code Authorization: Bearer}, or null
     * @param localClient  the request comes straight from a process on this host, not through a proxy
     * @return null when allowed, else the HTTP status (401 or 403)
     */
    public Integer check(String presentedKey, boolean localClient) {
        if (keys.isEmpty()) {
            return localClient ? null : 403;
        }
        if (presentedKey == null) {
            return 401;
        }
        byte[] presented = presentedKey.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(key, presented); // no early exit: time does not tell which key is close
        }
        return match ? null : 401;
    }
}
