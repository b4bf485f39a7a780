package io.ssebroker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code jwt.issuer}, {@code jwt.audience}, {@code jwt.max_lifetime} and the skew on {@code iat}, over real sockets. */
class TokenClaimsTest {
    private static final long HOUR = 3_600_000;
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("jwt.issuer", "https://auth.example.com", "jwt.audience", "sse-broker",
                "jwt.max_lifetime", "3600"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /** A token for uid alice, valid for half an hour from now, with the expected claims, changed by {@code edit}. */
    private static String token(UnaryOperator<JWTClaimsSet.Builder> edit) throws Exception {
        long now = System.currentTimeMillis();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().claim("uid", "alice")
                .issuer("https://auth.example.com").audience("sse-broker")
                .issueTime(new Date(now)).expirationTime(new Date(now + HOUR / 2));
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), edit.apply(claims).build());
        jwt.sign(new MACSigner(TestNode.SECRET));
        return jwt.serialize();
    }

    private static SseClient connect(String token) {
        return SseClient.open(node, "/events?device=phone", Map.of("X-SSE-TOKEN", token));
    }

    private static void assertRefused(String token, String reason) {
        try (SseClient client = connect(token)) {
            assertThat(client.status()).isEqualTo(401);
            assertThat(client.body()).contains(reason);
        }
    }

    @Test
    void aTokenWithTheExpectedClaimsIsAccepted() throws Exception {
        try (SseClient client = connect(token(c -> c))) {
            assertThat(client.next().event()).isEqualTo("sys_connected");
        }
        try (SseClient client = connect(token(c -> c.audience(List.of("other", "sse-broker"))))) {
            assertThat(client.next().event()).as("one audience of several").isEqualTo("sys_connected");
        }
    }

    @Test
    void mintedTokensCarryTheIssuerAndAudience() throws Exception {
        String minted = node.token("alice", "phone");
        JWTClaimsSet claims = SignedJWT.parse(minted).getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo("https://auth.example.com");
        assertThat(claims.getAudience()).containsExactly("sse-broker");
        try (SseClient client = connect(minted)) {
            assertThat(client.next().event()).isEqualTo("sys_connected");
        }
    }

    @Test
    void anotherIssuerOrNoneIsRefused() throws Exception {
        assertRefused(token(c -> c.issuer("https://evil.example.com")), "issuer");
        assertRefused(token(c -> c.issuer(null)), "issuer");
    }

    @Test
    void anotherAudienceOrNoneIsRefused() throws Exception {
        assertRefused(token(c -> c.audience("another-service")), "audience");
        assertRefused(token(c -> c.audience((String) null)), "audience");
    }

    @Test
    void aTokenThatLivesLongerThanTheMaximumIsRefused() throws Exception {
        long now = System.currentTimeMillis();
        assertRefused(token(c -> c.expirationTime(new Date(now + 2 * HOUR))), "jwt.max_lifetime");
        assertRefused(token(c -> c.issueTime(null).expirationTime(new Date(now + 2 * HOUR))), "jwt.max_lifetime");
        // counted from now, its lifetime would pass the bound once it has aged, after a kick's revocation expired
        assertRefused(token(c -> c.issueTime(null).expirationTime(new Date(now + HOUR / 2))), "no iat claim");
        assertRefused(token(c -> c.issueTime(new Date(now - 10 * HOUR)).expirationTime(new Date(now + HOUR / 2))),
                "jwt.max_lifetime");
    }

    @Test
    void aTokenIssuedInTheFutureBeyondTheLeewayIsRefused() throws Exception {
        long now = System.currentTimeMillis();
        assertRefused(token(c -> c.issueTime(new Date(now + 120_000)).expirationTime(new Date(now + HOUR / 2))), "iat");
        try (SseClient client = connect(token(c -> c.issueTime(new Date(now + 10_000))))) {
            assertThat(client.next().event()).as("within jwt.leeway").isEqualTo("sys_connected");
        }
    }

    @Test
    void aBlankUidClaimLeavesTheUidToTheSubject() throws Exception {
        try (SseClient client = connect(token(c -> c.claim("uid", " ").subject("bob")))) {
            assertThat(client.next().event()).isEqualTo("sys_connected");
            assertThat(node.api().get("/info", Map.of("device", "phone")).result().path("uid").asText()).isEqualTo("bob");
        }
        assertRefused(token(c -> c.claim("uid", "")), "no uid or sub");
    }

    @Test
    void aWholeNumberIsAUidAsLongAsALongHoldsIt() throws Exception {
        try (SseClient client = connect(token(c -> c.claim("uid", 1.965e3)))) {
            assertThat(client.next().event()).isEqualTo("sys_connected");
            assertThat(node.api().get("/info", Map.of("device", "phone")).result().path("uid").asText()).isEqualTo("1965");
        }
        // Beyond a long, two such uids would have read as one (Long.MAX_VALUE): one user's stream for both.
        assertRefused(token(c -> c.claim("uid", 1e20)), "uid is a number too large");
        assertRefused(token(c -> c.claim("uid", -1e20)), "uid is a number too large");
    }

    @Test
    void aDeviceOrUidClaimOfAnotherKindIsRefusedRatherThanReadAsAbsent() throws Exception {
        // Read as absent, a device claim of another kind would leave the token bound to no device at all.
        assertRefused(token(c -> c.claim("device_name", List.of("tablet"))), "device_name is neither a string nor a number");
        assertRefused(token(c -> c.claim("device_name", true)), "device_name is neither");
        assertRefused(token(c -> c.claim("device_name", Map.of("name", "tablet"))), "device_name is neither");
        assertRefused(token(c -> c.claim("uid", List.of("alice")).subject("alice")), "uid is neither");
    }
}
