package io.ssebroker.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.client.Message;
import io.ssebroker.client.SseBrokerClient;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.stereotype.Service;

/**
 * What a new user does: an application with auto-configuration on (the starter found through its
 * AutoConfiguration.imports, as on any application's class path), two properties, and a service of its own that
 * gets the client injected and sends to a device.
 */
class StarterInAnApplicationTest {
    private static final String API_KEY = "application-test-api-key-012345";

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class ShopApplication {
        @Service
        static class OrderNotifier {
            private final SseBrokerClient broker;

            OrderNotifier(SseBrokerClient broker) {
                this.broker = broker;
            }

            int orderPaid(String device) {
                return broker.send(Message.toDevices(device).event("order").data("paid"));
            }
        }
    }

    @Test
    void aServiceOfTheApplicationSendsToADevice() throws Exception {
        try (TestNode broker = TestNode.start(Map.of("auth.api_keys", API_KEY));
             ConfigurableApplicationContext app = new SpringApplicationBuilder(ShopApplication.class,
                     ShopApplication.OrderNotifier.class)
                     .web(WebApplicationType.NONE)
                     .properties("sse-broker.url=" + broker.baseUrl(), "sse-broker.api-key=" + API_KEY)
                     .run()) {
            SseBrokerClient client = app.getBean(SseBrokerClient.class);
            String token = client.token("carol", "phone", Duration.ofMinutes(5));
            try (SseClient phone = SseClient.open(broker, "/events?device=phone", Map.of("X-SSE-TOKEN", token))) {
                assertThat(phone.next().event()).isEqualTo("sys_connected");
                assertThat(app.getBean(ShopApplication.OrderNotifier.class).orderPaid("phone")).isEqualTo(1);
                SseClient.Event event = phone.next();
                assertThat(event.event()).isEqualTo("order");
                assertThat(event.data()).isEqualTo("paid");
            }
        }
    }
}
