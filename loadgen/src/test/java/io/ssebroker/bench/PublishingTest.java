package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.testing.CommandRun;
import io.ssebroker.testing.TestNode;
import org.junit.jupiter.api.Test;

/**
 * Publishing from the publisher connections' event loops against a real node: a fixed rate is kept across the
 * connections, a full window holds broadcasts until their deliveries are back, and nothing is lost either way.
 */
class PublishingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aFixedRateIsKeptAcrossThePublisherConnections() throws Exception {
        try (TestNode node = TestNode.start()) {
            JsonNode delivery = run(node, "--scenario", "unicast", "-n", "20", "--rate", "200", "--publishers", "3",
                    "--warmup", "0", "--duration", "3");

            assertThat(delivery.path("publishedPerSecond").asDouble()).isBetween(170.0, 215.0);
            // what was in flight at either end of the window: a few publications at most
            assertThat(delivery.path("deliveries").asLong()).isCloseTo(delivery.path("published").asLong(), within(10L));
            assertThat(delivery.path("lost").asLong()).isZero();
            assertThat(delivery.path("publishErrors").asLong()).isZero();
            // every publication of the window was answered, and how long that took is measured
            JsonNode answers = delivery.path("answerLatency");
            assertThat(answers.path("count").asLong()).isEqualTo(delivery.path("published").asLong());
            assertThat(answers.path("p50Ms").asDouble()).isPositive();
        }
    }

    @Test
    void broadcastsWaitForTheirWindowAndAllArrive() throws Exception {
        try (TestNode node = TestNode.start()) {
            JsonNode delivery = run(node, "--scenario", "broadcast", "-n", "30", "--window", "2", "--publishers", "4",
                    "--warmup", "1", "--duration", "2");

            assertThat(delivery.path("published").asLong()).isPositive();
            // the window keeps two broadcasts in flight at most, at either end of the measured window
            assertThat(delivery.path("deliveries").asLong()).isCloseTo(30 * delivery.path("published").asLong(), within(2 * 30L));
            assertThat(delivery.path("lost").asLong()).isZero();
            assertThat(delivery.path("duplicated").asLong()).isZero();
        }
    }

    private static JsonNode run(TestNode node, String... scenario) throws Exception {
        String[] args = new String[scenario.length + 5];
        args[0] = "--url";
        args[1] = node.baseUrl();
        args[2] = "--drain";
        args[3] = "5";
        args[4] = "--json";
        System.arraycopy(scenario, 0, args, 5, scenario.length);
        CommandRun run = CommandRun.of(LoadgenMain.commandLine(), args);
        assertThat(run.exit()).as(run.err()).isZero();
        return JSON.readTree(run.out()).path("delivery");
    }
}
