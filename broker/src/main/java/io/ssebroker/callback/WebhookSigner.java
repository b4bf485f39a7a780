package io.ssebroker.callback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a webhook body as {@code sha256=<hex HMAC-SHA256 of the exact bytes>}, the form GitHub made common, so
 * that the receiver can check the body came from this broker unchanged.
 */
final class WebhookSigner {
    static final String HEADER = "X-SSE-Signature";
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;

    WebhookSigner(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    }

    String sign(byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
