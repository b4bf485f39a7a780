package io.ssebroker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code packaging/} name only metrics a node exposes, so
 * that every query resolves; the rules pass {@code promtool check rules} where Prometheus is installed.
 */
class ObservabilityKitTest {
    private static final Path DASHBOARD = Path.of("packaging/grafana/sse-broker-dashboard.json");
    private static final Path ALERTS = Path.of("packaging/prometheus/sse-broker-alerts.yml");
    private static final Pattern METRIC = Pattern.compile("\\b((?:sse_broker|jvm|process|system)_[a-z0-9_]+)\\b");

    private static Set<String> metricsNamedIn(Path file) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher matcher = METRIC.matcher(Files.readString(file));
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /** A node that has done a little of everything, so that the series that appear on first use exist. */
    private static String scrapeOfABusyNode() throws InterruptedException {
        try (TestNode node = TestNode.start(Map.of("callback.url", "http://127.0.0.1:9/hook", "callback.max_attempts", "1"))) {
            try (SseClient client = node.connect("alice", "phone")) {
                client.next();
                node.api().send(Map.of("uid", "alice", "data", "hello"));
                client.nextOfType("message");
                node.api().postForm("/kick", Map.of("uid", "alice"));
                client.readUntilClosed(Duration.ofSeconds(5));
            }
            try (SseClient client = node.connect("bob", "tablet", "not-a-cursor")) {
                client.next();
            }
            // GC pauses are counted from the first collection on: make one (the node runs in this JVM)
            System.gc();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    PrometheusText.scrape(node).text().contains("jvm_gc_pause_seconds_sum"));
            return PrometheusText.scrape(node).text();
        }
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsNameExists() throws IOException, InterruptedException {
        String scrape = scrapeOfABusyNode();
        Set<String> named = new TreeSet<>(metricsNamedIn(DASHBOARD));
        named.addAll(metricsNamedIn(ALERTS));
        assertThat(named).contains("sse_broker_connections", "sse_broker_http_refused_total",
                "sse_broker_engine_commands_seconds_count");
        for (String name : named) {
            assertThat(scrape).as("/metrics exposes %s", name).containsPattern("(?m)^" + name + "[{ ]");
        }
    }

    @Test
    void theAlertRulesPassPromtool() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/promtool")), "promtool is not installed");
        Process promtool = new ProcessBuilder("promtool", "check", "rules", ALERTS.toString())
                .redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes());
        assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
    }
}
