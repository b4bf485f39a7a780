package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.testing.CommandRun;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bench against two real nodes on one Redis: subscribers and publishers spread over both, so messages cross
 * nodes, and none is lost; Redis's commands are counted.
 */
class SeveralNodesTest {
    private static final Pattern DELIVERIES = Pattern.compile("(?m)^sse_broker_deliveries_total(?:\\{[^}]*})? ([0-9.E]+)$");

    @Test
    void unicastOverTwoNodesLosesNothingAndBothNodesDeliver() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode first = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             TestNode second = TestNode.start(Map.of("redis.addrs", redis.first().address()))) {
            CommandRun run = CommandRun.of(LoadgenMain.commandLine(), "--url", first.baseUrl() + "," + second.baseUrl(),
                    "--redis", redis.first().address(), "--scenario", "unicast", "-n", "40", "--window", "8",
                    "--publishers", "2", "--warmup", "0", "--duration", "2", "--drain", "5", "--json");

            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode delivery = new ObjectMapper().readTree(run.out()).path("delivery");
            assertThat(delivery.path("deliveries").asLong()).isPositive();
            assertThat(delivery.path("lost").asLong()).isZero();
            assertThat(delivery.path("duplicated").asLong()).isZero();
            assertThat(new ObjectMapper().readTree(run.out()).path("redis").path("commands").asLong()).isPositive();
            assertThat(deliveries(first)).as("deliveries by the first node").isPositive();
            assertThat(deliveries(second)).as("deliveries by the second node").isPositive();
        }
    }

    @Test
    void severalUrlsAreForSseBrokerOnly() {
        CommandRun run = CommandRun.of(LoadgenMain.commandLine(), "--target", "nchan",
                "--url", "http://127.0.0.1:1,http://127.0.0.1:2");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("several --url are for sse-broker nodes only");
    }

    private static double deliveries(TestNode node) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher matcher = DELIVERIES.matcher(metrics);
        assertThat(matcher.find()).as("the deliveries counter in /metrics").isTrue();
        return Double.parseDouble(matcher.group(1));
    }
}
