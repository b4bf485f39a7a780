package io.ssebroker.callback;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.RedactedUrl;
import io.ssebroker.engine.StateChange.Kind;
import io.ssebroker.engine.StateChangeJson;
import java.net.URI;
import java.util.EnumMap;
import java.util.stream.Collectors;

/** Where each kind of state change is posted: its own URL (go-sse-broker's per-kind keys) or else the common one. */
final class WebhookUrls {
    private final EnumMap<Kind, URI> byKind = new EnumMap<>(Kind.class);

    WebhookUrls(BrokerConfig.Callback config) {
        put(Kind.USER_ONLINE, config.userOnlineUrl(), config.url());
        put(Kind.USER_OFFLINE, config.userOfflineUrl(), config.url());
        put(Kind.DEVICE_ONLINE, config.deviceOnlineUrl(), config.url());
        put(Kind.DEVICE_OFFLINE, config.deviceOfflineUrl(), config.url());
    }

    /** The URL for this kind; null when this kind is not posted anywhere. */
    URI forKind(Kind kind) {
        return byKind.get(kind);
    }

    /** For the start-up log: scheme, host, port and path only, since a query or user info may hold credentials. */
    String describe() {
        if (byKind.size() == Kind.values().length && byKind.values().stream().distinct().count() == 1) {
            return RedactedUrl.of(byKind.get(Kind.USER_ONLINE).toString());
        }
        return byKind.entrySet().stream()
                .map(entry -> StateChangeJson.eventName(entry.getKey()) + " -> " + RedactedUrl.of(entry.getValue().toString()))
                .collect(Collectors.joining(", "));
    }

    private void put(Kind kind, String own, String common) {
        String url = own.isEmpty() ? common : own;
        if (!url.isEmpty()) {
            byKind.put(kind, URI.create(url));
        }
    }
}
