package io.ssebroker.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;

/**
 * The summary of one run, printed as JSON; figures that do not apply to a scenario or a system are null.
 * {@code rate} is the publishing rate asked for (null: as fast as the window allows). Rates are per second of the
 * measured window, memory is per connection.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record BenchResult(String system, String scenario, int connections, Double rate, Connect connect, Delivery delivery,
                   Memory memory, Cpu cpu, Redis redis) {

    /** How the subscriptions opened: rate over the whole opening, latency from connect to response head. */
    record Connect(int opened, int failed, double seconds, double perSecond, LatencySummary latency) {
        static Connect of(int opened, int failed, long nanos, LatencySummary latency) {
            double seconds = nanos / 1e9;
            return new Connect(opened, failed, round(seconds), round(opened / Math.max(seconds, 1e-9)), latency);
        }
    }

    /**
     * Messages in the measured window. {@code lost} counts deliveries expected (to connections open when the
     * message was accepted) and never received after the drain; {@code duplicated} counts repeats.
     * {@code answerLatency} is from sending a publication to its answer, what the publishing backend waits (null
     * where nothing was published, and in results recorded before it was measured); {@code latency} is from sending
     * it to each subscriber having it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delivery(double seconds, long published, double publishedPerSecond, long deliveries,
                    double deliveriesPerSecond, LatencySummary latency, long lost, long duplicated,
                    long publishErrors, int droppedConnections, LatencySummary answerLatency) {
        static Delivery of(long nanos, long published, long deliveries, LatencySummary latency, long lost,
                           long duplicated, long publishErrors, int droppedConnections, LatencySummary answerLatency) {
            double seconds = nanos / 1e9;
            return new Delivery(round(seconds), published, round(published / seconds), deliveries,
                    round(deliveries / seconds), latency, lost, duplicated, publishErrors, droppedConnections,
                    answerLatency);
        }
    }

    /**
     * Growth of the server while the connections were opened and held, divided by their number: resident set
     * (sum of VmRSS over the process tree), proportional set (sum of Pss, which counts pages shared between
     * worker processes once), and for a JVM the live heap and the native memory NMT files under "Other" (direct
     * buffers) after a full GC. Next to them the resident set before connecting and with every connection open
     * (the total a machine has to have for this many connections; null in results recorded before it was).
     */
    record Memory(long baselineRssKiB, Long loadedRssKiB, long rssPerConnectionBytes, Long pssPerConnectionBytes,
                  Long heapPerConnectionBytes, Long directPerConnectionBytes) {
    }

    /** Server CPU (user + system) over the measured window, and per million deliveries where there are some. */
    record Cpu(double seconds, Double perMillionDeliveries) {
        static Cpu of(double seconds, long deliveries) {
            return new Cpu(round(seconds), deliveries == 0 ? null : round(seconds * 1e6 / deliveries));
        }
    }

    /**
     * The Redis server(s) the system ran on, over the measured window: commands and CPU, per delivery where there
     * are deliveries; and the commands of each server (each master of a cluster: how evenly the load spread).
     */
    record Redis(long commands, Double commandsPerDelivery, double cpuSeconds, Double cpuPerMillionDeliveries,
                 List<Long> commandsByServer) {
        static Redis of(RedisProbe.Sample before, RedisProbe.Sample after, long deliveries) {
            long commands = after.commandsSince(before);
            double cpuSeconds = after.cpuSecondsSince(before);
            return new Redis(commands, deliveries == 0 ? null : round((double) commands / deliveries), round(cpuSeconds),
                    deliveries == 0 ? null : round(cpuSeconds * 1e6 / deliveries), after.commandsByServerSince(before));
        }
    }

    private static final MathContext THREE_DIGITS = new MathContext(3);

    static long perConnection(long totalBytes, int connections) {
        return connections == 0 ? 0 : Math.round((double) totalBytes / connections);
    }

    /**
     * Two decimals, or three significant digits for a figure under 1: a few milliseconds of Redis CPU over a window
     * keep their size instead of becoming 0.02 or 0.03 (and a ratio of 1.5 between two nearly equal figures).
     */
    static double round(double value) {
        if (value == 0 || Math.abs(value) >= 1 || !Double.isFinite(value)) {
            return Math.round(value * 100) / 100.0;
        }
        return significant(value).doubleValue();
    }

    /** The value with three significant digits. */
    static BigDecimal significant(double value) {
        return new BigDecimal(value).round(THREE_DIGITS);
    }
}
