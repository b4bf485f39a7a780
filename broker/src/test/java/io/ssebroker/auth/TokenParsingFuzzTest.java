package io.ssebroker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** Any token text: refused with a {@link TokenException} (a 401 with its reason), never another exception. */
class TokenParsingFuzzTest {
    private static final BrokerConfig.Jwt JWT = new ConfigLoader(Map.of()).load(Optional.empty(),
            Map.of("jwt.secret", "fuzzing-secret-of-at-least-32-bytes!!", "jwt.audience", "sse-broker",
                    "jwt.issuer", "issuer", "jwt.max_lifetime", "3600")).config().jwt();
    private static final TokenService TOKENS = new TokenService(JWT);

    @FuzzTest(maxDuration = "5m")
    void refusesAnyForgeryWithAReason(byte[] input) {
        String token = new String(input, StandardCharsets.UTF_8);
        try {
            VerifiedToken verified = TOKENS.verify(token);
            // only a token signed with the secret gets here: the fuzzer cannot make one
            throw new AssertionError("a made-up token was accepted: " + verified);
        } catch (TokenException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
