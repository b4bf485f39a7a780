package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.CommandRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench as the command line exposes it: bad options are refused before anything connects; tables render. */
class BenchCommandTest {
    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(LoadgenMain.commandLine(), args);
    }

    @Test
    void unknownScenarioOrTargetAndBadSizesAreUsageErrors() {
        assertThat(run("--scenario", "storm")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err()).contains("unknown scenario 'storm'");
        });
        assertThat(run("--target", "kafka").err()).contains("unknown --target 'kafka'");
        assertThat(run("-n", "0").err()).contains("--connections must be at least 1");
        assertThat(run("--target", "pushpin").err()).contains("--origin-port is required");
        assertThat(run("--redis", "127.0.0.1")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err()).contains("--redis takes host:port, not 127.0.0.1");
        });
        assertThat(run("--redis", "127.0.0.1:6379,redis:port").err()).contains("--redis takes host:port, not redis:port");
    }

    @Test
    void tableRendersTheJsonLinesOfEarlierRuns() throws IOException {
        Path results = dir.resolve("results.jsonl");
        Files.writeString(results, """
                {"system":"sse-broker","scenario":"connect","connections":100,"connect":{"opened":100,"failed":0,"seconds":0.02,"perSecond":5000.0,"latency":{"count":100,"p50Ms":1.0,"p99Ms":2.0,"p999Ms":2.0,"maxMs":2.0}},"cpu":{"seconds":0.01}}
                {"system":"nchan","scenario":"connect","connections":100,"connect":{"opened":100,"failed":0,"seconds":0.01,"perSecond":10000.0,"latency":{"count":100,"p50Ms":0.5,"p99Ms":1.0,"p999Ms":1.0,"maxMs":1.0}},"cpu":{"seconds":0.005}}
                """);

        CommandRun run = run("table", results.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("| connect | 100 | connections/s ↑ | 5,000 | 10,000 | 0.50× (worse) |");
        assertThat(run.out()).contains("| connect | 100 | server CPU ms per connection ↓ | 0.1 | 0.05 | 2.00× (worse) |");
    }
}
