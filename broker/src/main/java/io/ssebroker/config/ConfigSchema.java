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
            string("server", "access_log_path", "", "file for the access log, one line per request; empty = no access log"),
            string("server", "error_log_path", "", "file that also receives every WARN and ERROR line; empty = none"),
            string("server", "broker_log_path", "", "file for the main log instead of the console; empty = console"),

            string("jwt", "secret", "", "HMAC secret for HS256/384/512 tokens; generated per start when empty"),
            string("jwt", "algorithm", "HS256", "algorithm of minted tokens: HS256, HS384 or HS512"),
            integer("jwt", "expire", DAY, 1, 10 * 365 * DAY, "default token lifetime in seconds"),
            integer("jwt", "max_expire", 7 * DAY, 1, 10 * 365 * DAY, "longest token lifetime /token grants (jwt.max_lifetime caps it too when set; left unset, jwt.expire when longer); also how long a kick revokes tokens (jwt.max_lifetime when longer, plus twice jwt.leeway)"),
            integer("jwt", "leeway", 30, 0, 3600, "clock skew in seconds allowed on exp, nbf and iat"),
            string("jwt", "issuer", "", "when set, a token's iss claim must equal it"),
            string("jwt", "audience", "", "when set, a token's aud claim must name it"),
            integer("jwt", "max_lifetime", 0, 0, 10 * 365 * DAY, "longest lifetime (exp - iat) of an accepted token in seconds; when set, a token without iat is refused; 0 = any"),
            string("jwt", "public_key", "", "PEM public key (RSA, EC or Ed25519), inline or a file path, to verify RS/PS/ES/EdDSA tokens"),
            bool("jwt", "require_device", false, "refuse connect tokens not bound to a device (a device_name claim): the client then cannot pick the device it takes over"),
            string("jwt", "jwks_url", "", "JWKS URL to verify RS/PS/ES/EdDSA tokens (fetched at start, refreshed every 5 minutes)"),

            list("redis", "addrs", "Redis addresses; one = standalone, several = Redis Cluster"),
            string("redis", "password", "", "Redis password"),
            integer("redis", "db", 0, 0, 15, "Redis database (standalone and Sentinel; a Redis Cluster has 0 only, and another value is ignored there with a warning)"),
            integer("redis", "pool_size", 0, 0, 10_000, "go-sse-broker key; accepted (one multiplexed connection is used)"),
            string("redis", "username", "", "Redis ACL user name"),
            bool("redis", "tls", false, "connect with TLS (also implied by rediss:// addresses)"),
            string("redis", "sentinel_master", "", "Sentinel master name; when set, redis.sentinel_addrs are the sentinels"),
            list("redis", "sentinel_addrs", "Sentinel addresses (host:port)"),
            integer("redis", "timeout", 5, 1, 600, "seconds a Redis command may take before it fails"),
            string("redis", "key_prefix", "sse", "prefix of every key and channel the broker uses"),
            integer("redis", "node_heartbeat", 3, 1, 600, "seconds between node liveness beats; a node silent for 3 beats is cleared"),
            integer("redis", "channel_linger", 30, 0, 3600, "seconds a user's channel stays subscribed after the user's last device on the node left (0 = unsubscribe at once; at most 50,000 users per node)"),
            integer("redis", "send_replicas", 0, 0, 16, "replicas of a stream's master that must have a sent message before /send answers 200 (Redis WAIT; 0 = the master alone)"),
            integer("redis", "send_replicas_wait_ms", 1000, 1, 60_000, "longest wait in milliseconds for redis.send_replicas; a send they did not confirm in time answers 503 (with redis.send_replicas: shorter than redis.timeout)"),

            integer("sse", "heartbeat_interval", 30, 1, 3600, "seconds of silence before a ':heartbeat' comment"),
            integer("sse", "heartbeat_timeout", 30, 0, 3600,
                    "seconds a client may leave what was sent to it (a heartbeat at least) unacknowledged, or (Linux "
                    + "5.11+) its receive window closed, before its connection is dropped as gone: its device goes offline "
                    + "with reason heartbeat_fail (docs/API.md, section 3.3); 0 = left to TCP (about 15 minutes for a "
                    + "client that vanished without a FIN or reset); a few seconds would drop connections on ordinary "
                    + "packet loss; every connection of the HTTP port; needs the epoll transport (http.epoll, Linux x86_64 "
                    + "as packaged)"),
            integer("sse", "device_frame_cache_size", 100, 1, 1_000_000, "messages retained per user stream and in the broadcast stream"),
            integer("sse", "device_frame_cache_expire", DAY, 1, 365 * DAY, "seconds a retained message is kept"),
            integer("sse", "retry_ms", 3000, 0, 3_600_000, "reconnect delay sent as 'retry:'"),
            integer("sse", "retry_jitter", 1000, 0, 3_600_000, "random +/- milliseconds added to retry_ms per connection"),
            integer("sse", "idempotency_window", 300, 1, 7 * DAY, "seconds a /send idempotency key is remembered: a repeat answers the first result (Redis engine: at least 60 s, or 10 × redis.timeout)"),

            integer("limits", "max_message_bytes", 65_536, 1, 16 * 1024 * 1024, "largest 'data' of /send in bytes"),
            integer("limits", "max_body_bytes", 1_048_576, 1024, 64 * 1024 * 1024, "largest request body in bytes"),
            integer("limits", "max_header_bytes", 16_384, 1024, 1024 * 1024, "largest request line, and largest header block, in bytes"),
            integer("limits", "max_targets", 1000, 1, 1_000_000, "most uids plus devices in one request"),
            integer("limits", "max_connections", 100_000, 1, MAX_INT, "most SSE connections on this node (503 beyond; an event-stream request gets 200 and sys_unavailable)"),
            integer("limits", "max_devices_per_user", 32, 1, 100_000, "most devices online per uid (429 beyond)"),
            integer("limits", "max_connections_per_address", 10_000, 0, MAX_INT, "most SSE connections per client address on this node (429 beyond; an event-stream request gets 200 and sys_unavailable); 0 = no limit"),
            integer("limits", "connects_per_second_per_address", 100, 0, MAX_INT, "new SSE connections per second per client address, bursts of as many allowed (429 beyond; an event-stream request gets 200 and sys_unavailable); 0 = no limit"),
            integer("limits", "max_unsent_bytes", 1_048_576, 4096, 1024L * 1024 * 1024, "unsent bytes after which a slow client is disconnected"),

            list("auth", "api_keys", "publisher API keys; when empty the publisher API is served to local clients only (loopback, not through a proxy, not from another site's page)"),

            list("http", "cors_origins", "origins allowed by CORS (scheme://host[:port], no patterns); '*' for any (no credentials)"),
            list("http", "trusted_proxies", "proxy addresses or CIDR ranges whose forwarding headers are believed"),
            string("http", "client_address_header", "auto", "header naming the client behind a trusted proxy: auto, forwarded, x-forwarded-for or x-real-ip"),
            integer("http", "header_timeout", 60, 1, 3600, "seconds a client may take to send a request line and headers (408 and close beyond)"),
            integer("http", "body_timeout", 60, 1, 3600, "seconds a request body may take to arrive in all (408 and close beyond)"),
            integer("http", "keepalive_timeout", 75, 1, 3600, "seconds an idle keep-alive connection, or an HTTP/2 connection without requests, stays open"),
            bool("http", "epoll", true, "use the native epoll transport on Linux"),
            integer("http", "io_threads", 0, 0, 1024, "event-loop threads (0 = one per core)"),
            string("http", "tls_cert", "", "PEM file with the certificate chain; HTTPS when tls_cert and tls_key are set"),
            string("http", "tls_key", "", "PEM file with the unencrypted PKCS#8 private key of tls_cert"),
            bool("http", "h2", true, "serve HTTP/2: h2 over TLS (ALPN), h2c on cleartext (prior knowledge or Upgrade)"),

            string("callback", "url", "", "webhook URL that receives every state change as a POST; empty = no webhook"),
            string("callback", "user_online", "", "go-sse-broker key: webhook URL for user_online only (instead of url)"),
            string("callback", "user_offline", "", "go-sse-broker key: webhook URL for user_offline only (instead of url)"),
            string("callback", "device_online", "", "go-sse-broker key: webhook URL for device_online only (instead of url)"),
            string("callback", "device_offline", "", "go-sse-broker key: webhook URL for device_offline only (instead of url)"),
            string("callback", "secret", "", "key of the HMAC-SHA256 signature of each webhook body (X-SSE-Signature); empty = unsigned"),
            integer("callback", "offline_grace", 0, 0, 3600, "seconds an offline is held back; back online within it = neither is sent"),
            bool("callback", "offline_grace_channels", false, "Redis engine: apply offline_grace to the go-sse-broker Redis channels too"),
            integer("callback", "timeout", 5, 1, 300, "seconds one webhook attempt may take"),
            integer("callback", "max_attempts", 5, 1, 100, "attempts per state change, with exponential backoff, before it is given up"),
            integer("callback", "queue_size", 10_000, 1, 10_000_000, "most state changes waiting for delivery; beyond, new ones are dropped and counted"),

            string("log", "level", "info", "log level: error, warn, info, debug or trace"),
            string("log", "format", "text", "log line format: text, or json (one JSON object per line)"));

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
