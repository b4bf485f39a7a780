package io.ssebroker.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the effective configuration: built-in defaults, then the TOML file, then {@code SSE_BROKER_<SECTION>_<KEY>}
 * environment variables, then command-line flags. Unknown keys are collected as warnings, bad values fail.
 */
public final class ConfigLoader {
    public static final Path LOCAL_FILE = Path.of("config.toml");
    public static final Path SYSTEM_FILE = Path.of("/etc/sse-broker/config.toml");

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = environment;
    }

    /** The file to read: the one given, else ./config.toml, else /etc/sse-broker/config.toml, else none. */
    public static Optional<Path> locate(Path explicit) {
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) {
                throw new ConfigException("config error: file " + explicit + " does not exist or is not a file");
            }
            return Optional.of(explicit);
        }
        if (Files.isRegularFile(LOCAL_FILE)) {
            return Optional.of(LOCAL_FILE);
        }
        return Files.isRegularFile(SYSTEM_FILE) ? Optional.of(SYSTEM_FILE) : Optional.empty();
    }

    /**
     * Read by the launcher (bin/sse-broker) or a command, not by the broker's configuration: known, so not warned
     * about. The launcher passes the class-data archive's on to the JVM it starts, where {@code class-archive} reads
     * it; {@code bench} reads where the load generator is.
     */
    private static final Set<String> LAUNCHER_VARIABLES = Set.of("SSE_BROKER_JAR", "SSE_BROKER_CLASS_ARCHIVE",
            "SSE_BROKER_LOADGEN_JAR");

    /**
     * @param file  the TOML file, if any
     * @param flags overrides by key path ({@code server.port}), applied last
     */
    public LoadedConfig load(Optional<Path> file, Map<String, String> flags) {
        ConfigValues values = new ConfigValues();
        List<String> warnings = new ArrayList<>();
        if (file.isPresent()) {
            applyFile(file.get(), values, warnings);
        }
        for (ConfigKey key : ConfigSchema.KEYS) {
            String fromEnv = environment.get(key.envName());
            if (fromEnv != null) {
                values.set(key, fromEnv, "env " + key.envName());
            }
        }
        flags.forEach((path, value) -> values.set(ConfigSchema.find(path)
                .orElseThrow(() -> new IllegalArgumentException("unknown flag key " + path)), value, "flag"));
        for (String name : environment.keySet()) {
            if (name.startsWith("SSE_BROKER_") && !LAUNCHER_VARIABLES.contains(name)
                    && ConfigSchema.KEYS.stream().noneMatch(k -> k.envName().equals(name))) {
                warnings.add("unknown environment variable " + name + " ignored");
            }
        }
        BrokerConfig config = BrokerConfig.from(values);
        if (!config.redis().sentinelMaster().isEmpty() && !config.redis().addrs().isEmpty()) {
            warnings.add("redis.addrs ignored: redis.sentinel_master is set, and the sentinels name the master");
        }
        if (config.http().trustedProxies().stream().anyMatch(range -> range.prefixBits() == 0)) {
            warnings.add("http.trusted_proxies trusts every address (a /0 range): any client can then name its own "
                    + "address in a forwarding header; list the proxies' addresses");
        }
        if (config.jwt().weakSecret()) {
            warnings.add("jwt.secret is shorter than " + BrokerConfig.Jwt.hashBytes(config.jwt().algorithm())
                    + " bytes, the length " + config.jwt().algorithm() + " needs to resist guessing; set a longer one");
        }
        return new LoadedConfig(config, values, file, warnings);
    }

    private static void applyFile(Path file, ConfigValues values, List<String> warnings) {
        Map<String, Object> document;
        try {
            document = new TomlMapper().readValue(file.toFile(), TomlDocument.class);
        } catch (JacksonException e) {
            throw new ConfigException("config error: " + file + " is not valid TOML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("config error: cannot read " + file + ": " + e.getMessage());
        }
        String source = "file " + file;
        document.forEach((sectionName, section) -> {
            if (!(section instanceof Map<?, ?> entries)) {
                warnings.add("unknown key '" + sectionName + "' in " + file + " ignored (keys belong in sections such as [server])");
                return;
            }
            entries.forEach((name, value) -> {
                String path = sectionName + "." + name;
                ConfigSchema.find(path).ifPresentOrElse(
                        key -> values.set(key, value, source),
                        () -> warnings.add("unknown key '" + path + "' in " + file + " ignored"));
            });
        });
    }

    /** Jackson needs a concrete type to bind the document's tables to. */
    static final class TomlDocument extends java.util.LinkedHashMap<String, Object> {
    }

    /** The configuration, the values with their sources, the file read, and what was ignored. */
    public record LoadedConfig(BrokerConfig config, ConfigValues values, Optional<Path> file, List<String> warnings) {
    }
}
