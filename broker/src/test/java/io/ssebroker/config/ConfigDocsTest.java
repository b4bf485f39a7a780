package io.ssebroker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The documentation names every configuration key there is, under the name the loader reads. */
class ConfigDocsTest {

    @Test
    void theReadmeTableListsEveryKeyWithItsEnvironmentVariable() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (ConfigKey key : ConfigSchema.KEYS) {
            assertThat(readme).as("README.md documents %s", key.path())
                    .contains("| `" + key.path() + "` |")
                    .contains("`" + key.envName() + "`");
        }
    }

    @Test
    void theSampleConfigHasEveryKeyInItsSection() throws IOException {
        String sample = Files.readString(Path.of("config.example.toml"));
        for (ConfigKey key : ConfigSchema.KEYS) {
            int section = sample.indexOf("\n[" + key.section() + "]\n");
            assertThat(section).as("config.example.toml has section [%s]", key.section()).isNotNegative();
            int next = sample.indexOf("\n[", section + 1);
            String body = sample.substring(section, next < 0 ? sample.length() : next);
            assertThat(body).as("config.example.toml lists %s", key.path()).containsPattern("(?m)^#? ?" + key.name() + " =");
        }
    }

    /** "Every value below is the built-in default": loaded, the sample changes nothing, also where one key follows another. */
    @Test
    void theSampleConfigChangesNothing() {
        for (Map<String, String> environment : List.of(Map.<String, String>of(),
                Map.of("SSE_BROKER_JWT_EXPIRE", "2592000"))) {
            ConfigLoader loader = new ConfigLoader(environment);
            ConfigLoader.LoadedConfig sample = loader.load(Optional.of(Path.of("config.example.toml")), Map.of());
            ConfigLoader.LoadedConfig none = loader.load(Optional.empty(), Map.of());
            assertThat(sample.values().asMap()).as("with %s", environment).isEqualTo(none.values().asMap());
            assertThat(sample.config().jwt().maxExpireSeconds()).as("with %s", environment)
                    .isEqualTo(none.config().jwt().maxExpireSeconds());
        }
    }
}
