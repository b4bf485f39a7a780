package io.ssebroker.spring;

import io.ssebroker.client.SseBrokerClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The broker's readiness as the health indicator {@code sseBroker}, where the application has the actuator; off with
 * {@code management.health.sse-broker.enabled=false}. It is part of the overall health: keep it out of the
 * liveness and readiness groups of the application, whose instances should not be restarted or taken out of a
 * load balancer because the broker is away.
 */
@AutoConfiguration(after = SseBrokerAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(SseBrokerClient.class)
@ConditionalOnProperty(prefix = "management.health.sse-broker", name = "enabled", matchIfMissing = true)
public class SseBrokerHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "sseBrokerHealthIndicator")
    public SseBrokerHealthIndicator sseBrokerHealthIndicator(SseBrokerClient client) {
        return new SseBrokerHealthIndicator(client);
    }
}
