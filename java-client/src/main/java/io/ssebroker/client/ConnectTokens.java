package io.ssebroker.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints connect tokens for {@code /events} locally with the broker's {@code jwt.secret} (HS256), without a call:
 * what {@code /token} does. The claims are the broker's: {@code uid} and {@code sub}, {@code device_name} for a
 * device-bound token, {@code iat}, {@code exp}, a {@code jti} that starts with the mint time in milliseconds (so a
 * kick in the same second tells tokens before it from tokens after it), and {@code iss}/{@code aud} when the
 * broker checks them ({@code jwt.issuer}, {@code jwt.audience}). Thread-safe.
 */
public final class ConnectTokens {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = BASE64URL.encodeToString(
            "{\"typ\":\"JWT\",\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));

    private final SecretKeySpec key;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    /** Tokens the broker with this {@code jwt.secret} (32 bytes or more) accepts. */
    public ConnectTokens(String secret) {
        this(secret, null, null, Clock.systemUTC());
    }

    private ConnectTokens(String secret, String issuer, String audience, Clock clock) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 8) {
            throw new IllegalArgumentException("the secret is shorter than the broker accepts (8 bytes; 32 or more recommended)");
        }
        this.key = new SecretKeySpec(bytes, "HmacSHA256");
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    /** The same, with the {@code iss} the broker's {@code jwt.issuer} expects. */
    public ConnectTokens withIssuer(String iss) {
        return new ConnectTokens(new String(key.getEncoded(), StandardCharsets.UTF_8), iss, audience, clock);
    }

    /** The same, with the {@code aud} the broker's {@code jwt.audience} expects. */
    public ConnectTokens withAudience(String aud) {
        return new ConnectTokens(new String(key.getEncoded(), StandardCharsets.UTF_8), issuer, aud, clock);
    }

    /**
     * A token for {@code uid}, bound to {@code device} when it is not null, valid for {@code ttl} (keep it within
     * the broker's {@code jwt.max_lifetime} when that is set: a longer-lived token is refused).
     */
    public String mint(String uid, String device, Duration ttl) {
        if (uid == null || uid.isBlank()) {
            throw new IllegalArgumentException("uid is required");
        }
        if (device != null && device.isBlank()) {
            // the broker would take a blank device_name for no binding: a token for every device of the uid
            throw new IllegalArgumentException("device must not be blank (null mints a token bound to no device)");
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive");
        }
        long now = clock.millis();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", uid);
        claims.put("uid", uid);
        if (device != null) {
            claims.put("device_name", device);
        }
        if (issuer != null && !issuer.isBlank()) {
            claims.put("iss", issuer);
        }
        if (audience != null && !audience.isBlank()) {
            claims.put("aud", audience);
        }
        claims.put("iat", now / 1000);
        claims.put("exp", (now + ttl.toMillis()) / 1000);
        claims.put("jti", Long.toString(now, 36) + "-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36));
        try {
            String signingInput = HEADER + "." + BASE64URL.encodeToString(JSON.writeValueAsBytes(claims));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return signingInput + "." + BASE64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (JsonProcessingException | NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("cannot mint a token", e);
        }
    }
}
