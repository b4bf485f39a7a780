package io.ssebroker.config;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/** The immutable, validated configuration of one node. */
public record BrokerConfig(Server server, Jwt jwt, Redis redis, Sse sse, Limits limits, Auth auth, Http http, Log log) {

    public record Server(String host, int port, String address, int shutdownTimeoutSeconds) {
    }

    /** {@code secretGenerated} is true when no secret was configured and one was made up for this run. */
    public record Jwt(String secret, boolean secretGenerated, String algorithm, long expireSeconds, long maxExpireSeconds,
                      long leewaySeconds, String publicKey, String jwksUrl) {

        /** True when the secret is shorter than the hash of the algorithm (32 bytes for HS256). */
        public boolean weakSecret() {
            return secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < Integer.parseInt(algorithm.substring(2)) / 8;
        }
    }

    public record Redis(List<String> addrs, String password, int db) {
        public boolean configured() {
            return !addrs.isEmpty();
        }
    }

    public record Sse(int heartbeatIntervalSeconds, int historySize, long historyExpireSeconds, int retryMs, int retryJitterMs) {
    }

    public record Limits(int maxMessageBytes, int maxBodyBytes, int maxHeaderBytes, int maxTargets, int maxConnections,
                         int maxDevicesPerUser, int maxUnsentBytes) {
    }

    public record Auth(List<String> apiKeys) {
    }

    public record Http(List<String> corsOrigins, List<String> trustedProxies, boolean epoll, int ioThreads) {
    }

    public record Log(String level) {
    }

    private static final Set<String> LOG_LEVELS = Set.of("error", "warn", "info", "debug", "trace");
    private static final Set<String> MINTING_ALGORITHMS = Set.of("HS256", "HS384", "HS512");
    private static final int MIN_SECRET_BYTES = 32;
    /** go-sse-broker accepted short secrets; shorter than this is refused, shorter than the hash only warned about. */
    private static final int MIN_ACCEPTED_SECRET_BYTES = 8;

    static BrokerConfig from(ConfigValues v) {
        String secret = v.string("jwt.secret");
        boolean generated = secret.isEmpty();
        if (generated) {
            byte[] random = new byte[MIN_SECRET_BYTES];
            new SecureRandom().nextBytes(random);
            secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        }
        String algorithm = v.string("jwt.algorithm").trim().toUpperCase();
        if (!MINTING_ALGORITHMS.contains(algorithm)) {
            throw ConfigException.invalid("jwt.algorithm", v.string("jwt.algorithm"), "must be one of HS256, HS384, HS512");
        }
        if (secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < MIN_ACCEPTED_SECRET_BYTES) {
            throw ConfigException.invalid("jwt.secret", "<" + secret.length() + " characters>",
                    "must be at least " + MIN_ACCEPTED_SECRET_BYTES + " bytes (32 or more recommended for HS256)");
        }
        if (v.longValue("jwt.expire") > v.longValue("jwt.max_expire")) {
            throw ConfigException.invalid("jwt.expire", v.longValue("jwt.expire"),
                    "must not exceed jwt.max_expire (" + v.longValue("jwt.max_expire") + ")");
        }
        for (String origin : v.list("http.cors_origins")) {
            if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
                throw ConfigException.invalid("http.cors_origins", origin, "must be '*' or scheme://host[:port] without a path");
            }
        }
        String logLevel = v.string("log.level").trim().toLowerCase();
        if (!LOG_LEVELS.contains(logLevel)) {
            throw ConfigException.invalid("log.level", v.string("log.level"), "must be one of error, warn, info, debug, trace");
        }
        for (String proxy : v.list("http.trusted_proxies")) {
            if (!proxy.matches("\\[?[0-9a-fA-F:.]+]?")) {
                throw ConfigException.invalid("http.trusted_proxies", proxy, "must be an IP address");
            }
        }
        for (String key : v.list("auth.api_keys")) {
            if (key.length() < 16) {
                throw ConfigException.invalid("auth.api_keys", "<" + key.length() + " characters>",
                        "an API key needs at least 16 characters");
            }
        }
        return new BrokerConfig(
                new Server(v.string("server.host"), v.integer("server.port"), v.string("server.address"),
                        v.integer("server.shutdown_timeout")),
                new Jwt(secret, generated, algorithm, v.longValue("jwt.expire"), v.longValue("jwt.max_expire"),
                        v.longValue("jwt.leeway"), v.string("jwt.public_key"), v.string("jwt.jwks_url")),
                new Redis(v.list("redis.addrs"), v.string("redis.password"), v.integer("redis.db")),
                new Sse(v.integer("sse.heartbeat_interval"), v.integer("sse.device_frame_cache_size"),
                        v.longValue("sse.device_frame_cache_expire"), v.integer("sse.retry_ms"), v.integer("sse.retry_jitter")),
                new Limits(v.integer("limits.max_message_bytes"), v.integer("limits.max_body_bytes"),
                        v.integer("limits.max_header_bytes"), v.integer("limits.max_targets"),
                        v.integer("limits.max_connections"), v.integer("limits.max_devices_per_user"),
                        v.integer("limits.max_unsent_bytes")),
                new Auth(v.list("auth.api_keys")),
                new Http(v.list("http.cors_origins"), v.list("http.trusted_proxies"), v.bool("http.epoll"),
                        v.integer("http.io_threads")),
                new Log(logLevel));
    }
}
