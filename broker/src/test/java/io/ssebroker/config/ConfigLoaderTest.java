package io.ssebroker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The effective configuration as an operator gets it from defaults, a config.toml, the environment and flags. */
class ConfigLoaderTest {
    private static final String SECRET = "a-production-secret-of-more-than-32-bytes";

    @TempDir
    Path dir;

    @Test
    void defaultsWithoutFileEnvironmentOrFlags() {
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of());
        BrokerConfig config = loaded.config();

        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.file()).isEmpty();
        assertThat(config.server().port()).isEqualTo(8080);
        assertThat(config.server().host()).isEqualTo("0.0.0.0");
        assertThat(config.server().shutdownTimeoutSeconds()).isEqualTo(10);
        assertThat(config.sse().historySize()).isEqualTo(100);
        assertThat(config.sse().heartbeatIntervalSeconds()).isEqualTo(30);
        assertThat(config.sse().historyExpireSeconds()).isEqualTo(86_400);
        assertThat(config.sse().retryMs()).isEqualTo(3000);
        assertThat(config.limits().maxMessageBytes()).isEqualTo(65_536);
        assertThat(config.limits().maxDevicesPerUser()).isEqualTo(32);
        assertThat(config.jwt().algorithm()).isEqualTo("HS256");
        assertThat(config.jwt().expireSeconds()).isEqualTo(86_400);
        assertThat(config.jwt().maxExpireSeconds()).isEqualTo(7 * 86_400);
        assertThat(config.jwt().leewaySeconds()).isEqualTo(30);
        assertThat(config.jwt().publicKey()).isEmpty();
        assertThat(config.redis().configured()).isFalse();
        assertThat(config.auth().apiKeys()).isEmpty();
        assertThat(config.http().corsOrigins()).isEmpty();
        assertThat(config.http().trustedProxies()).isEmpty();
        assertThat(loaded.values().source("server.port")).isEqualTo("default");
    }

    @Test
    void goSseBrokerConfigLoadsAsIs() throws IOException {
        Path file = write("""
                [server]
                # Port for the server to start on
                port = 8090
                access_log_path = "/var/log/sse-broker/access.log"
                error_log_path = "/var/log/sse-broker/error.log"
                broker_log_path = "/var/log/sse-broker/broker.log"

                [jwt]
                secret = "%s"
                expire = 3600

                [sse]
                heartbeat_interval = 20
                device_frame_cache_size = 10
                device_frame_cache_expire = 604800
                """.formatted(SECRET));

        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        BrokerConfig config = loaded.config();

        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.file()).contains(file);
        assertThat(config.server().port()).isEqualTo(8090);
        assertThat(loaded.values().string("server.access_log_path")).isEqualTo("/var/log/sse-broker/access.log");
        assertThat(loaded.values().string("server.error_log_path")).isEqualTo("/var/log/sse-broker/error.log");
        assertThat(loaded.values().string("server.broker_log_path")).isEqualTo("/var/log/sse-broker/broker.log");
        assertThat(config.jwt().secret()).isEqualTo(SECRET);
        assertThat(config.jwt().secretGenerated()).isFalse();
        assertThat(config.jwt().expireSeconds()).isEqualTo(3600);
        assertThat(config.sse().heartbeatIntervalSeconds()).isEqualTo(20);
        assertThat(config.sse().historySize()).isEqualTo(10);
        assertThat(config.sse().historyExpireSeconds()).isEqualTo(604_800);
        assertThat(loaded.values().source("server.port")).contains(file.toString());
    }

    @Test
    void goSseBrokerRedisSectionLoadsButTheMemoryNodeRefusesToStart() throws IOException {
        Path file = write("""
                [jwt]
                secret = "%s"

                [redis]
                addrs = ["redis-1:6379", "redis-2:6379"]
                password = "redis-pass"
                db = 5
                pool_size = 10
                """.formatted(SECRET));

        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        BrokerConfig config = loaded.config();

        assertThat(loaded.warnings()).isEmpty();
        assertThat(config.redis().configured()).isTrue();
        assertThat(config.redis().addrs()).containsExactly("redis-1:6379", "redis-2:6379");
        assertThat(config.redis().password()).isEqualTo("redis-pass");
        assertThat(config.redis().db()).isEqualTo(5);
        assertThat(loaded.values().integer("redis.pool_size")).isEqualTo(10);
    }

    @Test
    void environmentBeatsFileAndFlagBeatsEnvironment() throws IOException {
        Path file = write("""
                [server]
                port = 8123
                """);
        Map<String, String> env = Map.of("SSE_BROKER_SERVER_PORT", "9000");

        ConfigLoader.LoadedConfig fromEnv = new ConfigLoader(env).load(Optional.of(file), Map.of());
        assertThat(fromEnv.config().server().port()).isEqualTo(9000);
        assertThat(fromEnv.values().source("server.port")).contains("SSE_BROKER_SERVER_PORT");

        ConfigLoader.LoadedConfig fromFlag = new ConfigLoader(env).load(Optional.of(file), Map.of("server.port", "9100"));
        assertThat(fromFlag.config().server().port()).isEqualTo(9100);
        assertThat(fromFlag.values().source("server.port")).isEqualTo("flag");

        ConfigLoader.LoadedConfig fromFile = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        assertThat(fromFile.config().server().port()).isEqualTo(8123);
    }

    @Test
    void everyKeyHasAnEnvironmentOverride() {
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of(
                "SSE_BROKER_SSE_HEARTBEAT_INTERVAL", "5",
                "SSE_BROKER_JWT_SECRET", SECRET,
                "SSE_BROKER_LIMITS_MAX_MESSAGE_BYTES", "1024",
                "SSE_BROKER_HTTP_EPOLL", "false"))
                .load(Optional.empty(), Map.of());
        assertThat(loaded.config().sse().heartbeatIntervalSeconds()).isEqualTo(5);
        assertThat(loaded.config().jwt().secret()).isEqualTo(SECRET);
        assertThat(loaded.config().limits().maxMessageBytes()).isEqualTo(1024);
        assertThat(loaded.config().http().epoll()).isFalse();
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void anUnknownVariableIsAWarningButTheLaunchersOwnIsNot() {
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of(
                "SSE_BROKER_JWT_SECRET", SECRET,
                "SSE_BROKER_JAR", "/opt/sse-broker/sse-broker.jar",
                "SSE_BROKER_CLASS_ARCHIVE", "/var/cache/sse-broker/sse-broker.jsa",
                "SSE_BROKER_SSE_HEARTBEAT", "5"))
                .load(Optional.empty(), Map.of());
        assertThat(loaded.warnings()).singleElement().asString().contains("SSE_BROKER_SSE_HEARTBEAT");
    }

    @Test
    void unknownKeyInAKnownSectionIsAWarningNamingIt() throws IOException {
        Path file = write("""
                [sse]
                heartbeat_interval = 15
                foo = 1
                """);
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        assertThat(loaded.config().sse().heartbeatIntervalSeconds()).isEqualTo(15);
        assertThat(loaded.warnings()).singleElement().asString().contains("sse.foo");
    }

    @Test
    void unknownSectionIsAWarningNamingIt() throws IOException {
        Path file = write("""
                [server]
                port = 8081

                [metrics_exporter]
                enabled = true
                """);
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        assertThat(loaded.config().server().port()).isEqualTo(8081);
        assertThat(loaded.warnings()).singleElement().asString().contains("metrics_exporter");
    }

    @Test
    void keyOutsideAnySectionIsAWarningNamingIt() throws IOException {
        Path file = write("""
                port = 9999
                """);
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        assertThat(loaded.config().server().port()).isEqualTo(8080);
        assertThat(loaded.warnings()).singleElement().asString().contains("port");
    }

    @Test
    void unknownEnvironmentVariableIsAWarningNamingIt() {
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of("SSE_BROKER_SSE_HEARTBEAT", "5", "PATH", "/usr/bin"))
                .load(Optional.empty(), Map.of());
        assertThat(loaded.warnings()).singleElement().asString().contains("SSE_BROKER_SSE_HEARTBEAT");
    }

    @Test
    void portOutOfRangeNamesKeyValueAndReason() throws IOException {
        Path file = write("""
                [server]
                port = 70000
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.port")
                .hasMessageContaining("70000")
                .hasMessageContaining("between 0 and 65535");
    }

    @Test
    void aReplicaWaitAsLongAsTheRedisTimeoutIsRefused() throws IOException {
        // Lettuce would fail the WAIT first: its outcome unknown, every send under it a 503
        Path file = write("""
                [redis]
                timeout = 2
                send_replicas = 1
                send_replicas_wait_ms = 2000
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("redis.send_replicas_wait_ms")
                .hasMessageContaining("shorter than redis.timeout (2 s)");
        // without replicas to wait for, the wait does not matter: a short redis.timeout alone stays valid
        Path noReplicas = write("""
                [redis]
                timeout = 1
                """);
        assertThat(load(noReplicas).config().redis().sendReplicasWaitMillis()).isEqualTo(1000);
    }

    @Test
    void integerTooLargeForAnyNumberTypeIsRefusedNotWrappedAround() throws IOException {
        // 2^64 + 8080: a conversion that keeps only the low 64 bits would silently read it as 8080
        Path file = write("""
                [server]
                port = 18446744073709559696
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.port")
                .hasMessageContaining("18446744073709559696");
    }

    @Test
    void nonNumericHeartbeatNamesKeyValueAndReason() throws IOException {
        Path file = write("""
                [sse]
                heartbeat_interval = "abc"
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sse.heartbeat_interval")
                .hasMessageContaining("abc")
                .hasMessageContaining("whole number");
    }

    @Test
    void fractionalHeartbeatIsRefused() throws IOException {
        Path file = write("""
                [sse]
                heartbeat_interval = 1.5
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sse.heartbeat_interval")
                .hasMessageContaining("1.5")
                .hasMessageContaining("whole number");
    }

    @Test
    void nonNumericValueFromEnvironmentNamesKeyValueAndReason() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of("SSE_BROKER_SSE_HEARTBEAT_INTERVAL", "30s"))
                .load(Optional.empty(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sse.heartbeat_interval")
                .hasMessageContaining("30s")
                .hasMessageContaining("whole number");
    }

    @Test
    void negativeCacheSizeNamesKeyValueAndReason() throws IOException {
        Path file = write("""
                [sse]
                device_frame_cache_size = -5
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sse.device_frame_cache_size")
                .hasMessageContaining("-5")
                .hasMessageContaining("between 1 and");
    }

    @Test
    void goSseBrokersShortSampleSecretLoadsWithAWarning() throws IOException {
        Path file = write("""
                [jwt]
                secret = "please_modify"
                """);
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        assertThat(loaded.config().jwt().secret()).isEqualTo("please_modify");
        assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("jwt.secret").contains("32 bytes")
                .doesNotContain("please_modify"));
    }

    @Test
    void aSecretShorterThanEightBytesIsRefusedWithoutEchoingIt() throws IOException {
        Path file = write("""
                [jwt]
                secret = "tiny"
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("jwt.secret")
                .hasMessageContaining("4 characters")
                .hasMessageContaining("at least 8 bytes")
                .message().doesNotContain("tiny");
    }

    @Test
    void expireBeyondMaxExpireNamesBothKeys() throws IOException {
        Path file = write("""
                [jwt]
                expire = 700000
                max_expire = 604800
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("jwt.expire")
                .hasMessageContaining("700000")
                .hasMessageContaining("jwt.max_expire");
    }

    @Test
    void corsOriginWithPathNamesKeyValueAndReason() throws IOException {
        Path file = write("""
                [http]
                cors_origins = ["https://app.example.com", "https://app.example.com/dashboard"]
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.cors_origins")
                .hasMessageContaining("https://app.example.com/dashboard")
                .hasMessageContaining("path");
    }

    @Test
    void invalidTomlNamesTheFile() throws IOException {
        Path file = write("""
                [server
                port = 8080
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("TOML");
    }

    @Test
    void missingExplicitFileIsAnErrorNamingIt() {
        Path missing = dir.resolve("nowhere/config.toml");
        assertThatThrownBy(() -> ConfigLoader.locate(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void explicitFileIsLocatedAsGiven() throws IOException {
        Path file = write("[server]\nport = 8082\n");
        assertThat(ConfigLoader.locate(file)).contains(file);
    }

    @Test
    void listsAcceptTomlArrays() throws IOException {
        Path file = write("""
                [auth]
                api_keys = ["key-aaaaaaaaaaaaaaaa", " key-bbbbbbbbbbbbbbbb "]

                [http]
                cors_origins = ["https://a.example.com", "http://localhost:3000"]
                trusted_proxies = ["10.0.0.1", "::1"]
                """);
        BrokerConfig config = load(file).config();
        assertThat(config.auth().apiKeys()).containsExactly("key-aaaaaaaaaaaaaaaa", "key-bbbbbbbbbbbbbbbb");
        assertThat(config.http().corsOrigins()).containsExactly("https://a.example.com", "http://localhost:3000");
        assertThat(config.http().trustedProxies()).containsExactly(AddressRange.parse("10.0.0.1"), AddressRange.parse("::1"));
    }

    @Test
    void listsAcceptCommaSeparatedStringsFromEnvironment() {
        BrokerConfig config = new ConfigLoader(Map.of(
                "SSE_BROKER_AUTH_API_KEYS", "key-aaaaaaaaaaaaaaaa, key-bbbbbbbbbbbbbbbb,",
                "SSE_BROKER_HTTP_CORS_ORIGINS", "https://a.example.com,https://b.example.com:8443"))
                .load(Optional.empty(), Map.of()).config();
        assertThat(config.auth().apiKeys()).containsExactly("key-aaaaaaaaaaaaaaaa", "key-bbbbbbbbbbbbbbbb");
        assertThat(config.http().corsOrigins()).containsExactly("https://a.example.com", "https://b.example.com:8443");
    }

    @Test
    void aGoSseBrokerExpireLongerThanTheDefaultMaximumSetsTheMaximum() throws IOException {
        Path file = write("""
                [jwt]
                expire = 2592000
                """);
        BrokerConfig.Jwt jwt = load(file).config().jwt();
        assertThat(jwt.expireSeconds()).isEqualTo(2592000);
        assertThat(jwt.maxExpireSeconds()).isEqualTo(2592000);
    }

    @Test
    void aKickRevokesForAsLongAsAnAcceptedTokenMayLive() {
        ConfigLoader loader = new ConfigLoader(Map.of());
        assertThat(loader.load(Optional.empty(), Map.of("jwt.max_expire", "3600", "jwt.expire", "600")).config().jwt().revocationSeconds())
                .as("the longest lifetime, and the leeway of 30 s twice").isEqualTo(3600 + 60);
        assertThat(loader.load(Optional.empty(), Map.of("jwt.max_expire", "3600", "jwt.expire", "600", "jwt.max_lifetime", "86400"))
                .config().jwt().revocationSeconds()).as("tokens of other issuers may live a day").isEqualTo(86400 + 60);
        assertThat(loader.load(Optional.empty(), Map.of("jwt.max_expire", "3600", "jwt.expire", "600", "jwt.max_lifetime", "600",
                "jwt.leeway", "0")).config().jwt().revocationSeconds()).isEqualTo(3600);
    }

    @Test
    void corsOriginsAreKeptAsBrowsersWriteThem() throws IOException {
        Path file = write("""
                [http]
                cors_origins = ["https://App.Example.com", "https://example.com:443", "http://example.org:80", "http://localhost:3000"]
                """);
        assertThat(load(file).config().http().corsOrigins()).containsExactly("https://app.example.com",
                "https://example.com", "http://example.org", "http://localhost:3000");
        Path pattern = write("""
                [http]
                cors_origins = ["https://*.example.com"]
                """);
        assertThatThrownBy(() -> load(pattern)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.cors_origins").hasMessageContaining("pattern");
    }

    @Test
    void aJwksAddressThatIsNotHttpIsRefused() throws IOException {
        Path file = write("""
                [jwt]
                jwks_url = "file:///etc/passwd"
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("jwt.jwks_url")
                .hasMessageContaining("http:// or https://");
    }

    /** A container's service name with an underscore is a host a webhook may have; credentials never reach the error. */
    @Test
    void aWebhookHostWithAnUnderscoreIsTakenAndARefusedAddressIsShownWithoutItsCredentials() throws IOException {
        Path named = write("""
                [callback]
                url = "http://hook:hidden-password@hook_rx:8080/h?key=hidden-key"
                """);
        assertThat(load(named).config().callback().url()).isEqualTo("http://hook:hidden-password@hook_rx:8080/h?key=hidden-key");
        Path hostless = write("""
                [callback]
                url = "http://hook:hidden-password@/h?key=hidden-key"
                """);
        assertThatThrownBy(() -> load(hostless)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("callback.url").hasMessageContaining("with a host")
                .hasMessageNotContaining("hidden-password").hasMessageNotContaining("hidden-key");
    }

    @Test
    void aTableWhereAListBelongsIsRefusedWithoutEchoingIt() throws IOException {
        Path file = write("""
                [auth]
                api_keys = { primary = "key-aaaaaaaaaaaaaaaa", backup = "key-bbbbbbbbbbbbbbbb" }
                """);
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.api_keys must be a list of strings, not a table")
                .hasMessageNotContaining("key-aaaaaaaaaaaaaaaa");
    }

    @Test
    void namesAndValuesAreReadTheSameInEveryLocale() throws IOException {
        Locale before = Locale.getDefault();
        Locale.setDefault(new Locale("tr", "TR")); // where a lower-case i upper-cases to a dotted capital I
        try {
            Path file = write("""
                    [log]
                    level = "INFO"

                    [http]
                    client_address_header = "X-Real-IP"
                    """);
            ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of(
                    "SSE_BROKER_AUTH_API_KEYS", "key-aaaaaaaaaaaaaaaa",
                    "SSE_BROKER_LIMITS_MAX_CONNECTIONS", "1234"))
                    .load(Optional.of(file), Map.of());
            assertThat(loaded.warnings()).isEmpty();
            assertThat(loaded.config().auth().apiKeys()).containsExactly("key-aaaaaaaaaaaaaaaa");
            assertThat(loaded.values().integer("limits.max_connections")).isEqualTo(1234);
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void environmentListReplacesTheFileList() throws IOException {
        Path file = write("""
                [redis]
                addrs = ["file-redis:6379"]
                """);
        BrokerConfig config = new ConfigLoader(Map.of("SSE_BROKER_REDIS_ADDRS", "env-1:6379,env-2:6379"))
                .load(Optional.of(file), Map.of()).config();
        assertThat(config.redis().addrs()).containsExactly("env-1:6379", "env-2:6379");
    }

    @Test
    void emptySecretGeneratesAFreshStrongOnePerLoad() {
        ConfigLoader loader = new ConfigLoader(Map.of());
        BrokerConfig first = loader.load(Optional.empty(), Map.of()).config();
        BrokerConfig second = loader.load(Optional.empty(), Map.of("jwt.secret", "")).config();

        assertThat(first.jwt().secretGenerated()).isTrue();
        assertThat(second.jwt().secretGenerated()).isTrue();
        assertThat(first.jwt().secret().getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeGreaterThanOrEqualTo(32);
        assertThat(first.jwt().secret()).isNotEqualTo(second.jwt().secret());
    }

    @Test
    void configuredSecretIsNotMarkedGenerated() {
        BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of("jwt.secret", SECRET)).config();
        assertThat(config.jwt().secretGenerated()).isFalse();
        assertThat(config.jwt().secret()).isEqualTo(SECRET);
    }

    @Test
    void aGeneratedSecretIsAsLongAsItsAlgorithmNeeds() {
        for (String algorithm : List.of("HS256", "HS384", "HS512")) {
            ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of("jwt.algorithm", algorithm));
            assertThat(loaded.config().jwt().secretGenerated()).isTrue();
            assertThat(loaded.config().jwt().weakSecret()).as(algorithm).isFalse();
            assertThat(loaded.warnings()).as(algorithm).isEmpty();
        }
    }

    @Test
    void settingsThatUndoOthersAreWarnedAbout() {
        ConfigLoader.LoadedConfig both = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                "jwt.secret", SECRET, "redis.addrs", "redis-1:6379", "redis.sentinel_master", "mymaster",
                "redis.sentinel_addrs", "sentinel-1:26379"));
        assertThat(both.warnings()).anyMatch(warning -> warning.startsWith("redis.addrs ignored"));
        for (String everyone : List.of("0.0.0.0/0", "::/0")) {
            ConfigLoader.LoadedConfig trusting = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "jwt.secret", SECRET, "http.trusted_proxies", "10.0.0.1," + everyone));
            assertThat(trusting.warnings()).as(everyone).anyMatch(warning -> warning.contains("trusts every address"));
        }
        ConfigLoader.LoadedConfig loaderVariable = new ConfigLoader(Map.of("SSE_BROKER_LOADGEN_JAR", "/opt/loadgen.jar"))
                .load(Optional.empty(), Map.of("jwt.secret", SECRET));
        assertThat(loaderVariable.warnings()).as("a variable of the bench command").isEmpty();
    }

    private ConfigLoader.LoadedConfig load(Path file) {
        return new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
    }

    private Path write(String toml) throws IOException {
        Path file = Files.createTempFile(dir, "config", ".toml");
        Files.writeString(file, toml);
        return file;
    }
}
