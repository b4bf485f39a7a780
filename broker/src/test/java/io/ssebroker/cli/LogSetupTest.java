package io.ssebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The log files of go-sse-broker's keys and the JSON format, written by a node serving real requests. */
class LogSetupTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterEach
    void restoreTheTestLogging() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        new ContextInitializer(context).autoConfig();
    }

    @Test
    void theMainLogWarningsAndAccessLogGoToTheirFilesAndNoTokenIsLogged() throws Exception {
        Path main = dir.resolve("logs/broker.log");
        Path errors = dir.resolve("logs/error.log");
        Path access = dir.resolve("logs/access.log");
        LogSetup.apply(new BrokerConfig.Log("info", "text", access.toString(), errors.toString(), main.toString()));
        String token;
        try (TestNode node = TestNode.start()) {
            token = node.token("u-log", "d-log");
            try (SseClient client = SseClient.open(node, "/events?device=d-log&token=" + token, Map.of())) {
                client.nextOfType("sys_connected");
            }
            node.api().get("/send", Map.of("uid", "u-log", "data", "hi"));
        }

        String accessLog = Files.readString(access);
        assertThat(accessLog).doesNotContain(token);
        assertThat(accessLog).containsPattern(
                "\\d{4}-\\d{2}-\\d{2} [0-9:.]+ 127\\.0\\.0\\.1:\\d+ \"GET /events\\?device=d-log&token=<redacted>\" 200 - \\d+us");
        assertThat(accessLog).containsPattern("\"GET /send\\?\\S*data=hi\\S*\" 200 \\d+ \\d+us");
        assertThat(accessLog).containsPattern("\"GET /token\\?\\S*uid=u-log\\S*\" 200 \\d+ \\d+us");
        String mainLog = Files.readString(main);
        assertThat(mainLog).contains(" INFO ").contains("started: engine=memory").doesNotContain("GET /send");
        String errorLog = Files.readString(errors);
        assertThat(errorLog).contains(" WARN ").doesNotContain(" INFO ");
    }

    @Test
    void jsonFormatWritesOneObjectPerLine() throws Exception {
        Path main = dir.resolve("broker.log");
        Path access = dir.resolve("access.log");
        LogSetup.apply(new BrokerConfig.Log("info", "json", access.toString(), "", main.toString()));
        try (TestNode node = TestNode.start()) {
            node.api().get("/healthz", Map.of());
        }

        List<JsonNode> mainLines = jsonLines(main);
        assertThat(mainLines).anySatisfy(line -> {
            assertThat(line.path("level").asText()).isEqualTo("INFO");
            assertThat(line.path("formattedMessage").asText()).contains("started: engine=memory");
        });
        assertThat(jsonLines(access)).anySatisfy(line ->
                assertThat(line.path("formattedMessage").asText()).contains("\"GET /healthz\" 200"));
    }

    @Test
    void aLogFileThatCannotBeWrittenIsAConfigErrorNamingTheKey() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        String path = notADirectory.resolve("access.log").toString();
        assertThatThrownBy(() -> LogSetup.apply(new BrokerConfig.Log("info", "text", path, "", "")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.access_log_path")
                .hasMessageContaining(path);
    }

    private static List<JsonNode> jsonLines(Path file) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }
}
