package io.ssebroker.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.ssebroker.client.ConnectTokens;
import io.ssebroker.client.Message;
import io.ssebroker.client.SseBrokerClient;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter as an application uses it: two properties, then a message to a device from the auto-configured
 * client, against a real broker; the health indicator; local tokens; an application's own client wins.
 */
class SseBrokerAutoConfigurationTest {
    private static final String API_KEY = "starter-test-api-key-0123456789";
    private static TestNode broker;

    private final ApplicationContextRunner app = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SseBrokerAutoConfiguration.class,
                    SseBrokerHealthAutoConfiguration.class));

    @BeforeAll
    static void start() throws InterruptedException {
        broker = TestNode.start(Map.of("auth.api_keys", API_KEY));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void twoPropertiesAndTheApplicationSendsToADevice() {
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "sse-broker.api-key=" + API_KEY).run(context -> {
            SseBrokerClient client = context.getBean(SseBrokerClient.class);
            String token = client.token("alice", "phone", Duration.ofMinutes(5));
            try (SseClient phone = SseClient.open(broker, "/events?device=phone", Map.of("X-SSE-TOKEN", token))) {
                assertThat(phone.next().event()).isEqualTo("sys_connected");
                assertThat(client.send(Message.toDevices("phone").event("order").data("paid"))).isEqualTo(1);
                SseClient.Event event = phone.next();
                assertThat(event.event()).isEqualTo("order");
                assertThat(event.data()).isEqualTo("paid");
            }
            Health health = context.getBean(SseBrokerHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(context).doesNotHaveBean(ConnectTokens.class);
        });
    }

    @Test
    void aBrokerThatDoesNotAnswerIsDownWithTheReason() {
        app.withPropertyValues("sse-broker.url=http://127.0.0.1:9", "sse-broker.connect-timeout=1s").run(context -> {
            Health health = context.getBean(SseBrokerHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails().get("reason").toString()).startsWith("unreachable");
        });
    }

    @Test
    void theSecretGivesLocallyMintedTokensTheBrokerAccepts() {
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "sse-broker.token-secret=" + TestNode.SECRET)
                .run(context -> {
                    String token = context.getBean(ConnectTokens.class).mint("bob", "tablet", Duration.ofMinutes(1));
                    try (SseClient tablet = SseClient.open(broker, "/events?device=tablet", Map.of("X-SSE-TOKEN", token))) {
                        assertThat(tablet.next().event()).isEqualTo("sys_connected");
                    }
                });
    }

    @Test
    void withoutAUrlThereIsNoClientAndWithoutTheActuatorNoIndicator() {
        app.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(SseBrokerClient.class);
        });
        app.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
                .withPropertyValues("sse-broker.url=" + broker.baseUrl())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(SseBrokerClient.class);
                    assertThat(context).doesNotHaveBean("sseBrokerHealthIndicator");
                });
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "management.health.sse-broker.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(SseBrokerHealthIndicator.class));
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "management.health.defaults.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(SseBrokerHealthIndicator.class));
    }

    @Test
    void aBrokerThatAcceptsAndNeverAnswersIsDownWithinTheHealthTimeout() throws Exception {
        HttpServer silent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        silent.createContext("/", exchange -> { }); // never answers
        silent.start();
        try {
            app.withPropertyValues("sse-broker.url=http://127.0.0.1:" + silent.getAddress().getPort(),
                    "sse-broker.request-timeout=30s", "sse-broker.health-timeout=500ms").run(context -> {
                long start = System.nanoTime();
                Health health = context.getBean(SseBrokerHealthIndicator.class).health();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails().get("reason").toString()).contains("within 500 ms");
            });
        } finally {
            silent.stop(0);
        }
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "sse-broker.health-timeout=0s").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("sse-broker.health-timeout"));
    }

    @Test
    void anEmptySecretIsAClearStartupError() {
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "sse-broker.token-secret=").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("sse-broker.token-secret"));
    }

    @Test
    void anEmptyUrlOrAnUnresolvedKeyIsAClearStartupError() {
        app.withPropertyValues("sse-broker.url=").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("sse-broker.url is set but empty"));
        app.withPropertyValues("sse-broker.url=" + broker.baseUrl(), "sse-broker.api-key=${SSE_BROKER_TEST_UNSET_KEY}")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sse-broker.api-key is a placeholder nothing resolved"));
    }

    @Test
    void anApplicationsOwnClientIsKept() {
        app.withUserConfiguration(OwnClient.class).run(context ->
                assertThat(context.getBean(SseBrokerClient.class)).isSameAs(context.getBean(OwnClient.class).client));
    }

    @Test
    void thePropertiesHaveMetadataForIdeCompletion() throws Exception {
        List<String> names = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("metadata written by the configuration processor").isNotNull();
            for (JsonNode property : new ObjectMapper().readTree(in).path("properties")) {
                names.add(property.path("name").asText());
                assertThat(property.path("description").asText()).as(property.path("name").asText()).isNotBlank();
            }
        }
        assertThat(names).contains("sse-broker.url", "sse-broker.api-key", "sse-broker.token-secret",
                "sse-broker.request-timeout", "sse-broker.max-retries", "sse-broker.retry-backoff",
                "sse-broker.health-timeout", "management.health.sse-broker.enabled");
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnClient {
        final SseBrokerClient client = SseBrokerClient.builder(java.net.URI.create("http://127.0.0.1:1")).build();

        @Bean
        SseBrokerClient sseBrokerClient() {
            return client;
        }
    }
}
