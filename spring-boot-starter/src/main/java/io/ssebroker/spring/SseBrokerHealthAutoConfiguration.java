package io.ssebroker.spring;

import io.ssebroker.client.SseBrokerClient;
import java.time.Duration;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The broker's readiness as the health indicator {@code sseBroker}, where the application has the actuator; off with
 * {@code management.health.sse-broker.enabled=false} (or {@code management.health.defaults.enabled=false}). It is
 * part of the overall health: keep it out of the liveness and readiness groups of the application, whose instances
 * should not be restarted or taken out of a load balancer because the broker is away. It waits at most
 * {@code sse-broker.health-timeout} for the broker's answer.
 */
@AutoConfiguration(after = SseBrokerAutoConfiguration.class)
@ConditionalOnClass(name = {"org.springframework.boot.actuate.health.HealthIndicator",
        "org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator"})
@ConditionalOnBean(SseBrokerClient.class)
public class SseBrokerHealthAutoConfiguration {

    // on the method, not the class: the class's conditions are all read before any is checked, and this one's
    // condition class is absent where the application has no actuator
    @Bean
    @ConditionalOnEnabledHealthIndicator("sse-broker")
    @ConditionalOnMissingBean(name = "sseBrokerHealthIndicator")
    public SseBrokerHealthIndicator sseBrokerHealthIndicator(SseBrokerClient client, SseBrokerProperties properties) {
        Duration timeout = properties.getHealthTimeout();
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalStateException("sse-broker.health-timeout must be a positive duration, not " + timeout);
        }
        return new SseBrokerHealthIndicator(client, timeout);
    }
}
