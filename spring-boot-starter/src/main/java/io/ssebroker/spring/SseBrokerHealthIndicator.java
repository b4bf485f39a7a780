package io.ssebroker.spring;

import io.ssebroker.client.SseBrokerClient;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/** {@code /actuator/health}'s "sseBroker": UP when the broker's /readyz answers ready, DOWN with its reason else. */
public class SseBrokerHealthIndicator extends AbstractHealthIndicator {
    private final SseBrokerClient client;

    public SseBrokerHealthIndicator(SseBrokerClient client) {
        super("sse-broker health check failed");
        this.client = client;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        client.notReady().ifPresentOrElse(reason -> builder.down().withDetail("reason", reason), builder::up);
    }
}
