package io.ssebroker.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The meter registry of one node, with the JVM's and Netty's memory meters bound, rendered as Prometheus text.
 * One per node (not the global registry), so that several nodes in one process keep their numbers apart.
 */
public final class NodeMetrics implements AutoCloseable {
    /** Content type of {@link #scrape()}: the Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public NodeMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new NettyMemoryMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Every meter in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }

    /** Stops listening to GC notifications; the JVM would otherwise keep this registry alive. */
    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
