package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class BenchResultTest {
    @Test
    void deliveryRatesArePerSecondOfTheWindow() {
        LatencySummary latency = new LatencySummary(0, 0, 0, 0, 0, null);
        BenchResult.Delivery delivery = BenchResult.Delivery.of(2_000_000_000L, 100, 1_000_000, latency, 0, 0, 0, 0, latency);

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

    /** A small figure keeps three significant digits: 27 ms and 18 ms of Redis CPU are not 0.03 and 0.02 s. */
    @Test
    void smallFiguresKeepThreeSignificantDigits() {
        assertThat(BenchResult.round(0.027391)).isEqualTo(0.0274);
        assertThat(BenchResult.round(0.018)).isEqualTo(0.018);
        assertThat(BenchResult.round(0.53219)).isEqualTo(0.532);
        assertThat(BenchResult.round(12.3456)).isEqualTo(12.35);
        assertThat(BenchResult.round(0)).isZero();
        assertThat(BenchResult.Redis.of(sample(0, 1.0), sample(900, 1.027391), 1_000_000).cpuPerMillionDeliveries())
                .isEqualTo(0.0274);
    }

    private static RedisProbe.Sample sample(long commands, double cpuSeconds) {
        return new RedisProbe.Sample(commands, cpuSeconds, java.util.List.of(commands));
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
