package io.ssebroker.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.ssebroker.config.RedactedUrl;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Loads verification keys for asymmetric tokens from PEM text or a file, or from a JWKS URL. */
final class PublicKeys {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");
    private static final int JWKS_TIMEOUT_MILLIS = 10_000;
    private static final int JWKS_MAX_BYTES = 1 << 20;

    private PublicKeys() {
    }

    /** Every {@code PUBLIC KEY} block of the PEM text, or of the file it names. */
    static List<PublicKey> fromPem(String textOrPath) {
        String text = textOrPath;
        if (!textOrPath.contains("-----BEGIN")) {
            try {
                text = Files.readString(Path.of(textOrPath.trim()));
            } catch (IOException e) {
                throw new IllegalArgumentException("jwt.public_key: cannot read " + textOrPath + ": " + e.getMessage(), e);
            }
        }
        List<PublicKey> keys = new ArrayList<>();
        Matcher matcher = PEM.matcher(text);
        while (matcher.find()) {
            byte[] der = Base64.getMimeDecoder().decode(matcher.group(1));
            keys.add(decode(der));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("jwt.public_key: no '-----BEGIN PUBLIC KEY-----' block found");
        }
        return keys;
    }

    /**
     * The keys at a JWKS address. Bounded like any call to another service: a host that accepts the connection and
     * never answers must not hold the start, or the refresh thread, for ever.
     */
    static List<JWK> fromJwks(String url) {
        try {
            return JWKSet.load(new URL(url), JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS, JWKS_MAX_BYTES).getKeys();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("jwt.jwks_url: not a URL: " + e.getMessage(), e);
        } catch (ParseException e) {
            throw new IllegalArgumentException("jwt.jwks_url: not a JWK set at " + RedactedUrl.of(url) + ": "
                    + redacted(e.getMessage(), url), e);
        } catch (IOException e) {
            throw new JwksUnreachableException("jwt.jwks_url: cannot load " + RedactedUrl.of(url) + ": "
                    + redacted(e.getMessage(), url), e);
        }
    }

    /** The JDK names the whole URL in some of its messages (an HTTP error status), credentials included. */
    private static String redacted(String message, String url) {
        return message == null ? "" : message.replace(url, RedactedUrl.of(url));
    }

    private static PublicKey decode(byte[] der) {
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (Exception e) {
                // try the next key type
            }
        }
        throw new IllegalArgumentException("jwt.public_key: not an RSA, EC or Ed25519 public key");
    }
}
