package io.ssebroker.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The immutable, validated configuration of one node. */
public record BrokerConfig(Server server, Jwt jwt, Redis redis, Sse sse, Limits limits, Auth auth, Http http,
                           Callback callback, Log log) {

    public record Server(String host, int port, String address, int shutdownTimeoutSeconds) {
    }

    /** {@code secretGenerated} is true when no secret was configured and one was made up for this run. */
    public record Jwt(String secret, boolean secretGenerated, String algorithm, long expireSeconds, long maxExpireSeconds,
                      long leewaySeconds, String issuer, String audience, long maxLifetimeSeconds, String publicKey,
                      String jwksUrl, boolean requireDevice) {

        /** The longest lifetime /token grants: jwt.max_expire, and never more than the node itself would accept. */
        public long longestMintedSeconds() {
            return maxLifetimeSeconds > 0 ? Math.min(maxExpireSeconds, maxLifetimeSeconds) : maxExpireSeconds;
        }

        /**
         * How long a kick revokes the tokens issued before it: as long as any token the node accepts may live, which
         * is jwt.max_expire, or jwt.max_lifetime when that is set and longer, and the leeway twice (a lifetime may
         * pass its maximum by it, and an expiry be past by it). A token of another issuer that lives longer still
         * (jwt.max_lifetime unset) is accepted again after that.
         */
        public long revocationSeconds() {
            return Math.max(maxExpireSeconds, maxLifetimeSeconds) + 2 * leewaySeconds;
        }

        /** True when the secret is shorter than the hash of the algorithm (32 bytes for HS256). */
        public boolean weakSecret() {
            return secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < hashBytes(algorithm);
        }

        /** The length of the hash of an HMAC algorithm (HS256: 32 bytes), which its secret needs to resist guessing. */
        public static int hashBytes(String algorithm) {
            return Integer.parseInt(algorithm.substring(2)) / 8;
        }
    }

    public record Redis(List<String> addrs, String password, int db, String username, boolean tls, String sentinelMaster,
                        List<String> sentinelAddrs, int timeoutSeconds, String keyPrefix, int nodeHeartbeatSeconds,
                        int channelLingerSeconds, int sendReplicas, int sendReplicasWaitMillis) {
        public boolean configured() {
            return !addrs.isEmpty() || !sentinelMaster.isEmpty();
        }
    }

    public record Sse(int heartbeatIntervalSeconds, int heartbeatTimeoutSeconds, int historySize, long historyExpireSeconds,
                      int retryMs, int retryJitterMs, long idempotencyWindowSeconds) {
    }

    public record Limits(int maxMessageBytes, int maxBodyBytes, int maxHeaderBytes, int maxTargets, int maxConnections,
                         int maxDevicesPerUser, int maxConnectionsPerAddress, int connectsPerSecondPerAddress,
                         int maxUnsentBytes) {

        /** How many kicked or extruded connections of a user are remembered: every device of the user, twice over. */
        public int endedConnectionsPerUser() {
            return Math.max(16, 2 * maxDevicesPerUser);
        }
    }

    public record Auth(List<String> apiKeys) {
    }

    /** {@code tlsCert} and {@code tlsKey} are PEM file paths, both empty for cleartext. */
    public record Http(List<String> corsOrigins, List<AddressRange> trustedProxies, String clientAddressHeader,
                       int headerTimeoutSeconds, int bodyTimeoutSeconds, int keepAliveTimeoutSeconds, boolean epoll,
                       int ioThreads, String tlsCert, String tlsKey, boolean h2) {
        public boolean tls() {
            return !tlsCert.isEmpty();
        }
    }

    /**
     * Webhook callbacks of state changes. {@code url} takes every kind; a per-kind URL (go-sse-broker's keys) takes
     * that kind instead. Empty strings mean "not set".
     */
    public record Callback(String url, String userOnlineUrl, String userOfflineUrl, String deviceOnlineUrl,
                           String deviceOfflineUrl, String secret, int offlineGraceSeconds, boolean offlineGraceOnChannels,
                           int timeoutSeconds, int maxAttempts, int queueSize) {

        /**
         * The same, the offline grace left to the engine: the Redis engine holds offlines in Redis, for the whole
         * cluster, so the webhook need not hold them again.
         */
        public Callback withGraceInEngine() {
            return new Callback(url, userOnlineUrl, userOfflineUrl, deviceOnlineUrl, deviceOfflineUrl, secret, 0,
                    offlineGraceOnChannels, timeoutSeconds, maxAttempts, queueSize);
        }

        /** True when at least one kind of state change has a URL to go to. */
        public boolean configured() {
            return !(url + userOnlineUrl + userOfflineUrl + deviceOnlineUrl + deviceOfflineUrl).isEmpty();
        }
    }

    /** Logging: level, line format, and the files of go-sse-broker's three logs (empty = not written to a file). */
    public record Log(String level, String format, String accessLogPath, String errorLogPath, String brokerLogPath) {
        public boolean json() {
            return format.equals("json");
        }
    }

    private static final Set<String> LOG_LEVELS = Set.of("error", "warn", "info", "debug", "trace");
    private static final Set<String> LOG_FORMATS = Set.of("text", "json");
    private static final Set<String> CLIENT_ADDRESS_HEADERS = Set.of("auto", "forwarded", "x-forwarded-for", "x-real-ip");
    /** The keys whose values are http(s) URLs, which may carry credentials in their user info or query. */
    public static final List<String> URL_KEYS = List.of("jwt.jwks_url", "callback.url", "callback.user_online",
            "callback.user_offline", "callback.device_online", "callback.device_offline");
    private static final Set<String> MINTING_ALGORITHMS = Set.of("HS256", "HS384", "HS512");
    private static final int MIN_SECRET_BYTES = 32;
    /** go-sse-broker accepted short secrets; shorter than this is refused, shorter than the hash only warned about. */
    private static final int MIN_ACCEPTED_SECRET_BYTES = 8;
    /** A host and port that name no Internet host (a container's service name with an underscore: hook_rx:8080). */
    private static final Pattern NAMED_HOST = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?(:[0-9]{1,5})?");

    static BrokerConfig from(ConfigValues v) {
        String algorithm = v.string("jwt.algorithm").trim().toUpperCase(Locale.ROOT);
        if (!MINTING_ALGORITHMS.contains(algorithm)) {
            throw ConfigException.invalid("jwt.algorithm", v.string("jwt.algorithm"), "must be one of HS256, HS384, HS512");
        }
        String secret = v.string("jwt.secret");
        boolean generated = secret.isEmpty();
        if (generated) {
            byte[] random = new byte[Math.max(MIN_SECRET_BYTES, Jwt.hashBytes(algorithm))];
            new SecureRandom().nextBytes(random);
            secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        }
        if (secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < MIN_ACCEPTED_SECRET_BYTES) {
            throw ConfigException.invalid("jwt.secret", "<" + secret.length() + " characters>",
                    "must be at least " + MIN_ACCEPTED_SECRET_BYTES + " bytes (32 or more recommended for HS256)");
        }
        // go-sse-broker had no jwt.max_expire: its configuration's expire, longer than the default, sets it.
        long maxExpire = "default".equals(v.source("jwt.max_expire"))
                ? Math.max(v.longValue("jwt.max_expire"), v.longValue("jwt.expire")) : v.longValue("jwt.max_expire");
        if (v.longValue("jwt.expire") > maxExpire) {
            throw ConfigException.invalid("jwt.expire", v.longValue("jwt.expire"),
                    "must not exceed jwt.max_expire (" + maxExpire + ")");
        }
        List<String> corsOrigins = new java.util.ArrayList<>();
        for (String origin : v.list("http.cors_origins")) {
            corsOrigins.add(corsOrigin(origin));
        }
        if (!v.string("redis.sentinel_master").isEmpty() && v.list("redis.sentinel_addrs").isEmpty()) {
            throw ConfigException.invalid("redis.sentinel_addrs", v.list("redis.sentinel_addrs"),
                    "must name at least one sentinel when redis.sentinel_master is set");
        }
        for (String address : v.list("redis.addrs")) {
            if (!address.matches("(rediss?://)?[^\\s/:]+(:\\d+)?") && !address.matches("(rediss?://)?\\[[0-9a-fA-F:.]+](:\\d+)?")) {
                throw ConfigException.invalid("redis.addrs", address, "must be host:port (optionally redis:// or rediss://)");
            }
        }
        if (!v.string("redis.key_prefix").matches("[A-Za-z0-9_.-]{1,32}")) {
            throw ConfigException.invalid("redis.key_prefix", v.string("redis.key_prefix"), "must be 1-32 of [A-Za-z0-9_.-]");
        }
        // Lettuce fails a command after redis.timeout: a longer WAIT would be cut short, its outcome unknown.
        if (v.integer("redis.send_replicas") > 0 && v.integer("redis.send_replicas_wait_ms") >= v.integer("redis.timeout") * 1000L) {
            throw ConfigException.invalid("redis.send_replicas_wait_ms", v.integer("redis.send_replicas_wait_ms"),
                    "must be shorter than redis.timeout (" + v.integer("redis.timeout") + " s)");
        }
        String logLevel = v.string("log.level").trim().toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(logLevel)) {
            throw ConfigException.invalid("log.level", v.string("log.level"), "must be one of error, warn, info, debug, trace");
        }
        String logFormat = v.string("log.format").trim().toLowerCase(Locale.ROOT);
        if (!LOG_FORMATS.contains(logFormat)) {
            throw ConfigException.invalid("log.format", v.string("log.format"), "must be text or json");
        }
        for (String key : URL_KEYS) {
            checkHttpUrl(key, v.string(key).trim());
        }
        checkTlsFiles(v.string("http.tls_cert").trim(), v.string("http.tls_key").trim());
        List<AddressRange> trustedProxies = new java.util.ArrayList<>();
        for (String proxy : v.list("http.trusted_proxies")) {
            try {
                trustedProxies.add(AddressRange.parse(proxy));
            } catch (IllegalArgumentException e) {
                throw ConfigException.invalid("http.trusted_proxies", proxy,
                        "must be an IP address or a CIDR range such as 10.0.0.0/8 (" + e.getMessage() + ")");
            }
        }
        String clientAddressHeader = v.string("http.client_address_header").trim().toLowerCase(Locale.ROOT);
        if (!CLIENT_ADDRESS_HEADERS.contains(clientAddressHeader)) {
            throw ConfigException.invalid("http.client_address_header", v.string("http.client_address_header"),
                    "must be one of auto, forwarded, x-forwarded-for, x-real-ip");
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
                new Jwt(secret, generated, algorithm, v.longValue("jwt.expire"), maxExpire,
                        v.longValue("jwt.leeway"), v.string("jwt.issuer").trim(), v.string("jwt.audience").trim(),
                        v.longValue("jwt.max_lifetime"), v.string("jwt.public_key"), v.string("jwt.jwks_url"),
                        v.bool("jwt.require_device")),
                new Redis(v.list("redis.addrs"), v.string("redis.password"), v.integer("redis.db"),
                        v.string("redis.username"), v.bool("redis.tls"), v.string("redis.sentinel_master"),
                        v.list("redis.sentinel_addrs"), v.integer("redis.timeout"), v.string("redis.key_prefix"),
                        v.integer("redis.node_heartbeat"), v.integer("redis.channel_linger"), v.integer("redis.send_replicas"),
                        v.integer("redis.send_replicas_wait_ms")),
                new Sse(v.integer("sse.heartbeat_interval"), v.integer("sse.heartbeat_timeout"), v.integer("sse.device_frame_cache_size"),
                        v.longValue("sse.device_frame_cache_expire"), v.integer("sse.retry_ms"), v.integer("sse.retry_jitter"),
                        v.longValue("sse.idempotency_window")),
                new Limits(v.integer("limits.max_message_bytes"), v.integer("limits.max_body_bytes"),
                        v.integer("limits.max_header_bytes"), v.integer("limits.max_targets"),
                        v.integer("limits.max_connections"), v.integer("limits.max_devices_per_user"),
                        v.integer("limits.max_connections_per_address"), v.integer("limits.connects_per_second_per_address"),
                        v.integer("limits.max_unsent_bytes")),
                new Auth(v.list("auth.api_keys")),
                new Http(List.copyOf(corsOrigins), List.copyOf(trustedProxies), clientAddressHeader,
                        v.integer("http.header_timeout"), v.integer("http.body_timeout"),
                        v.integer("http.keepalive_timeout"), v.bool("http.epoll"),
                        v.integer("http.io_threads"), v.string("http.tls_cert").trim(), v.string("http.tls_key").trim(),
                        v.bool("http.h2")),
                new Callback(v.string("callback.url").trim(), v.string("callback.user_online").trim(),
                        v.string("callback.user_offline").trim(), v.string("callback.device_online").trim(),
                        v.string("callback.device_offline").trim(), v.string("callback.secret"),
                        v.integer("callback.offline_grace"), v.bool("callback.offline_grace_channels"),
                        v.integer("callback.timeout"),
                        v.integer("callback.max_attempts"), v.integer("callback.queue_size")),
                new Log(logLevel, logFormat, v.string("server.access_log_path").trim(),
                        v.string("server.error_log_path").trim(), v.string("server.broker_log_path").trim()));
    }

    /** TLS needs both files: one without the other is a mistake, not a request for cleartext. */
    private static void checkTlsFiles(String cert, String key) {
        if (cert.isEmpty() != key.isEmpty()) {
            throw cert.isEmpty()
                    ? ConfigException.invalid("http.tls_cert", cert, "required when http.tls_key is set")
                    : ConfigException.invalid("http.tls_key", key, "required when http.tls_cert is set");
        }
        checkReadable("http.tls_cert", cert);
        checkReadable("http.tls_key", key);
    }

    /**
     * An allowed origin as a browser writes it in {@code Origin} (which is compared as a string): the scheme and host
     * in lower case, without the scheme's default port. A pattern is refused: no browser sends one.
     */
    private static String corsOrigin(String origin) {
        if (origin.equals("*")) {
            return origin;
        }
        if (!origin.matches("(?i)https?://[^/\\s?#]+")) {
            throw ConfigException.invalid("http.cors_origins", origin, "must be '*' or scheme://host[:port] without a path");
        }
        if (origin.indexOf('*') >= 0) {
            throw ConfigException.invalid("http.cors_origins", origin,
                    "a pattern matches no origin: list each origin (scheme://host[:port]), or '*' for any");
        }
        String lower = origin.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") && lower.endsWith(":80")) {
            return lower.substring(0, lower.length() - 3);
        }
        if (lower.startsWith("https://") && lower.endsWith(":443")) {
            return lower.substring(0, lower.length() - 4);
        }
        return lower;
    }

    private static void checkReadable(String key, String path) {
        if (!path.isEmpty() && !Files.isReadable(Path.of(path))) {
            throw ConfigException.invalid(key, path, "no readable file there");
        }
    }

    /** Whether the URL, which {@link URI} parsed without a host, names one all the same (its authority). */
    private static boolean namedHost(URI uri) {
        String authority = uri.getRawAuthority();
        return authority != null && NAMED_HOST.matcher(RedactedUrl.hostAndPort(authority)).matches();
    }

    private static void checkHttpUrl(String key, String url) {
        if (url.isEmpty()) {
            return;
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && (uri.getHost() != null || namedHost(uri))) {
                return;
            }
        } catch (URISyntaxException e) {
            // reported below like any other URL that is not http(s)
        }
        throw ConfigException.invalid(key, RedactedUrl.of(url), "must be an http:// or https:// URL with a host");
    }
}
