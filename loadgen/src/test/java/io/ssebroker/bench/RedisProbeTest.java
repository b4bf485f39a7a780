package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.RedisServers;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The probe against a real redis-server: commands carried out between two samples, its own INFO calls left out. */
class RedisProbeTest {

    @Test
    void countsTheCommandsBetweenTwoSamplesButNotItsOwn() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            RedisProbe probe = new RedisProbe(List.of(redis.first().address()));
            RedisProbe.Sample before = probe.sample();
            for (int i = 0; i < 10; i++) {
                redis.first().cli("SET", "k" + i, "v");
            }
            RedisProbe.Sample after = probe.sample();
            assertThat(after.commandsSince(before)).isBetween(10L, 12L); // redis-cli may say COMMAND DOCS once
            assertThat(after.cpuSecondsSince(before)).isNotNegative();
            assertThat(probe.sample().commandsSince(after)).as("sampling adds nothing").isZero();
        }
    }

    @Test
    void sumsTheMastersOfACluster() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            RedisProbe probe = new RedisProbe(redis.addresses());
            // Found before sampling: finding a key's master asks the cluster too.
            List<RedisServers.Server> owners = IntStream.range(0, 30).mapToObj(i -> redis.ownerOf(redis.slotOf("k" + i))).toList();
            RedisProbe.Sample before = probe.sample();
            for (int i = 0; i < 30; i++) {
                owners.get(i).cli("SET", "k" + i, "v");
            }
            RedisProbe.Sample after = probe.sample();
            assertThat(after.commandsSince(before)).as("every master's commands").isBetween(30L, 36L);
            List<Long> byServer = after.commandsByServerSince(before);
            assertThat(byServer).hasSize(redis.addresses().size()).allMatch(n -> n > 0);
            assertThat(byServer.stream().mapToLong(Long::longValue).sum()).isEqualTo(after.commandsSince(before));
        }
    }
}
