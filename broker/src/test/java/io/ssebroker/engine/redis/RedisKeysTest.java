package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Key names and the patterns that find them. */
class RedisKeysTest {

    /** A prefix with the characters of a glob pattern matches only itself in the pattern of all presence hashes. */
    @Test
    void thePatternOfAllPresenceHashesTakesThePrefixLiterally() {
        assertThat(new RedisKeys("sse").everyUsersPresence()).isEqualTo("sse:{u:*}:p");
        assertThat(new RedisKeys("app*[1]?\\x").everyUsersPresence()).isEqualTo("app\\*\\[1\\]\\?\\\\x:{u:*}:p");
        assertThat(new RedisKeys("sse").userPresence("u1")).startsWith("sse:{u:").endsWith("}:p");
    }
}
