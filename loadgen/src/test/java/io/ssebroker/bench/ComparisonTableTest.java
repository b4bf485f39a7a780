package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonTableTest {
    private static BenchResult broadcast(String system, double perSecond, double p99) {
        return broadcast(system, perSecond, p99, null);
    }

    private static BenchResult broadcast(String system, double perSecond, double p99, Double rate) {
        return broadcast(system, perSecond, p99, rate, 0);
    }

    private static BenchResult broadcast(String system, double perSecond, double p99, Double rate, long lost) {
        LatencySummary latency = new LatencySummary(100, 1, p99, p99, p99, null);
        BenchResult.Delivery delivery = new BenchResult.Delivery(10, 100, 10, 1000, perSecond, latency, lost, 0, 0, 0, null);
        BenchResult.Connect connect = new BenchResult.Connect(1000, 0, 1, 1000, latency);
        return new BenchResult(system, "broadcast", 1000, rate, connect, delivery, null, new BenchResult.Cpu(5, 2.5), null);
    }

    @Test
    void ratioIsAgainstTheBestPeerInTheFiguresDirection() {
        assertThat(ComparisonTable.ratio(300, 200, true)).isEqualTo("1.50× (better)");
        assertThat(ComparisonTable.ratio(100, 200, true)).isEqualTo("0.50× (worse)");
        assertThat(ComparisonTable.ratio(1, 2, false)).isEqualTo("0.50× (better)");
        assertThat(ComparisonTable.ratio(0, 0, false)).isEqualTo("equal");
        assertThat(ComparisonTable.ratio(3, 0, false)).isEqualTo("worse");
    }

    @Test
    void rendersARowPerFigureWithEverySystemAndTheRatioToTheBestPeer() {
        String table = ComparisonTable.render(List.of(
                broadcast("nchan", 200_000, 4.0), broadcast("sse-broker", 300_000, 2.0), broadcast("pushpin", 100_000, 9.0)));

        assertThat(table.lines().findFirst()).contains(
                "| scenario | connections | figure | sse-broker | nchan | pushpin | sse-broker ÷ best peer |");
        assertThat(table).contains("| broadcast | 1,000 | deliveries/s ↑ | 300,000 | 200,000 | 100,000 | 1.50× (better) |");
        assertThat(table).contains("| broadcast | 1,000 | latency p99 ms ↓ | 2.00 | 4.00 | 9.00 | 0.50× (better) |");
    }

    @Test
    void smallCpuFiguresShowThreeSignificantDigits() {
        BenchResult subject = withRedisCpu(broadcast("sse-broker", 150_000, 2.0, 15.0), 0.0274);
        BenchResult peer = withRedisCpu(broadcast("nchan", 140_000, 4.0, 15.0), 0.018);

        assertThat(ComparisonTable.render(List.of(subject, peer)))
                .contains("| broadcast at 15 msg/s | 1,000 | Redis CPU s per 1M deliveries ↓ | 0.0274 | 0.018 | 1.52× (worse) |");
    }

    private static BenchResult withRedisCpu(BenchResult result, double cpuPerMillion) {
        return new BenchResult(result.system(), result.scenario(), result.connections(), result.rate(), result.connect(),
                result.delivery(), null, result.cpu(), new BenchResult.Redis(100, 0.1, 0.01, cpuPerMillion, List.of(100L)));
    }

    @Test
    void aMissingRunOrFigureIsADash() {
        String table = ComparisonTable.render(List.of(broadcast("nchan", 200_000, 4.0)));

        assertThat(table).contains("| broadcast | 1,000 | deliveries/s ↑ | — | 200,000 | — |");
    }

    @Test
    void publishAnswerRowsShowWhereRunsMeasuredThemAndNoneForOlderResults() {
        BenchResult subject = withAnswers(broadcast("sse-broker", 300_000, 2.0), 0.2, 0.9);
        BenchResult peer = withAnswers(broadcast("nchan", 200_000, 4.0), 0.3, 1.0);

        assertThat(ComparisonTable.render(List.of(subject, peer)))
                .contains("| broadcast | 1,000 | publish answered p50 ms ↓ | 0.20 | 0.30 | 0.67× (better) |")
                .contains("| broadcast | 1,000 | publish answered p99 ms ↓ | 0.90 | 1.00 | 0.90× (better) |");
        assertThat(ComparisonTable.render(List.of(broadcast("sse-broker", 300_000, 2.0), broadcast("nchan", 200_000, 4.0))))
                .doesNotContain("publish answered");
    }

    private static BenchResult withAnswers(BenchResult result, double p50, double p99) {
        BenchResult.Delivery d = result.delivery();
        BenchResult.Delivery answered = new BenchResult.Delivery(d.seconds(), d.published(), d.publishedPerSecond(),
                d.deliveries(), d.deliveriesPerSecond(), d.latency(), d.lost(), d.duplicated(), d.publishErrors(),
                d.droppedConnections(), new LatencySummary(100, p50, p99, p99, p99, null));
        return new BenchResult(result.system(), result.scenario(), result.connections(), result.rate(), result.connect(),
                answered, null, result.cpu(), null);
    }

    @Test
    void runsAtAFixedRateAreACaseOfTheirOwn() {
        String table = ComparisonTable.render(List.of(broadcast("sse-broker", 300_000, 2.0),
                broadcast("sse-broker", 10_000, 1.0, 10.0), broadcast("nchan", 10_000, 4.0, 10.0)));

        assertThat(table).contains("| broadcast | 1,000 | deliveries/s ↑ | 300,000 | — | — |");
        assertThat(table).contains("| broadcast at 10 msg/s | 1,000 | latency p99 ms ↓ | 1.00 | 4.00 | 0.25× (better) |");
    }

    @Test
    void repeatedRunsShowTheirMedianButTheWorstLoss() {
        String table = ComparisonTable.render(List.of(
                broadcast("sse-broker", 300_000, 2.0), broadcast("sse-broker", 100_000, 9.0, null, 3),
                broadcast("sse-broker", 250_000, 3.0),
                broadcast("nchan", 200_000, 4.0), broadcast("nchan", 100_000, 5.0)));

        assertThat(table).contains("| broadcast | 1,000 | deliveries/s ↑ | 250,000 | 150,000 | 1.67× (better) |");
        assertThat(table).contains("| broadcast | 1,000 | latency p99 ms ↓ | 3.00 | 4.50 | 0.67× (better) |");
        assertThat(table).contains("| broadcast | 1,000 | lost + duplicated ↓ | 3 | 0 | worse |");
    }

    @Test
    void aRunInWhichNoMeasuredMessageArrivedHasNoLatency() {
        LatencySummary none = new LatencySummary(0, 0, 0, 0, 0, null);
        BenchResult.Delivery nothing = new BenchResult.Delivery(10, 100, 10, 0, 0, none, 1000, 0, 0, 0, null);
        BenchResult.Connect connect = new BenchResult.Connect(1000, 0, 1, 1000, none);
        BenchResult behind = new BenchResult("pushpin", "broadcast", 1000, null, connect, nothing, null, null, null);

        String table = ComparisonTable.render(List.of(broadcast("sse-broker", 300_000, 2.0), behind,
                broadcast("nchan", 200_000, 4.0)));

        assertThat(table).contains("| broadcast | 1,000 | latency p99 ms ↓ | 2.00 | — | 4.00 | 0.50× (better) |");
    }

    /** Two systems that both carry a fixed rate show the same figure: the row says even, not worse on hidden digits. */
    @Test
    void figuresThatReadTheSameAreEven() {
        String table = ComparisonTable.render(List.of(broadcast("sse-broker", 49_998.82, 2, 5.0),
                broadcast("nchan", 49_999.07, 3, 5.0)));

        assertThat(table).contains("| broadcast at 5 msg/s | 1,000 | deliveries/s ↑ | 49,999 | 49,999 | 1.00× (equal) |");
        assertThat(table).contains("| broadcast at 5 msg/s | 1,000 | latency p99 ms ↓ | 2.00 | 3.00 | 0.67× (better) |");
    }

    /** A system whose every connect failed has no connect latency: its zero must not lead the row. */
    @Test
    void aStormInWhichNothingConnectedHasNoConnectLatency() {
        LatencySummary none = new LatencySummary(0, 0, 0, 0, 0, null);
        BenchResult failed = new BenchResult("pushpin", "connect", 10_000, null,
                new BenchResult.Connect(0, 10_000, 0.2, 0, none), null, null, new BenchResult.Cpu(0.1, null), null);

        String table = ComparisonTable.render(List.of(storm("sse-broker", 3.5), failed, storm("nchan", 3.4)));

        assertThat(table).contains("| connect | 10,000 | connect p50 ms ↓ | 3.50 | — | 3.40 | 1.03× (worse) |");
        assertThat(table).contains("| connect | 10,000 | failed ↓ | 0 | 10000 | 0 | equal |");
    }

    private static BenchResult storm(String system, double p50Ms) {
        LatencySummary latency = new LatencySummary(10_000, p50Ms, 2 * p50Ms, 3 * p50Ms, 4 * p50Ms, null);
        return new BenchResult(system, "connect", 10_000, null, new BenchResult.Connect(10_000, 0, 0.5, 20_000, latency),
                null, null, new BenchResult.Cpu(0.4, null), null);
    }
}
