package io.ssebroker.callback;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/** The webhook's meters: backlog size, and what became of each state change. */
final class WebhookMeters {
    final Counter delivered;
    final Counter retried;
    final Counter failed;
    final Counter dropped;
    final Counter suppressed;

    WebhookMeters(MeterRegistry registry, AtomicInteger backlog) {
        Gauge.builder("sse.broker.webhook.queue", backlog, AtomicInteger::get).strongReference(true)
                .description("state changes accepted and not yet delivered, given up or taken back")
                .register(registry);
        delivered = counter(registry, "sse.broker.webhook.delivered", "state changes the webhook answered with 2xx");
        retried = counter(registry, "sse.broker.webhook.retries", "webhook attempts repeated after a failure");
        failed = counter(registry, "sse.broker.webhook.failures",
                "state changes given up: attempts exhausted or a 4xx answer");
        dropped = counter(registry, "sse.broker.webhook.dropped",
                "state changes not queued because callback.queue_size was reached, or left unposted when the node stopped");
        suppressed = counter(registry, "sse.broker.webhook.suppressed",
                "offline/online pairs not sent because the subject came back within callback.offline_grace (memory engine)");
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }
}
