package io.ssebroker.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.config.BrokerConfig;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mints connect tokens (HMAC with {@code jwt.secret}) and verifies them: HS256/384/512 with the secret, RS/PS/ES/EdDSA
 * with the configured public keys. The key is chosen by the algorithm's family, never by the token, so a token
 * cannot make a public key serve as an HMAC secret; {@code alg: none} is not a signed JWT and is refused.
 */
public final class TokenService {
    private static final Logger log = LoggerFactory.getLogger(TokenService.class);
    /** Minted ids start with the issue time in milliseconds, so that a kick in the same second can tell before from after. */
    private static final Pattern MINTED_ID = Pattern.compile("([0-9a-z]{1,12})-[0-9a-z]+");
    /** Half the verified tokens remembered: about 400 bytes each as clients use them, 8 KiB at most (the longest token). */
    private static final int VERIFIED_TOKENS_PER_GENERATION = 16_384;
    /** Longer than any token this node mints or a JWKS issuer sends with sensible claims; the cache's bound per entry. */
    private static final int MAX_TOKEN_LENGTH = 8192;
    private static final byte[] ED25519_X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private final BrokerConfig.Jwt config;
    private final HmacJws hmac;
    private final JWSAlgorithm mintAlgorithm;
    private volatile List<PublicKey> publicKeys;
    /** How many times the public keys changed; read before and after a verification against them. */
    private volatile long keysChanges;
    /** Verified tokens by their text: a reconnect storm verifies no signature twice. */
    private final VerifiedTokenCache verified = new VerifiedTokenCache(VERIFIED_TOKENS_PER_GENERATION);

    public TokenService(BrokerConfig.Jwt config) {
        this(config, true);
    }

    private TokenService(BrokerConfig.Jwt config, boolean withPublicKeys) {
        this.config = config;
        this.hmac = new HmacJws(config.secret().getBytes(StandardCharsets.UTF_8));
        this.mintAlgorithm = JWSAlgorithm.parse(config.algorithm());
        this.publicKeys = withPublicKeys ? loadPublicKeys() : List.of();
    }

    /**
     * A service that mints tokens with the secret, for the command line: it loads no public keys (a JWKS address that
     * does not answer must not keep it from signing), so it verifies tokens signed with the secret only.
     */
    public static TokenService forMinting(BrokerConfig.Jwt config) {
        return new TokenService(config, false);
    }

    /**
     * Reloads the keys of {@code jwt.jwks_url} (and the PEM file); keeps the old ones when that fails. One call at a
     * time.
     */
    public void reloadPublicKeys() {
        List<PublicKey> reloaded = loadPublicKeys();
        if (!reloaded.equals(publicKeys)) {
            publicKeys = reloaded;
            keysChanges++; // reloads run one at a time, on the node's refresh schedule
            verified.clear(); // a key that was withdrawn vouches for nothing any more
        }
    }

    public boolean usesJwks() {
        return !config.jwksUrl().isBlank();
    }

    /** A token for this uid (and device when not null) valid for ttl seconds. */
    public String mint(String uid, String device, long ttlSeconds) {
        long now = System.currentTimeMillis();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(uid)
                .claim("uid", uid)
                .issueTime(new Date(now))
                .expirationTime(new Date(now + ttlSeconds * 1000))
                .jwtID(Long.toString(now, 36) + "-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36));
        if (device != null) {
            claims.claim("device_name", device);
        }
        if (!config.issuer().isEmpty()) {
            claims.issuer(config.issuer());
        }
        if (!config.audience().isEmpty()) {
            claims.audience(config.audience());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(mintAlgorithm).type(com.nimbusds.jose.JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(hmac);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign token", e);
        }
        return jwt.serialize();
    }

    /** Verifies the token, or finds it verified already (a client reconnecting with the token it had). */
    public VerifiedToken verify(String token) throws TokenException {
        checkCompactForm(token);
        long now = System.currentTimeMillis();
        VerifiedToken known = verified.get(token, now);
        if (known != null) {
            return known;
        }
        long keysChangesBefore = keysChanges;
        VerifiedToken checked = verifyAnew(token, now);
        verified.put(token, checked, checked.expiresAtMillis() + config.leewaySeconds() * 1000);
        if (keysChanges != keysChangesBefore) {
            // the keys changed while this token was checked, perhaps against a key withdrawn since, and the clear of
            // that change may have come before this token was remembered: forget what was remembered meanwhile
            verified.clear();
        }
        return checked;
    }

    /**
     * A token is three base64url parts joined by dots, nothing else, and not longer than {@value #MAX_TOKEN_LENGTH}
     * characters. The JOSE library's decoder skips characters outside the alphabet, so one valid token padded with
     * other characters would verify under any number of spellings, each verified anew and remembered apart, crowding
     * the clients' own tokens out of the cache.
     */
    private static void checkCompactForm(String token) throws TokenException {
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new TokenException("token is longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                dots++;
            } else if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                throw new TokenException("token is not a signed JWT (only base64url characters and two dots)");
            }
        }
        if (dots != 2) {
            throw new TokenException("token is not a signed JWT (three parts joined by dots)");
        }
        int start = 0;
        for (int part = 0; part < 3; part++) {
            int end = part < 2 ? token.indexOf('.', start) : token.length();
            if (!canonicalBase64Url(token, start, end)) {
                throw new TokenException("token is not a signed JWT (a part is not in canonical base64url)");
            }
            start = end + 1;
        }
    }

    /**
     * Whether the base64url text between {@code start} and {@code end} is the one encoding of its bytes: its last
     * character carries bits past the last byte (two when the length leaves three characters over, four when it
     * leaves two), which the decoder ignores, so that they must be zero, or a token would have four or sixteen
     * spellings, each verified and remembered apart. A length that leaves one character over encodes no byte.
     */
    private static boolean canonicalBase64Url(String text, int start, int end) {
        int over = (end - start) % 4;
        if (over == 0) {
            return true;
        }
        if (over == 1) {
            return false;
        }
        char last = text.charAt(end - 1);
        int value = last >= 'A' && last <= 'Z' ? last - 'A' : last >= 'a' && last <= 'z' ? last - 'a' + 26
                : last >= '0' && last <= '9' ? last - '0' + 52 : last == '-' ? 62 : 63;
        return (value & (over == 2 ? 0x0f : 0x03)) == 0;
    }

    private VerifiedToken verifyAnew(String token, long now) throws TokenException {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new TokenException("token is not a signed JWT");
        }
        if (jwt.getHeader().getCriticalParams() != null && !jwt.getHeader().getCriticalParams().isEmpty()) {
            // RFC 7515, 4.1.11: a token whose header needs extensions this node does not know is refused, whatever
            // its algorithm (Nimbus's RSA and EC verifiers refuse it, the HMAC and Ed25519 checks here would not)
            throw new TokenException("token header names critical parameters (crit) this node does not understand: "
                    + jwt.getHeader().getCriticalParams());
        }
        JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
        if (!verifies(jwt, algorithm)) {
            throw new TokenException("token signature is not valid for algorithm " + algorithm.getName());
        }
        long leeway = config.leewaySeconds() * 1000;
        Date expiry = claims.getExpirationTime();
        if (expiry == null) {
            throw new TokenException("token has no exp claim");
        }
        if (now > expiry.getTime() + leeway) {
            throw new TokenException("token expired");
        }
        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && now + leeway < notBefore.getTime()) {
            throw new TokenException("token is not valid yet (nbf)");
        }
        Date issued = claims.getIssueTime();
        if (issued != null && now + leeway < issued.getTime()) {
            throw new TokenException("token is issued in the future (iat)");
        }
        if (issued == null && config.maxLifetimeSeconds() > 0) {
            // Its lifetime could only be counted from now, which shrinks as it ages: once the kick that revoked it
            // has expired (after jwt.max_lifetime), such a token would pass the bound and connect again.
            throw new TokenException("token has no iat claim, which jwt.max_lifetime needs to bound its lifetime");
        }
        long lifetimeMillis;
        try {
            lifetimeMillis = Math.subtractExact(expiry.getTime(), issued != null ? issued.getTime() : now);
        } catch (ArithmeticException e) {
            throw new TokenException("token lifetime (exp - iat) is out of range");
        }
        checkLifetime(lifetimeMillis);
        checkIssuerAndAudience(claims);
        String uid = text(claims, "uid");
        if (uid == null || uid.isBlank()) {
            uid = claims.getSubject();
        }
        if (uid == null || uid.isBlank()) {
            throw new TokenException("token has no uid or sub claim");
        }
        String device = text(claims, "device_name");
        return new VerifiedToken(uid, device == null || device.isBlank() ? null : device,
                issuedAtMillis(claims), expiry.getTime());
    }

    /** {@code jwt.max_lifetime}: a token that lives longer is refused, however it was signed. */
    private void checkLifetime(long lifetimeMillis) throws TokenException {
        long max = config.maxLifetimeSeconds();
        if (max > 0 && lifetimeMillis > max * 1000 + config.leewaySeconds() * 1000) {
            throw new TokenException("token lifetime " + lifetimeMillis / 1000 + " s is longer than jwt.max_lifetime ("
                    + max + " s)");
        }
    }

    /** {@code jwt.issuer} and {@code jwt.audience}, when set, must be named by the token. */
    private void checkIssuerAndAudience(JWTClaimsSet claims) throws TokenException {
        if (!config.issuer().isEmpty() && !config.issuer().equals(claims.getIssuer())) {
            throw new TokenException("token issuer (iss) is not " + config.issuer());
        }
        if (!config.audience().isEmpty() && (claims.getAudience() == null || !claims.getAudience().contains(config.audience()))) {
            throw new TokenException("token audience (aud) does not name " + config.audience());
        }
    }

    private boolean verifies(SignedJWT jwt, JWSAlgorithm algorithm) {
        for (JWSVerifier verifier : verifiersFor(algorithm)) {
            try {
                if (jwt.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException | IllegalStateException e) {
                // a key of the right family that cannot check this token: try the next one
            }
        }
        if (JWSAlgorithm.Family.ED.contains(algorithm) || JWSAlgorithm.EdDSA.equals(algorithm)) {
            return verifiesEd25519(jwt);
        }
        return false;
    }

    private List<JWSVerifier> verifiersFor(JWSAlgorithm algorithm) {
        List<JWSVerifier> verifiers = new ArrayList<>();
        try {
            if (JWSAlgorithm.Family.HMAC_SHA.contains(algorithm)) {
                verifiers.add(hmac);
            } else if (JWSAlgorithm.Family.RSA.contains(algorithm)) {
                for (PublicKey key : publicKeys) {
                    if (key instanceof RSAPublicKey rsa) {
                        verifiers.add(new RSASSAVerifier(rsa));
                    }
                }
            } else if (JWSAlgorithm.Family.EC.contains(algorithm)) {
                for (PublicKey key : publicKeys) {
                    if (key instanceof ECPublicKey ec) {
                        verifiers.add(new ECDSAVerifier(ec));
                    }
                }
            }
        } catch (JOSEException e) {
            // a key that does not fit the algorithm (say, another curve) verifies nothing
        }
        return verifiers;
    }

    /** Ed25519 through the JDK, so that no extra crypto library is needed. */
    private boolean verifiesEd25519(SignedJWT jwt) {
        for (PublicKey key : publicKeys) {
            if (!"EdDSA".equals(key.getAlgorithm()) && !"Ed25519".equals(key.getAlgorithm())) {
                continue;
            }
            try {
                Signature signature = Signature.getInstance("Ed25519");
                signature.initVerify(key);
                signature.update(jwt.getSigningInput());
                if (signature.verify(jwt.getSignature().decode())) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // not this key
            }
        }
        return false;
    }

    private List<PublicKey> loadPublicKeys() {
        List<PublicKey> keys = new ArrayList<>();
        if (!config.publicKey().isBlank()) {
            keys.addAll(PublicKeys.fromPem(config.publicKey()));
        }
        if (!config.jwksUrl().isBlank()) {
            keys.addAll(signatureKeys(PublicKeys.fromJwks(config.jwksUrl())));
        }
        return List.copyOf(keys);
    }

    /**
     * The keys of a JWK set that verify signatures. A set also holds keys for other uses (encryption, or a curve for
     * key agreement), and a symmetric key published in it would be known to everyone: those are passed over, each
     * key on its own, so that a key of another kind added next to the signing keys neither fails the load (which
     * would keep a withdrawn key in use) nor verifies tokens.
     */
    private static List<PublicKey> signatureKeys(List<JWK> jwks) {
        List<PublicKey> keys = new ArrayList<>();
        for (JWK jwk : jwks) {
            if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse()) || jwk instanceof OctetSequenceKey) {
                continue;
            }
            try {
                keys.add(toPublicKey(jwk));
            } catch (IllegalArgumentException e) {
                log.warn("{}: passed over", e.getMessage());
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("jwt.jwks_url: no key for signatures of a type this node verifies (RSA, EC, Ed25519)");
        }
        return keys;
    }

    private static PublicKey toPublicKey(JWK jwk) {
        try {
            if (jwk instanceof RSAKey rsa) {
                return rsa.toRSAPublicKey();
            }
            if (jwk instanceof ECKey ec) {
                return ec.toECPublicKey();
            }
            if (jwk instanceof OctetKeyPair okp && "Ed25519".equals(okp.getCurve().getName())) {
                byte[] x = okp.getX().decode();
                byte[] der = new byte[ED25519_X509_PREFIX.length + x.length];
                System.arraycopy(ED25519_X509_PREFIX, 0, der, 0, ED25519_X509_PREFIX.length);
                System.arraycopy(x, 0, der, ED25519_X509_PREFIX.length, x.length);
                return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
            }
        } catch (JOSEException | GeneralSecurityException e) {
            throw new IllegalArgumentException("jwt.jwks_url: key " + jwk.getKeyID() + " is not usable: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("jwt.jwks_url: key " + jwk.getKeyID() + " has unsupported type " + jwk.getKeyType());
    }

    private static long issuedAtMillis(JWTClaimsSet claims) {
        Date issued = claims.getIssueTime();
        if (issued == null) {
            return 0; // unknown: treated as issued before any kick
        }
        long seconds = issued.getTime() / 1000;
        Matcher minted = claims.getJWTID() == null ? null : MINTED_ID.matcher(claims.getJWTID());
        if (minted != null && minted.matches()) {
            long millis = Long.parseLong(minted.group(1), 36);
            if (millis / 1000 == seconds) {
                return millis;
            }
        }
        return seconds * 1000;
    }

    /**
     * A claim that names something (a user, a device) as text: a string, or a whole number as go-sse-broker's backends
     * mint them ({@code "uid": 1965}); null when the token has no such claim. A claim of another kind (an array, an
     * object, a boolean) or a whole number that a long cannot hold is refused rather than read as absent: a device
     * claim read as absent would leave the token bound to no device.
     */
    private static String text(JWTClaimsSet claims, String name) throws TokenException {
        Object claim = claims.getClaim(name);
        if (claim == null || claim instanceof String) {
            return (String) claim;
        }
        if (claim instanceof Long || claim instanceof Integer || claim instanceof Short || claim instanceof Byte
                || claim instanceof BigInteger) {
            return claim.toString();
        }
        if (claim instanceof Number number) {
            double value = number.doubleValue();
            if (value != Math.rint(value)) {
                return number.toString();
            }
            // A whole number that a long cannot hold came as a double; read as a long it would become
            // Long.MAX_VALUE, one uid for every such token.
            if (value >= -0x1p63 && value < 0x1p63) {
                return Long.toString(number.longValue());
            }
            throw new TokenException("token claim " + name + " is a number too large for an identifier");
        }
        throw new TokenException("token claim " + name + " is neither a string nor a number");
    }
}
