package io.ssebroker.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Renders runs of several systems as one markdown table: a row per scenario, size and figure, a column per system,
 * and sse-broker's figure divided by the best peer's. Where a case was run several times, a figure is the median
 * of its runs, except losses, drops and failures, which are the worst run's: one bad run must not be hidden.
 */
final class ComparisonTable {
    static final String SUBJECT = "sse-broker";

    /**
     * One figure of a scenario: how to read it from a result (null where absent), which way is better, and whether
     * the worst run counts rather than the median.
     */
    private record Figure(String name, Function<BenchResult, Number> value, boolean higherIsBetter, String format,
                          boolean worstRun) {
        Figure(String name, Function<BenchResult, Number> value, boolean higherIsBetter, String format) {
            this(name, value, higherIsBetter, format, false);
        }

        Optional<Double> of(List<BenchResult> runs) {
            List<Double> values = runs.stream().map(value).filter(Objects::nonNull).map(Number::doubleValue)
                    .sorted().toList();
            if (values.isEmpty()) {
                return Optional.empty();
            }
            if (worstRun) {
                return Optional.of(higherIsBetter ? values.get(0) : values.get(values.size() - 1));
            }
            int middle = values.size() / 2;
            return Optional.of(values.size() % 2 == 1 ? values.get(middle)
                    : (values.get(middle - 1) + values.get(middle)) / 2);
        }
    }

    /** The format of a figure shown with three significant digits, however small (per delivery, per connection). */
    private static final String SIGNIFICANT = "3 significant digits";

    private static final List<Figure> DELIVERY = List.of(
            new Figure("deliveries/s", delivery(BenchResult.Delivery::deliveriesPerSecond), true, "%,.0f"),
            new Figure("latency p50 ms", latency(LatencySummary::p50Ms), false, "%.2f"),
            new Figure("latency p99 ms", latency(LatencySummary::p99Ms), false, "%.2f"),
            new Figure("latency p99.9 ms", latency(LatencySummary::p999Ms), false, "%.2f"),
            new Figure("latency max ms", latency(LatencySummary::maxMs), false, "%.2f"),
            new Figure("publish answered p50 ms", answerLatency(LatencySummary::p50Ms), false, "%.2f"),
            new Figure("publish answered p99 ms", answerLatency(LatencySummary::p99Ms), false, "%.2f"),
            new Figure("lost + duplicated", delivery(d -> d.lost() + d.duplicated()), false, "%.0f", true),
            new Figure("connections dropped by the server", delivery(BenchResult.Delivery::droppedConnections), false,
                    "%.0f", true),
            new Figure("server CPU s per 1M deliveries", r -> r.cpu() == null ? null : r.cpu().perMillionDeliveries(),
                    false, "%.2f"),
            new Figure("Redis commands per delivery", r -> r.redis() == null ? null : r.redis().commandsPerDelivery(),
                    false, SIGNIFICANT),
            new Figure("Redis CPU s per 1M deliveries", r -> r.redis() == null ? null : r.redis().cpuPerMillionDeliveries(),
                    false, SIGNIFICANT));
    private static final List<Figure> IDLE = List.of(
            new Figure("RSS growth per connection KiB", memory(m -> kib(m.rssPerConnectionBytes())), false, "%.1f"),
            new Figure("PSS growth per connection KiB", memory(m -> kib(m.pssPerConnectionBytes())), false, "%.1f"),
            new Figure("heap + direct per connection KiB", memory(ComparisonTable::heapAndDirectKib), false, "%.2f"),
            new Figure("RSS before connecting MiB", memory(m -> m.baselineRssKiB() / 1024.0), false, "%.0f"),
            new Figure("RSS with every connection open MiB",
                    memory(m -> m.loadedRssKiB() == null ? null : m.loadedRssKiB() / 1024.0), false, "%.0f"),
            new Figure("connections open at the end", r -> r.connect().opened() - r.delivery().droppedConnections(),
                    true, "%,.0f", true));
    private static final List<Figure> CONNECT = List.of(
            new Figure("connections/s", r -> r.connect().perSecond(), true, "%,.0f"),
            new Figure("connect p50 ms", connectLatency(LatencySummary::p50Ms), false, "%.2f"),
            new Figure("connect p99 ms", connectLatency(LatencySummary::p99Ms), false, "%.2f"),
            new Figure("failed", r -> r.connect().failed(), false, "%.0f", true),
            new Figure("server CPU ms per connection", ComparisonTable::cpuMillisPerConnection, false, SIGNIFICANT),
            new Figure("Redis commands per connection", redisPerConnection(BenchResult.Redis::commands), false, "%.1f"),
            new Figure("Redis CPU ms per connection", redisPerConnection(redis -> redis.cpuSeconds() * 1000), false,
                    SIGNIFICANT));

    private ComparisonTable() {
    }

    static String render(List<BenchResult> results) {
        Set<String> systems = new LinkedHashSet<>();
        systems.add(SUBJECT);
        results.forEach(r -> systems.add(r.system()));
        List<String> peers = systems.stream().filter(s -> !s.equals(SUBJECT)).toList();
        Map<String, Map<String, List<BenchResult>>> byCase = new LinkedHashMap<>();
        for (BenchResult result : results) {
            byCase.computeIfAbsent(caseName(result) + " " + result.connections(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(result.system(), k -> new ArrayList<>()).add(result);
        }
        StringBuilder out = new StringBuilder();
        out.append("| scenario | connections | figure | ").append(String.join(" | ", systems))
                .append(" | sse-broker ÷ best peer |\n");
        out.append("|---|---:|---|").append("---:|".repeat(systems.size())).append("---|\n");
        for (Map<String, List<BenchResult>> runs : byCase.values()) {
            BenchResult any = runs.values().iterator().next().get(0);
            for (Figure figure : figuresOf(any.scenario())) {
                if (runs.values().stream().map(figure::of).allMatch(Optional::isEmpty)) {
                    continue; // a figure none of these runs has (Redis figures without Redis)
                }
                List<String> cells = new ArrayList<>();
                cells.add(caseName(any));
                cells.add(String.format(Locale.ROOT, "%,d", any.connections()));
                cells.add(figure.name() + (figure.higherIsBetter() ? " ↑" : " ↓"));
                for (String system : systems) {
                    cells.add(Optional.ofNullable(runs.get(system)).flatMap(figure::of)
                            .map(v -> format(figure, v)).orElse("—"));
                }
                cells.add(ratio(figure, runs, peers));
                out.append("| ").append(String.join(" | ", cells)).append(" |\n");
            }
        }
        return out.toString();
    }

    private static String format(Figure figure, double value) {
        if (figure.format().equals(SIGNIFICANT)) {
            return BenchResult.significant(value).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, figure.format(), value);
    }

    /** sse-broker's figure over the best peer's, and whether that is better; blank where it cannot be said. */
    static String ratio(double subject, double bestPeer, boolean higherIsBetter) {
        if (subject == bestPeer) {
            return subject == 0 ? "equal" : "1.00× (equal)";
        }
        boolean better = higherIsBetter ? subject > bestPeer : subject < bestPeer;
        if (bestPeer == 0) {
            return better ? "better" : "worse";
        }
        return String.format(Locale.ROOT, "%.2f× (%s)", subject / bestPeer, better ? "better" : "worse");
    }

    private static String ratio(Figure figure, Map<String, List<BenchResult>> runs, List<String> peers) {
        Optional<Double> subject = Optional.ofNullable(runs.get(SUBJECT)).flatMap(figure::of);
        Optional<Double> best = peers.stream().map(runs::get).filter(Objects::nonNull)
                .map(figure::of).flatMap(Optional::stream)
                .reduce((a, b) -> figure.higherIsBetter() ? Math.max(a, b) : Math.min(a, b));
        if (subject.isEmpty() || best.isEmpty()) {
            return "—";
        }
        // Figures that read the same in the table are even: a verdict must not rest on digits the table does not show
        // (two systems both carrying a fixed rate of 49,999 deliveries/s, apart in the second decimal).
        if (format(figure, subject.get()).equals(format(figure, best.get()))) {
            return ratio(best.get(), best.get(), figure.higherIsBetter());
        }
        return ratio(subject.get(), best.get(), figure.higherIsBetter());
    }

    /** The scenario, and the publishing rate where one was set. */
    private static String caseName(BenchResult result) {
        return result.rate() == null ? result.scenario()
                : String.format(Locale.ROOT, "%s at %,.0f msg/s", result.scenario(), result.rate());
    }

    private static List<Figure> figuresOf(String scenario) {
        return switch (Scenario.fromLabel(scenario)) {
            case BROADCAST, UNICAST -> DELIVERY;
            case IDLE -> IDLE;
            case CONNECT -> CONNECT;
        };
    }

    private static Function<BenchResult, Number> delivery(Function<BenchResult.Delivery, Number> read) {
        return r -> r.delivery() == null ? null : read.apply(r.delivery());
    }

    /** A delivery latency; absent for a run in which no measured message arrived. */
    private static Function<BenchResult, Number> latency(Function<LatencySummary, Number> read) {
        return delivery(d -> measured(d.latency(), read));
    }

    /** How long publications waited for their answers; absent in results recorded before it was measured. */
    private static Function<BenchResult, Number> answerLatency(Function<LatencySummary, Number> read) {
        return delivery(d -> d.answerLatency() == null ? null : measured(d.answerLatency(), read));
    }

    /** A connect latency; absent for a run that opened no connection. */
    private static Function<BenchResult, Number> connectLatency(Function<LatencySummary, Number> read) {
        return r -> measured(r.connect().latency(), read);
    }

    /** A figure of a latency summary, or none when nothing was measured (not a latency of zero). */
    private static Number measured(LatencySummary latency, Function<LatencySummary, Number> read) {
        return latency.count() == 0 ? null : read.apply(latency);
    }

    private static Function<BenchResult, Number> memory(Function<BenchResult.Memory, Number> read) {
        return r -> r.memory() == null ? null : read.apply(r.memory());
    }

    /** A Redis total of a connect storm, per connection opened; absent without a Redis probe. */
    private static Function<BenchResult, Number> redisPerConnection(ToDoubleFunction<BenchResult.Redis> total) {
        return r -> r.redis() == null || r.connect().opened() == 0 ? null
                : total.applyAsDouble(r.redis()) / r.connect().opened();
    }

    private static Double cpuMillisPerConnection(BenchResult result) {
        return result.cpu() == null || result.connect().opened() == 0 ? null
                : result.cpu().seconds() * 1000 / result.connect().opened();
    }

    private static Double heapAndDirectKib(BenchResult.Memory memory) {
        Long heap = memory.heapPerConnectionBytes();
        Long direct = memory.directPerConnectionBytes();
        return heap == null || direct == null ? null : (heap + direct) / 1024.0;
    }

    private static Double kib(Long bytes) {
        return bytes == null ? null : bytes / 1024.0;
    }
}
