package io.ssebroker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.config.ConfigLoader;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The cache of verified tokens: a token verified once is not verified again while it is valid, an expired one is
 * refused even when it was cached, and the cache stays bounded however many tokens pass.
 */
class VerifiedTokenCacheTest {
    private static final String SECRET = "cache-test-secret-of-at-least-32-bytes!!";

    private static TokenService tokens(String leeway) {
        return new TokenService(new ConfigLoader(Map.of()).load(Optional.empty(),
                Map.of("jwt.secret", SECRET, "jwt.leeway", leeway)).config().jwt());
    }

    private static String token(String uid, long expiresAtMillis) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().claim("uid", uid)
                .expirationTime(new Date(expiresAtMillis)).build());
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    @Test
    void aTokenVerifiedOnceIsFoundAgainAsItWas() throws Exception {
        TokenService service = tokens("30");
        String token = service.mint("alice", "phone", 600);
        VerifiedToken first = service.verify(token);
        assertThat(service.verify(token)).isSameAs(first);
        assertThat(first.device()).isEqualTo("phone");
    }

    @Test
    void aCachedTokenThatExpiredIsRefused() throws Exception {
        TokenService service = tokens("0");
        String token = token("bob", System.currentTimeMillis() + 1000);
        assertThat(service.verify(token).uid()).isEqualTo("bob");
        Thread.sleep(1200);
        assertThatThrownBy(() -> service.verify(token)).isInstanceOf(TokenException.class).hasMessageContaining("expired");
    }

    @Test
    void aForgedVariantOfACachedTokenIsStillVerified() throws Exception {
        TokenService service = tokens("30");
        String token = service.mint("carol", null, 600);
        service.verify(token);
        String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA";
        assertThatThrownBy(() -> service.verify(forged)).isInstanceOf(TokenException.class);
    }

    @Test
    void theCacheStaysBoundedAndKeepsWhatIsUsedAgain() {
        VerifiedTokenCache cache = new VerifiedTokenCache(100);
        VerifiedToken kept = new VerifiedToken("kept", null, 0, Long.MAX_VALUE);
        cache.put("kept", kept, Long.MAX_VALUE);
        for (int i = 0; i < 1000; i++) {
            cache.put("t" + i, new VerifiedToken("u" + i, null, 0, Long.MAX_VALUE), Long.MAX_VALUE);
            assertThat(cache.get("kept", 0)).as("used again in every generation").isSameAs(kept);
        }
        assertThat(cache.size()).isLessThanOrEqualTo(2 * 101);
        assertThat(cache.get("t0", 0)).as("used once, two generations ago").isNull();
        cache.clear();
        assertThat(cache.get("kept", 0)).isNull();
    }
}
