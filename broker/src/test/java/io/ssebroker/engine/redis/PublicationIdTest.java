package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.Publication;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * How long a publication's appends are remembered as done, per stream: a re-sent script (Lettuce re-sends one that
 * was written but not answered when its connection dropped, within the command timeout) must find them, also for a
 * send whose idempotency window is shorter than that.
 */
class PublicationIdTest {

    @Test
    void aKeyedSendIsRememberedAtLeastAsLongAsAReSentScriptMayCome() {
        RedisStreams streams = streams(Map.of("sse.idempotency_window", "2", "redis.timeout", "5"));
        RedisStreams.PublicationId keyed = streams.publicationId(publication("k-short"));
        RedisStreams.PublicationId random = streams.publicationId(publication(null));
        assertThat(keyed.id()).isEqualTo("k:k-short");
        assertThat(keyed.ttlMillis()).isEqualTo(random.ttlMillis()).isEqualTo(60_000);

        RedisStreams longWindow = streams(Map.of("sse.idempotency_window", "600"));
        assertThat(longWindow.publicationId(publication("k-long")).ttlMillis()).isEqualTo(600_000);
    }

    private static RedisStreams streams(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.put("jwt.secret", "publication-id-test-secret-of-32-bytes");
        BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), all).config();
        return new RedisStreams(null, null, new RedisKeys("sse"), config);
    }

    private static Publication publication(String key) {
        return new Publication(null, "x", Set.of("u"), Set.of(), key);
    }
}
