package io.ssebroker.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;

/**
 * Memory held by Netty's pooled allocator, which holds every frame and request buffer: direct memory is outside
 * the JVM heap meters, and a leak or a crowd of slow clients shows here first.
 */
final class NettyMemoryMetrics implements MeterBinder {
    private static final String NAME = "sse.broker.netty.memory.used";

    @Override
    public void bindTo(MeterRegistry registry) {
        PooledByteBufAllocatorMetric allocator = PooledByteBufAllocator.DEFAULT.metric();
        Gauge.builder(NAME, allocator, PooledByteBufAllocatorMetric::usedDirectMemory)
                .tag("area", "direct").baseUnit("bytes")
                .description("memory used by Netty's pooled allocator").register(registry);
        Gauge.builder(NAME, allocator, PooledByteBufAllocatorMetric::usedHeapMemory)
                .tag("area", "heap").baseUnit("bytes")
                .description("memory used by Netty's pooled allocator").register(registry);
    }
}
