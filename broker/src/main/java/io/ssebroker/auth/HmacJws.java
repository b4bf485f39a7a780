package io.ssebroker.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HS256/384/512 signing and verification with a secret of any length. Nimbus's own MAC classes refuse secrets
 * shorter than the hash, but go-sse-broker deployments use such secrets and their tokens must keep working;
 * the broker warns about a short secret at start instead.
 */
final class HmacJws implements JWSSigner, JWSVerifier {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);

    private final byte[] secret;
    private final JCAContext context = new JCAContext();
    private final ThreadLocal<ThreadMacs> macs = ThreadLocal.withInitial(ThreadMacs::new);

    HmacJws(byte[] secret) {
        this.secret = secret.clone();
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        return Base64URL.encode(mac(header.getAlgorithm(), signingInput));
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
        return MessageDigest.isEqual(mac(header.getAlgorithm(), signingInput), signature.decode());
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return ALGORITHMS;
    }

    @Override
    public JCAContext getJCAContext() {
        return context;
    }

    private byte[] mac(JWSAlgorithm algorithm, byte[] input) throws JOSEException {
        if (!ALGORITHMS.contains(algorithm)) {
            throw new JOSEException("not an HMAC algorithm: " + algorithm);
        }
        try {
            return macs.get().forAlgorithm(algorithm).doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new JOSEException("HMAC failed: " + e.getMessage(), e);
        }
    }

    /**
     * One keyed Mac per algorithm and thread: a Mac is not thread-safe, and looking one up and keying it costs more
     * than the MAC of a token. {@code doFinal} leaves it ready for the next token.
     */
    private final class ThreadMacs {
        private final Mac[] byAlgorithm = new Mac[3];

        Mac forAlgorithm(JWSAlgorithm algorithm) throws GeneralSecurityException {
            int index = algorithm.equals(JWSAlgorithm.HS256) ? 0 : algorithm.equals(JWSAlgorithm.HS384) ? 1 : 2;
            Mac mac = byAlgorithm[index];
            if (mac == null) {
                String name = "HmacSHA" + algorithm.getName().substring(2);
                mac = Mac.getInstance(name);
                mac.init(new SecretKeySpec(secret, name));
                byAlgorithm[index] = mac;
            }
            return mac;
        }
    }
}
