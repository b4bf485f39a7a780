package io.ssebroker.cli;

import io.ssebroker.config.ConfigLoader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command that reads the configuration shares. */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "config file (default: ./config.toml, else /etc/sse-broker/config.toml, else built-in defaults)")
    Path file;

    @Option(names = "--port", paramLabel = "N", description = "HTTP port (server.port)")
    Integer port;

    @Option(names = "--host", paramLabel = "ADDRESS", description = "address to listen on (server.host)")
    String host;

    @Option(names = "--secret", paramLabel = "SECRET", description = "HMAC secret for tokens (jwt.secret)")
    String secret;

    /**
     * These options completed by those given before the command's name ({@code sse-broker -c FILE check-config}),
     * which picocli gives to the top command alone: an option after the name wins.
     */
    ConfigOptions after(ConfigOptions outer) {
        ConfigOptions merged = new ConfigOptions();
        merged.file = file != null ? file : outer.file;
        merged.port = port != null ? port : outer.port;
        merged.host = host != null ? host : outer.host;
        merged.secret = secret != null ? secret : outer.secret;
        return merged;
    }

    ConfigLoader.LoadedConfig load() {
        Map<String, String> flags = new LinkedHashMap<>();
        if (port != null) {
            flags.put("server.port", port.toString());
        }
        if (host != null) {
            flags.put("server.host", host);
        }
        if (secret != null) {
            flags.put("jwt.secret", secret);
        }
        return new ConfigLoader(System.getenv()).load(ConfigLoader.locate(file), flags);
    }
}
