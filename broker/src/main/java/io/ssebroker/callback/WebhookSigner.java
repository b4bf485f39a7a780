package io.ssebroker.callback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a webhook body as {@code sha256=<hex HMAC-SHA256 of the exact bytes>}, the form GitHub made common, so
 * that the receiver can check the body came from this broker unchanged. Used on the dispatcher's thread only: its
 * one {@link Mac} is set up once, not looked up for every body.
 */
final class WebhookSigner {
    static final String HEADER = "X-SSE-Signature";
    private static final String ALGORITHM = "HmacSHA256";

    private final Mac mac;

    WebhookSigner(String secret) {
        try {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    String sign(byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }
}
