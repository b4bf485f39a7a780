package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class BenchResultTest {
    @Test
    void deliveryRatesArePerSecondOfTheWindow() {
        LatencySummary latency = new LatencySummary(0, 0, 0, 0, 0, null);
        BenchResult.Delivery delivery = BenchResult.Delivery.of(2_000_000_000L, 100, 1_000_000, latency, 0, 0, 0, 0);

        assertThat(delivery.seconds()).isEqualTo(2.0);
        assertThat(delivery.publishedPerSecond()).isEqualTo(50.0);
        assertThat(delivery.deliveriesPerSecond()).isEqualTo(500_000.0);
    }

    @Test
    void connectRateCountsOpenedConnectionsOnly() {
        BenchResult.Connect connect = BenchResult.Connect.of(9_000, 1_000, 1_500_000_000L, new LatencySummary(0, 0, 0, 0, 0, null));

        assertThat(connect.perSecond()).isEqualTo(6_000.0);
    }

    @Test
    void cpuPerMillionDeliveriesAndNoneWithoutDeliveries() {
        assertThat(BenchResult.Cpu.of(3.0, 2_000_000).perMillionDeliveries()).isEqualTo(1.5);
        assertThat(BenchResult.Cpu.of(3.0, 0).perMillionDeliveries()).isNull();
    }

    @Test
    void memoryGrowthIsSplitOverTheConnections() {
        assertThat(BenchResult.perConnection(10_240_000, 10_000)).isEqualTo(1024);
        assertThat(BenchResult.perConnection(-20_000, 10_000)).isEqualTo(-2);
        assertThat(BenchResult.perConnection(5_000, 0)).isZero();
    }

    @Test
    void latencySummaryIsInMilliseconds() {
        Histogram micros = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            micros.recordValue(i * 10L);
        }

        LatencySummary summary = LatencySummary.of(micros);

        assertThat(summary.count()).isEqualTo(1000);
        assertThat(summary.p50Ms()).isEqualTo(5.0);
        assertThat(summary.p99Ms()).isEqualTo(9.9);
        assertThat(summary.p999Ms()).isEqualTo(9.99);
        assertThat(summary.maxMs()).isCloseTo(10.0, within(0.02));
    }
}
