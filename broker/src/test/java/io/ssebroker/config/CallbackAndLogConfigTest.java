package io.ssebroker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ssebroker.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The [callback] section (go-sse-broker's per-kind URLs included) and the logging keys. */
class CallbackAndLogConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsSendNoWebhookAndLogTextToTheConsole() {
        BrokerConfig config = load(Map.of());
        assertThat(config.callback().configured()).isFalse();
        assertThat(config.callback().offlineGraceSeconds()).isZero();
        assertThat(config.callback().timeoutSeconds()).isEqualTo(5);
        assertThat(config.callback().maxAttempts()).isEqualTo(5);
        assertThat(config.callback().queueSize()).isEqualTo(10_000);
        assertThat(config.log().format()).isEqualTo("text");
        assertThat(config.log().json()).isFalse();
        assertThat(config.log().accessLogPath()).isEmpty();
    }

    @Test
    void goSseBrokersCallbackSectionLoads() throws IOException {
        Path file = Files.writeString(dir.resolve("config.toml"), """
                [callback]
                user_online = "http://app.internal/sse/user_online"
                user_offline = "http://app.internal/sse/user_offline"
                device_online = "https://app.internal/sse/device_online"
                device_offline = "https://app.internal/sse/device_offline"
                """);
        ConfigLoader.LoadedConfig loaded = new ConfigLoader(Map.of()).load(Optional.of(file), Map.of());
        assertThat(loaded.warnings()).isEmpty();
        BrokerConfig.Callback callback = loaded.config().callback();
        assertThat(callback.configured()).isTrue();
        assertThat(callback.url()).isEmpty();
        assertThat(callback.userOnlineUrl()).isEqualTo("http://app.internal/sse/user_online");
        assertThat(callback.deviceOfflineUrl()).isEqualTo("https://app.internal/sse/device_offline");
    }

    @Test
    void environmentSetsTheWebhook() {
        BrokerConfig config = new ConfigLoader(Map.of("SSE_BROKER_CALLBACK_URL", "https://hooks.example.com/sse",
                "SSE_BROKER_CALLBACK_OFFLINE_GRACE", "15")).load(Optional.empty(), Map.of()).config();
        assertThat(config.callback().url()).isEqualTo("https://hooks.example.com/sse");
        assertThat(config.callback().offlineGraceSeconds()).isEqualTo(15);
    }

    @Test
    void aWebhookUrlThatIsNotHttpIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> load(Map.of("callback.device_online", "ftp://files.example.com/x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("callback.device_online")
                .hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> load(Map.of("callback.url", "not a url")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("callback.url");
    }

    @Test
    void callbackLimitsAreChecked() {
        assertThatThrownBy(() -> load(Map.of("callback.max_attempts", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("callback.max_attempts");
        assertThatThrownBy(() -> load(Map.of("callback.queue_size", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("callback.queue_size");
    }

    @Test
    void logFormatIsTextOrJson() {
        assertThat(load(Map.of("log.format", "JSON")).log().json()).isTrue();
        assertThatThrownBy(() -> load(Map.of("log.format", "xml")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.format")
                .hasMessageContaining("text or json");
    }

    @Test
    void checkConfigMasksTheWebhookSecret() throws IOException {
        Path file = Files.writeString(dir.resolve("config.toml"), """
                [callback]
                url = "https://hooks.example.com/sse"
                secret = "webhook-secret-value"
                """);
        StringWriter out = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(new StringWriter()));
        int exit = commandLine.execute("check-config", "-c", file.toString());
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("url = \"https://hooks.example.com/sse\"")
                .contains("secret = \"<set>\"")
                .doesNotContain("webhook-secret-value");
    }

    private static BrokerConfig load(Map<String, String> flags) {
        return new ConfigLoader(Map.of()).load(Optional.empty(), flags).config();
    }
}
