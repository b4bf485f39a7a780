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
import java.util.List;
import javax.net.ssl.SSLException;

/** The listener's TLS context, from {@code http.tls_cert} and {@code http.tls_key}, offering h2 by ALPN when enabled. */
final class ServerTls {
    private ServerTls() {
    }

    static SslContext context(BrokerConfig.Http http) {
        List<String> protocols = http.h2()
                ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                : List.of(ApplicationProtocolNames.HTTP_1_1);
        try {
            return SslContextBuilder.forServer(new File(http.tlsCert()), new File(http.tlsKey()))
                    .sslProvider(SslProvider.JDK)
                    // HTTP/2 forbids the older cipher suites (RFC 9113, appendix A); HTTP/1.1 clients get the same set.
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols))
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException("config error: http.tls_cert = \"" + http.tlsCert() + "\", http.tls_key = \""
                    + http.tlsKey() + "\": " + e.getMessage()
                    + " (expected PEM files: the certificate chain, and an unencrypted PKCS#8 private key)");
        }
    }
}
