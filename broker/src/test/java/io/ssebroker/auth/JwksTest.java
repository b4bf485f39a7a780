package io.ssebroker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Tokens signed by an identity provider whose keys the broker reads from a JWKS URL. */
class JwksTest {

    @Test
    void aTokenSignedByAKeyOfTheJwksConnectsAndOneSignedByAnotherKeyIsRefused() throws Exception {
        RSAKey published = new RSAKeyGenerator(2048).keyID("k1").generate();
        RSAKey unknown = new RSAKeyGenerator(2048).keyID("k1").generate();
        byte[] jwks = new JWKSet(published.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        HttpServer provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/jwks.json", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        provider.start();
        String url = "http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks.json";
        try (TestNode node = TestNode.start(Map.of("jwt.jwks_url", url))) {
            try (SseClient client = SseClient.open(node, "/events?device=d-jwks",
                    Map.of("Authorization", "Bearer " + token(published, "u-jwks")))) {
                assertThat(client.status()).isEqualTo(200);
                assertThat(client.nextOfType("sys_connected").data()).startsWith("127.0.0.1:");
            }
            try (SseClient client = SseClient.open(node, "/events?device=d-jwks",
                    Map.of("Authorization", "Bearer " + token(unknown, "u-jwks")))) {
                assertThat(client.status()).isEqualTo(401);
                assertThat(client.body()).contains("token");
            }
        } finally {
            provider.stop(0);
        }
    }

    /**
     * The provider withdraws a key and adds keys that are not for signatures (one for encryption, a symmetric one):
     * the reload takes the set as it is, so the withdrawn key verifies nothing more, and the others verify nothing.
     */
    @Test
    void keysNotForSignaturesArePassedOverAndAWithdrawnKeyIsForgotten() throws Exception {
        RSAKey withdrawn = new RSAKeyGenerator(2048).keyID("k1").generate();
        RSAKey next = new RSAKeyGenerator(2048).keyID("k2").generate();
        RSAKey encryption = new RSAKeyGenerator(2048).keyID("k3").keyUse(KeyUse.ENCRYPTION).generate();
        OctetSequenceKey symmetric = new OctetSequenceKeyGenerator(256).keyID("k4").generate();
        AtomicReference<byte[]> published = new AtomicReference<>(
                new JWKSet(withdrawn.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8));
        HttpServer provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/jwks.json", exchange -> {
            byte[] jwks = published.get();
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        provider.start();
        try {
            BrokerConfig.Jwt jwt = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "jwt.secret", TestNode.SECRET,
                    "jwt.jwks_url", "http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks.json")).config().jwt();
            TokenService tokens = new TokenService(jwt);
            assertThat(tokens.verify(token(withdrawn, "u-1")).uid()).isEqualTo("u-1");

            published.set(new JWKSet(List.of(next.toPublicJWK(), encryption.toPublicJWK(), symmetric)).toString(false)
                    .getBytes(StandardCharsets.UTF_8));
            tokens.reloadPublicKeys();
            assertThatThrownBy(() -> tokens.verify(token(withdrawn, "u-1"))).as("withdrawn, though it verified before")
                    .isInstanceOf(TokenException.class);
            assertThat(tokens.verify(token(next, "u-2")).uid()).isEqualTo("u-2");
            assertThatThrownBy(() -> tokens.verify(token(encryption, "u-3"))).as("a key for encryption")
                    .isInstanceOf(TokenException.class);
        } finally {
            provider.stop(0);
        }
    }

    @Test
    void aProviderThatNeverAnswersOrAnswersTooMuchFailsTheLoadInBoundedTime() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            // the kernel accepts the connection; nobody reads the request or answers it
            long start = System.nanoTime();
            assertThatThrownBy(() -> PublicKeys.fromJwks("http://127.0.0.1:" + silent.getLocalPort() + "/jwks.json"))
                    .isInstanceOf(JwksUnreachableException.class)
                    .hasMessageContaining("jwt.jwks_url");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        }
        byte[] endless = new byte[2 << 20];
        java.util.Arrays.fill(endless, (byte) ' ');
        HttpServer provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/jwks.json", exchange -> {
            exchange.sendResponseHeaders(200, endless.length);
            try {
                exchange.getResponseBody().write(endless);
            } catch (IOException e) {
                // the client stopped reading at its limit
            }
            exchange.close();
        });
        provider.start();
        try {
            assertThatThrownBy(() -> PublicKeys.fromJwks("http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks.json"))
                    .isInstanceOf(JwksUnreachableException.class)
                    .hasMessageContaining("jwt.jwks_url");
        } finally {
            provider.stop(0);
        }
    }

    private static String token(RSAKey key, String uid) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().subject(uid).expirationTime(new Date(System.currentTimeMillis() + 600_000)).build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }
}
