package io.ssebroker.metrics;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.TestNode;
import java.util.Map;

/** Reads a node's {@code /metrics} over HTTP and picks series out of the Prometheus text. */
public final class PrometheusText {
    private final String text;

    private PrometheusText(String text) {
        this.text = text;
    }

    /** A scrape of {@code /metrics} from loopback; fails unless the answer is 200. */
    public static PrometheusText scrape(TestNode node) {
        Api.Answer answer = node.api().get("/metrics", Map.of());
        if (answer.status() != 200) {
            throw new AssertionError("/metrics answered " + answer.status() + ": " + answer.response().body());
        }
        return new PrometheusText(answer.response().body());
    }

    public String text() {
        return text;
    }

    /** The value of the first series of this name carrying all these labels; NaN when there is none. */
    /** The first series of the metric with these labels; NaN when there is none. */
    public double value(String name, Map<String, String> labels) {
        return matching(name, labels).findFirst().orElse(Double.NaN);
    }

    /** The sum over every series of the metric that has these labels (a memory area spans several pools). */
    public double sum(String name, Map<String, String> labels) {
        return matching(name, labels).sum();
    }

    private java.util.stream.DoubleStream matching(String name, Map<String, String> labels) {
        return java.util.Arrays.stream(text.split("\n"))
                .filter(line -> !line.startsWith("#") && (line.startsWith(name + " ") || line.startsWith(name + "{")))
                .filter(line -> {
                    String series = line.substring(0, line.lastIndexOf(' '));
                    return labels.entrySet().stream().allMatch(l -> series.contains(l.getKey() + "=\"" + l.getValue() + "\""));
                })
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
    }

    public double value(String name) {
        return value(name, Map.of());
    }
}
