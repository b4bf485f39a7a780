package io.ssebroker.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Any config file: loaded, or refused with a {@link ConfigException} whose message names the problem (what
 * {@code check-config} prints); never another exception, which would be a stack trace at start.
 */
class ConfigFileFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void loadsOrExplainsAnyFile(byte[] toml) throws IOException {
        Path file = Files.createTempFile("fuzz", ".toml");
        try {
            Files.write(file, toml);
            new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        } catch (ConfigException e) {
            assertThat(e.getMessage()).isNotBlank();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
