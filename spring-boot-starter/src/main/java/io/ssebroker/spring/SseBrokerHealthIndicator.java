package io.ssebroker.spring;

import io.ssebroker.client.SseBrokerClient;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code /actuator/health}'s "sseBroker": UP when the broker's /readyz answers ready, DOWN with its reason else, and
 * DOWN when it does not answer within the check's own timeout (a health probe must not wait for a call's).
 */
public class SseBrokerHealthIndicator extends AbstractHealthIndicator {
    private final SseBrokerClient client;
    private final Duration timeout;

    public SseBrokerHealthIndicator(SseBrokerClient client, Duration timeout) {
        super("sse-broker health check failed");
        this.client = client;
        this.timeout = timeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws InterruptedException, ExecutionException {
        Optional<String> notReady;
        try {
            // The request itself is given up soon after the check: probes of a broker that never answers do not
            // pile up.
            notReady = client.notReadyAsync(timeout.multipliedBy(2)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            notReady = Optional.of("no answer from /readyz within " + timeout.toMillis() + " ms");
        }
        notReady.ifPresentOrElse(reason -> builder.down().withDetail("reason", reason), builder::up);
    }
}
