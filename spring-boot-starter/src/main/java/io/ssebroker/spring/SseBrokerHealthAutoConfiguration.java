package io.ssebroker.spring;

import io.ssebroker.client.SseBrokerClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The broker's readiness as a health indicator, where the application has the actuator. */
@AutoConfiguration(after = SseBrokerAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(SseBrokerClient.class)
public class SseBrokerHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "sseBrokerHealthIndicator")
    public SseBrokerHealthIndicator sseBrokerHealthIndicator(SseBrokerClient client) {
        return new SseBrokerHealthIndicator(client);
    }
}
