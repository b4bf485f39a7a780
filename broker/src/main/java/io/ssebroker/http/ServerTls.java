package io.ssebroker.http;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/** The listener's TLS context, from {@code http.tls_cert} and {@code http.tls_key}, offering h2 by ALPN when enabled. */
final class ServerTls {
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private ServerTls() {
    }

    static SslContext context(BrokerConfig.Http http) {
        List<String> protocols = http.h2()
                ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                : List.of(ApplicationProtocolNames.HTTP_1_1);
        try {
            SslContext context = SslContextBuilder.forServer(new File(http.tlsCert()), new File(http.tlsKey()))
                    .sslProvider(SslProvider.JDK)
                    // HTTP/2 forbids the older cipher suites (RFC 9113, appendix A); HTTP/1.1 clients get the same set.
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols))
                    .build();
            checkPair(http);
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException("config error: http.tls_cert = \"" + http.tlsCert() + "\", http.tls_key = \""
                    + http.tlsKey() + "\": " + e.getMessage()
                    + " (expected PEM files: the certificate chain, and an unencrypted PKCS#8 private key)");
        }
    }

    /**
     * The key must be the certificate's: a renewed certificate started with the old key would let the node start
     * and every handshake fail. Checked by signing with the key and verifying with the first certificate's public key.
     */
    private static void checkPair(BrokerConfig.Http http) {
        try {
            Certificate leaf;
            try (InputStream in = Files.newInputStream(Path.of(http.tlsCert()))) {
                leaf = CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            PublicKey publicKey = leaf.getPublicKey();
            Matcher pem = PRIVATE_KEY.matcher(Files.readString(Path.of(http.tlsKey()), StandardCharsets.US_ASCII));
            if (!pem.find()) {
                return; // a form Netty read and this does not: Netty's check is the one that counts
            }
            PrivateKey privateKey = KeyFactory.getInstance(publicKey.getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem.group(1))));
            String algorithm = switch (publicKey.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                default -> publicKey.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign without a separate digest
            };
            byte[] probe = "sse-broker key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw mismatch(http);
            }
        } catch (InvalidKeySpecException | InvalidKeyException e) {
            throw mismatch(http); // a key of another algorithm than the certificate's
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException("config error: http.tls_cert = \"" + http.tlsCert() + "\", http.tls_key = \""
                    + http.tlsKey() + "\": cannot check that the key is the certificate's: " + e.getMessage());
        }
    }

    private static ConfigException mismatch(BrokerConfig.Http http) {
        return new ConfigException("config error: http.tls_key = \"" + http.tlsKey() + "\" is not the key of the"
                + " certificate in http.tls_cert = \"" + http.tlsCert() + "\" (renewed one without the other?)");
    }
}
