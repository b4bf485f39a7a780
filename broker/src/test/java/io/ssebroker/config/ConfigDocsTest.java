package io.ssebroker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
