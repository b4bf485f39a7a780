package io.ssebroker.config;

import static io.ssebroker.config.ConfigKey.bool;
import static io.ssebroker.config.ConfigKey.integer;
import static io.ssebroker.config.ConfigKey.list;
import static io.ssebroker.config.ConfigKey.string;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every configuration key the broker knows, with its default: the single source for loading, docs and check-config. */
public final class ConfigSchema {
    private static final long DAY = 86_400;
    private static final long MAX_INT = Integer.MAX_VALUE;

    public static final List<ConfigKey> KEYS = List.of(
            integer("server", "port", 8080, 0, 65535, "HTTP port (0 picks a free port)"),
            string("server", "host", "0.0.0.0", "address to listen on"),
            string("server", "address", "", "address of this node as shown in /info and sys_instance_close (default host:port)"),
            integer("server", "shutdown_timeout", 10, 0, 3600, "seconds a graceful shutdown may take"),
            string("server", "access_log_path", "", "go-sse-broker key; accepted, logging goes to the console"),
            string("server", "error_log_path", "", "go-sse-broker key; accepted, logging goes to the console"),
            string("server", "broker_log_path", "", "go-sse-broker key; accepted, logging goes to the console"),

            string("jwt", "secret", "", "HMAC secret for HS256/384/512 tokens; generated per start when empty"),
            string("jwt", "algorithm", "HS256", "algorithm of minted tokens: HS256, HS384 or HS512"),
            integer("jwt", "expire", DAY, 1, 10 * 365 * DAY, "default token lifetime in seconds"),
            integer("jwt", "max_expire", 7 * DAY, 1, 10 * 365 * DAY, "longest token lifetime /token grants; also how long a kick revokes tokens"),
            integer("jwt", "leeway", 30, 0, 3600, "clock skew in seconds allowed on exp and nbf"),
            string("jwt", "public_key", "", "PEM public key (RSA, EC or Ed25519), inline or a file path, to verify RS/PS/ES/EdDSA tokens"),
            string("jwt", "jwks_url", "", "JWKS URL to verify RS/PS/ES/EdDSA tokens (fetched at start, refreshed every 5 minutes)"),

            list("redis", "addrs", "Redis addresses; one = standalone, several = Redis Cluster"),
            string("redis", "password", "", "Redis password"),
            integer("redis", "db", 0, 0, 15, "Redis database (standalone only)"),
            integer("redis", "pool_size", 0, 0, 10_000, "go-sse-broker key; accepted"),

            integer("sse", "heartbeat_interval", 30, 1, 3600, "seconds of silence before a ':heartbeat' comment"),
            integer("sse", "device_frame_cache_size", 100, 1, 1_000_000, "messages retained per user stream and in the broadcast stream"),
            integer("sse", "device_frame_cache_expire", DAY, 1, 365 * DAY, "seconds a retained message is kept"),
            integer("sse", "retry_ms", 3000, 0, 3_600_000, "reconnect delay sent as 'retry:'"),
            integer("sse", "retry_jitter", 1000, 0, 3_600_000, "random +/- milliseconds added to retry_ms per connection"),

            integer("limits", "max_message_bytes", 65_536, 1, 16 * 1024 * 1024, "largest 'data' of /send in bytes"),
            integer("limits", "max_body_bytes", 1_048_576, 1024, 64 * 1024 * 1024, "largest request body in bytes"),
            integer("limits", "max_header_bytes", 16_384, 1024, 1024 * 1024, "largest request line, and largest header block, in bytes"),
            integer("limits", "max_targets", 1000, 1, 1_000_000, "most uids plus devices in one request"),
            integer("limits", "max_connections", 100_000, 1, MAX_INT, "most SSE connections on this node (503 beyond)"),
            integer("limits", "max_devices_per_user", 32, 1, 100_000, "most devices online per uid (429 beyond)"),
            integer("limits", "max_unsent_bytes", 1_048_576, 4096, 1024L * 1024 * 1024, "unsent bytes after which a slow client is disconnected"),

            list("auth", "api_keys", "publisher API keys; when empty the publisher API is served to loopback clients only"),

            list("http", "cors_origins", "origins allowed by CORS; '*' for any (no credentials)"),
            list("http", "trusted_proxies", "proxy IPs whose X-Forwarded-For / X-Real-IP are believed"),
            bool("http", "epoll", true, "use the native epoll transport on Linux"),
            integer("http", "io_threads", 0, 0, 1024, "event-loop threads (0 = one per core)"),

            string("log", "level", "info", "log level: error, warn, info, debug or trace"));

    private static final Map<String, ConfigKey> BY_PATH = new LinkedHashMap<>();

    static {
        for (ConfigKey key : KEYS) {
            BY_PATH.put(key.path(), key);
        }
    }

    private ConfigSchema() {
    }

    public static Optional<ConfigKey> find(String path) {
        return Optional.ofNullable(BY_PATH.get(path));
    }
}
