package io.ssebroker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Forged, stale and foreign tokens against {@code /events} over real sockets: everything that is not a token this
 * broker's keys vouch for must be refused with 401 and the JSON envelope, and never open a stream.
 */
class JwtAttackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final long LEEWAY_SECONDS = 30;

    private static KeyPair rsa;
    private static KeyPair ec;
    private static KeyPair ed25519;
    private static String rsaPem;

    /** Only {@code jwt.secret}: no public key configured. */
    private static TestNode hmacNode;
    private static TestNode rsaNode;
    private static TestNode ecNode;
    private static TestNode edNode;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        rsa = rsaGenerator.generateKeyPair();
        KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
        ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGenerator.generateKeyPair();
        ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        rsaPem = pem(rsa.getPublic());

        String leeway = Long.toString(LEEWAY_SECONDS);
        hmacNode = TestNode.start(Map.of("jwt.leeway", leeway));
        rsaNode = TestNode.start(Map.of("jwt.leeway", leeway, "jwt.public_key", rsaPem));
        ecNode = TestNode.start(Map.of("jwt.leeway", leeway, "jwt.public_key", pem(ec.getPublic())));
        edNode = TestNode.start(Map.of("jwt.leeway", leeway, "jwt.public_key", pem(ed25519.getPublic())));
    }

    @AfterAll
    static void stop() {
        for (TestNode node : new TestNode[] {hmacNode, rsaNode, ecNode, edNode}) {
            if (node != null) {
                node.close();
            }
        }
    }

    // ---- the baseline: the same kind of token, unforged, is accepted (otherwise the refusals below prove nothing)

    @Test
    void wellFormedHs256TokenIsAcceptedInEveryTransport() {
        String device = device();
        String token = hs256(claims("u-ok", device, inSeconds(600)), TestNode.SECRET);
        assertAccepted(bearer(hmacNode, device, token));
        assertAccepted(xSseToken(hmacNode, device, token));
        assertAccepted(query(hmacNode, device, token));
    }

    // ---- unsigned and tampered tokens

    @Test
    void algNoneIsRefused() {
        String device = device();
        Map<String, Object> claims = claims("u-none", device, inSeconds(600));
        String token = b64Json(Map.of("alg", "none")) + "." + b64Json(claims) + ".";
        assertRefused(bearer(hmacNode, device, token));
        assertRefused(query(hmacNode, device, token));
        String typed = b64Json(Map.of("alg", "none", "typ", "JWT")) + "." + b64Json(claims) + ".";
        assertRefused(xSseToken(hmacNode, device, typed));
    }

    @Test
    void algNoneIsRefusedWhenPublicKeysAreConfiguredToo() {
        String device = device();
        String token = b64Json(Map.of("alg", "none")) + "." + b64Json(claims("u-none-rsa", device, inSeconds(600))) + ".";
        assertRefused(bearer(rsaNode, device, token));
    }

    @Test
    void tamperedSignatureIsRefused() {
        String device = device();
        String token = hs256(claims("u-tamper", device, inSeconds(600)), TestNode.SECRET);
        int signatureStart = token.lastIndexOf('.') + 1;
        // the first signature character carries six whole bits, so changing it always changes the signature bytes
        char original = token.charAt(signatureStart);
        char flipped = original == 'A' ? 'B' : 'A';
        String tampered = token.substring(0, signatureStart) + flipped + token.substring(signatureStart + 1);
        assertRefused(bearer(hmacNode, device, tampered));
    }

    /**
     * The last character of a base64url part may carry bits past the part's last byte, which a decoder ignores: with
     * them set the same token has other spellings, each verified and remembered apart. Only the canonical one passes.
     */
    @Test
    void aSpellingWithBitsSetPastTheLastByteIsRefused() {
        String device = device();
        String token = hs256(claims("u-spelling", device, inSeconds(600)), TestNode.SECRET);
        assertThat(token.length() - token.lastIndexOf('.') - 1).as("43 characters: 2 bits past the 32 bytes").isEqualTo(43);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char last = token.charAt(token.length() - 1);
        char respelt = alphabet.charAt(alphabet.indexOf(last) | 1); // the same 32 bytes, one unused bit set
        assertThat(respelt).isNotEqualTo(last);
        assertAccepted(bearer(hmacNode, device, token));
        assertRefused(bearer(hmacNode, device, token.substring(0, token.length() - 1) + respelt));
    }

    /** RFC 7515, 4.1.11: an extension the header marks critical, which this broker does not know, refuses the token. */
    @Test
    void aTokenNamingCriticalExtensionsIsRefusedWithEveryAlgorithm() throws Exception {
        String device = device();
        Map<String, Object> claims = claims("u-crit", device, inSeconds(600));
        assertRefused(bearer(hmacNode, device, hs256(Map.of("alg", "HS256", "crit", java.util.List.of("urn:example:ext"),
                "urn:example:ext", true), claims, TestNode.SECRET.getBytes(StandardCharsets.UTF_8))));
        assertRefused(bearer(edNode, device, ed25519(Map.of("alg", "EdDSA", "crit", java.util.List.of("urn:example:ext"),
                "urn:example:ext", true), claims, ed25519.getPrivate())));
        assertAccepted(bearer(edNode, device, ed25519(claims, ed25519.getPrivate())));
    }

    @Test
    void tamperedPayloadIsRefused() {
        String device = device();
        String token = hs256(claims("u-victim", device, inSeconds(600)), TestNode.SECRET);
        String[] parts = token.split("\\.");
        String forgedPayload = b64Json(claims("u-admin", device, inSeconds(600)));
        assertRefused(xSseToken(hmacNode, device, parts[0] + "." + forgedPayload + "." + parts[2]));
    }

    @Test
    void hs256SignedWithAnotherSecretIsRefused() {
        String device = device();
        String token = hs256(claims("u-other", device, inSeconds(600)), "another-secret-that-is-32-bytes-or-more!!");
        assertRefused(bearer(hmacNode, device, token));
    }

    @Test
    void garbageTokenIsRefused() {
        String device = device();
        assertRefused(bearer(hmacNode, device, "not-a-jwt"));
        assertRefused(xSseToken(hmacNode, device, "a.b.c"));
    }

    // ---- time claims

    @Test
    void tokenExpiredBeyondLeewayIsRefused() {
        String device = device();
        String token = hs256(claims("u-expired", device, inSeconds(-(LEEWAY_SECONDS + 120))), TestNode.SECRET);
        assertRefused(bearer(hmacNode, device, token));
    }

    @Test
    void tokenExpiredWithinLeewayIsAccepted() {
        String device = device();
        String token = hs256(claims("u-skew", device, inSeconds(-(LEEWAY_SECONDS / 3))), TestNode.SECRET);
        assertAccepted(bearer(hmacNode, device, token));
    }

    @Test
    void tokenNotYetValidBeyondLeewayIsRefused() {
        String device = device();
        Map<String, Object> claims = claims("u-nbf", device, inSeconds(3600));
        claims.put("nbf", inSeconds(LEEWAY_SECONDS + 300));
        assertRefused(bearer(hmacNode, device, hs256(claims, TestNode.SECRET)));
    }

    @Test
    void tokenNotYetValidWithinLeewayIsAccepted() {
        String device = device();
        Map<String, Object> claims = claims("u-nbf-skew", device, inSeconds(3600));
        claims.put("nbf", inSeconds(LEEWAY_SECONDS / 3));
        assertAccepted(bearer(hmacNode, device, hs256(claims, TestNode.SECRET)));
    }

    @Test
    void tokenWithoutExpIsRefused() {
        String device = device();
        Map<String, Object> claims = claims("u-forever", device, 0);
        claims.remove("exp");
        assertRefused(bearer(hmacNode, device, hs256(claims, TestNode.SECRET)));
    }

    @Test
    void tokenWithoutUidAndSubIsRefused() {
        String device = device();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("device_name", device);
        claims.put("exp", inSeconds(600));
        assertRefused(bearer(hmacNode, device, hs256(claims, TestNode.SECRET)));
    }

    @Test
    void tokenWithBlankUidAndNoSubIsRefused() {
        String device = device();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("uid", "   ");
        claims.put("exp", inSeconds(600));
        assertRefused(bearer(hmacNode, device, hs256(claims, TestNode.SECRET)));
    }

    @Test
    void subAloneNamesTheUser() {
        String device = device();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", "u-sub-only");
        claims.put("exp", inSeconds(600));
        assertAccepted(bearer(hmacNode, device, hs256(claims, TestNode.SECRET)));
    }

    // ---- asymmetric keys and algorithm confusion

    @Test
    void rs256SignedByTheConfiguredKeyIsAccepted() throws Exception {
        String device = device();
        String token = nimbus(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()), "u-rsa", device);
        assertAccepted(bearer(rsaNode, device, token));
    }

    @Test
    void rs256SignedByAnotherRsaKeyIsRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair stranger = generator.generateKeyPair();
        String device = device();
        String token = nimbus(JWSAlgorithm.RS256, new RSASSASigner(stranger.getPrivate()), "u-rsa-stranger", device);
        assertRefused(bearer(rsaNode, device, token));
    }

    @Test
    void hs256KeyedWithThePublicKeyPemIsRefused() {
        String device = device();
        Map<String, Object> claims = claims("u-confused-pem", device, inSeconds(600));
        assertRefused(bearer(rsaNode, device, hs256(claims, rsaPem.getBytes(StandardCharsets.UTF_8))));
        // the configured text may be compared with or without its line ends; neither may serve as an HMAC key
        assertRefused(bearer(rsaNode, device, hs256(claims, rsaPem.strip().getBytes(StandardCharsets.UTF_8))));
        assertRefused(bearer(rsaNode, device, hs256(claims, (rsaPem.strip() + "\n").getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void hs256KeyedWithThePublicKeyDerIsRefused() {
        String device = device();
        String token = hs256(claims("u-confused-der", device, inSeconds(600)), rsa.getPublic().getEncoded());
        assertRefused(xSseToken(rsaNode, device, token));
    }

    @Test
    void rs256IsRefusedWhenNoPublicKeyIsConfigured() throws Exception {
        String device = device();
        String token = nimbus(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()), "u-rsa-nokey", device);
        assertRefused(bearer(hmacNode, device, token));
    }

    @Test
    void es256SignedByTheConfiguredKeyIsAccepted() throws Exception {
        String device = device();
        String token = nimbus(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()), "u-ec", device);
        assertAccepted(query(ecNode, device, token));
    }

    @Test
    void es256IsRefusedByANodeWithOnlyAnRsaKey() throws Exception {
        String device = device();
        String token = nimbus(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()), "u-ec-rsa", device);
        assertRefused(bearer(rsaNode, device, token));
    }

    @Test
    void rsaSignatureRelabelledAsEs256IsRefused() throws Exception {
        String device = device();
        String rs256 = nimbus(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()), "u-relabel", device);
        String[] parts = rs256.split("\\.");
        String relabelled = b64Json(Map.of("alg", "ES256", "typ", "JWT")) + "." + parts[1] + "." + parts[2];
        assertRefused(bearer(ecNode, device, relabelled));
    }

    @Test
    void ed25519SignedByTheConfiguredKeyIsAccepted() throws Exception {
        String device = device();
        String token = ed25519(claims("u-ed", device, inSeconds(600)), ed25519.getPrivate());
        assertAccepted(xSseToken(edNode, device, token));
    }

    @Test
    void ed25519SignedByAnotherKeyIsRefused() throws Exception {
        String device = device();
        KeyPair stranger = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String token = ed25519(claims("u-ed-stranger", device, inSeconds(600)), stranger.getPrivate());
        assertRefused(bearer(edNode, device, token));
    }

    @Test
    void ed25519IsRefusedWhenNoPublicKeyIsConfigured() throws Exception {
        String device = device();
        String token = ed25519(claims("u-ed-nokey", device, inSeconds(600)), ed25519.getPrivate());
        assertRefused(bearer(hmacNode, device, token));
    }

    // ---- compatibility with tokens minted elsewhere and by /token

    @Test
    void goSseBrokerTokenConnectsAsItsUidAndDevice() throws Exception {
        String device = device();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("uid", "go-user-1");
        claims.put("device_name", device);
        claims.put("exp", inSeconds(3600));
        String token = hs256(Map.of("alg", "HS256", "typ", "JWT"), claims, TestNode.SECRET.getBytes(StandardCharsets.UTF_8));
        // no device parameter: the token's device_name is the device, as go-sse-broker clients rely on
        try (SseClient client = SseClient.open(hmacNode, "/events", Map.of("X-SSE-TOKEN", token))) {
            assertConnected(client);
            assertOnlineAs(hmacNode, device, "go-user-1");
            assertDelivered(hmacNode, client, "go-user-1");
        }
    }

    @Test
    void goSseBrokerTokenSignedWithItsShortSampleSecretConnectsToANodeWithThatSecret() throws Exception {
        try (TestNode goConfigured = TestNode.start(Map.of("jwt.secret", "please_modify"))) {
            String device = device();
            Map<String, Object> claims = new LinkedHashMap<>();
            claims.put("uid", "go-user-short");
            claims.put("device_name", device);
            claims.put("exp", inSeconds(3600));
            try (SseClient client = SseClient.open(goConfigured, "/events", Map.of("X-SSE-TOKEN", hs256(claims, "please_modify")))) {
                assertConnected(client);
                assertOnlineAs(goConfigured, device, "go-user-short");
            }
            try (SseClient forged = SseClient.open(goConfigured, "/events",
                    Map.of("X-SSE-TOKEN", hs256(claims, "please_modify!")))) {
                assertRefused(forged);
            }
        }
    }

    @Test
    void goSseBrokerTokenWithNumericUidConnectsAsThatUid() throws Exception {
        String device = device();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("uid", 1965);
        claims.put("device_name", device);
        claims.put("exp", inSeconds(3600));
        String token = hs256(Map.of("alg", "HS256", "typ", "JWT"), claims, TestNode.SECRET.getBytes(StandardCharsets.UTF_8));
        try (SseClient client = SseClient.open(hmacNode, "/events?token=" + token, Map.of())) {
            assertConnected(client);
            assertOnlineAs(hmacNode, device, "1965");
            assertDelivered(hmacNode, client, "1965");
        }
    }

    @Test
    void goSseBrokerTokenWithEmptyDeviceNameConnectsTheRequestedDevice() throws Exception {
        // go-sse-broker writes device_name even when no device was asked for, as an empty string
        String device = device();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("uid", "go-user-2");
        claims.put("device_name", "");
        claims.put("exp", inSeconds(3600));
        String token = hs256(Map.of("alg", "HS256", "typ", "JWT"), claims, TestNode.SECRET.getBytes(StandardCharsets.UTF_8));
        try (SseClient client = bearer(hmacNode, device, token)) {
            assertConnected(client);
            assertOnlineAs(hmacNode, device, "go-user-2");
        }
    }

    @Test
    void mintedTokenCarriesTheDocumentedClaims() throws Exception {
        String device = device();
        long before = System.currentTimeMillis() / 1000;
        String token = hmacNode.token("u-minted", device);
        long after = System.currentTimeMillis() / 1000;

        String[] parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        JsonNode header = decode(parts[0]);
        assertThat(header.path("alg").asText()).isEqualTo("HS256");
        JsonNode payload = decode(parts[1]);
        assertThat(payload.path("sub").asText()).isEqualTo("u-minted");
        assertThat(payload.path("uid").asText()).isEqualTo("u-minted");
        assertThat(payload.path("device_name").asText()).isEqualTo(device);
        assertThat(payload.path("iat").isIntegralNumber()).as("iat is NumericDate: %s", payload).isTrue();
        assertThat(payload.path("exp").isIntegralNumber()).as("exp is NumericDate: %s", payload).isTrue();
        assertThat(payload.path("iat").asLong()).isBetween(before, after);
        // jwt.expire defaults to one day
        assertThat(payload.path("exp").asLong() - payload.path("iat").asLong()).isEqualTo(86_400);
        assertThat(payload.path("jti").asText()).isNotBlank();
        assertThat(decode(hmacNode.token("u-minted", device).split("\\.")[1]).path("jti").asText())
                .as("every minted token has its own jti")
                .isNotEqualTo(payload.path("jti").asText());

        try (SseClient client = bearer(hmacNode, device, token)) {
            assertConnected(client);
        }
    }

    @Test
    void mintedTokenWithoutDeviceHasNoDeviceClaim() throws Exception {
        String token = hmacNode.token("u-minted-nodev", null);
        JsonNode payload = decode(token.split("\\.")[1]);
        assertThat(payload.path("uid").asText()).isEqualTo("u-minted-nodev");
        assertThat(payload.has("device_name")).isFalse();
    }

    // ---- helpers

    private static String device() {
        return "d-" + UUID.randomUUID().toString().substring(0, 12);
    }

    private static long inSeconds(long delta) {
        return System.currentTimeMillis() / 1000 + delta;
    }

    private static Map<String, Object> claims(String uid, String device, long exp) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", uid);
        claims.put("uid", uid);
        claims.put("device_name", device);
        claims.put("iat", System.currentTimeMillis() / 1000);
        claims.put("exp", exp);
        return claims;
    }

    private static String b64Json(Object value) {
        try {
            return B64URL.encodeToString(JSON.writeValueAsBytes(value));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode decode(String part) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(part));
    }

    private static String hs256(Map<String, Object> claims, String secret) {
        return hs256(claims, secret.getBytes(StandardCharsets.UTF_8));
    }

    private static String hs256(Map<String, Object> claims, byte[] key) {
        return hs256(Map.of("alg", "HS256", "typ", "JWT"), claims, key);
    }

    private static String hs256(Map<String, Object> header, Map<String, Object> claims, byte[] key) {
        String signingInput = b64Json(header) + "." + b64Json(claims);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return signingInput + "." + B64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String ed25519(Map<String, Object> claims, java.security.PrivateKey key) throws Exception {
        return ed25519(Map.of("alg", "EdDSA", "typ", "JWT"), claims, key);
    }

    private static String ed25519(Map<String, Object> header, Map<String, Object> claims, java.security.PrivateKey key)
            throws Exception {
        String signingInput = b64Json(header) + "." + b64Json(claims);
        Signature signature = Signature.getInstance("Ed25519");
        signature.initSign(key);
        signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + B64URL.encodeToString(signature.sign());
    }

    private static String nimbus(JWSAlgorithm algorithm, JWSSigner signer, String uid, String device) throws Exception {
        long now = System.currentTimeMillis();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(uid)
                .claim("uid", uid)
                .claim("device_name", device)
                .issueTime(new Date(now))
                .expirationTime(new Date(now + 600_000))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String pem(PublicKey key) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n";
    }

    private static SseClient bearer(TestNode node, String device, String token) {
        return SseClient.open(node, "/events?device=" + device, Map.of("Authorization", "Bearer " + token));
    }

    private static SseClient xSseToken(TestNode node, String device, String token) {
        return SseClient.open(node, "/events?device=" + device, Map.of("X-SSE-TOKEN", token));
    }

    private static SseClient query(TestNode node, String device, String token) {
        return SseClient.open(node, "/events?device=" + device + "&token=" + token, Map.of());
    }

    private static void assertRefused(SseClient opened) {
        try (SseClient client = opened) {
            assertThat(client.status()).as("status; body %s", client.body()).isEqualTo(401);
            assertThat(client.header("content-type")).startsWith("application/json");
            JsonNode envelope = JSON.readTree(client.body());
            assertThat(envelope.path("code").asInt()).as("envelope %s", envelope).isEqualTo(401);
            assertThat(envelope.path("msg").asText()).containsIgnoringCase("token");
            assertThat(envelope.path("result").asText()).isEmpty();
        } catch (java.io.IOException e) {
            throw new AssertionError("refusal body is not JSON: " + opened.body(), e);
        }
    }

    private static void assertAccepted(SseClient opened) {
        try (SseClient client = opened) {
            assertConnected(client);
        }
    }

    private static void assertConnected(SseClient client) {
        assertThat(client.status()).as("status; body %s", client.body()).isEqualTo(200);
        Event first = client.next();
        assertThat(first).isNotNull();
        assertThat(first.event()).isEqualTo("sys_connected");
    }

    private static void assertOnlineAs(TestNode node, String device, String uid) {
        Api.Answer info = node.api().get("/info", Map.of("device", device));
        assertThat(info.status()).isEqualTo(200);
        assertThat(info.result().path("online").asBoolean()).as("info %s", info.json()).isTrue();
        assertThat(info.result().path("uid").asText()).isEqualTo(uid);
        assertThat(info.result().path("device_name").asText()).isEqualTo(device);
    }

    private static void assertDelivered(TestNode node, SseClient client, String uid) {
        String data = "for " + uid;
        assertThat(node.api().send(Map.of("uid", uid, "data", data))).isEqualTo(1);
        Event event = client.next();
        assertThat(event).isNotNull();
        assertThat(event.data()).isEqualTo(data);
    }
}
