package io.ssebroker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ssebroker.cli.BrokerNode;
import io.ssebroker.testing.TestCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.tls_cert, http.tls_key and http.h2: what starts HTTPS, and the errors an operator sees. */
class TlsConfigTest {

    @Test
    void cleartextWithHttp2ByDefault() {
        BrokerConfig.Http http = load(Map.of()).http();
        assertThat(http.tls()).isFalse();
        assertThat(http.h2()).isTrue();
    }

    @Test
    void bothFilesTurnTlsOn() {
        try (TestCertificate certificate = TestCertificate.forLoopback()) {
            BrokerConfig.Http http = load(Map.of("http.tls_cert", certificate.certificateFile().toString(),
                    "http.tls_key", certificate.keyFile().toString(), "http.h2", "false")).http();
            assertThat(http.tls()).isTrue();
            assertThat(http.h2()).isFalse();
        }
    }

    @Test
    void oneFileWithoutTheOtherIsRefused() {
        assertThatThrownBy(() -> load(Map.of("http.tls_cert", "/etc/ssl/cert.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.tls_key").hasMessageContaining("required when http.tls_cert is set");
        assertThatThrownBy(() -> load(Map.of("http.tls_key", "/etc/ssl/key.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.tls_cert").hasMessageContaining("required when http.tls_key is set");
    }

    @Test
    void aMissingFileIsRefusedWithItsKey(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not used");
        assertThatThrownBy(() -> load(Map.of("http.tls_cert", cert.toString(),
                "http.tls_key", dir.resolve("missing.pem").toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.tls_key").hasMessageContaining("missing.pem").hasMessageContaining("no readable file");
    }

    @Test
    void filesThatAreNotPemStopTheNodeAtStart(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not a certificate");
        Path key = Files.writeString(dir.resolve("key.pem"), "not a key");
        BrokerNode node = new BrokerNode(load(Map.of("server.port", "0", "http.tls_cert", cert.toString(),
                "http.tls_key", key.toString())));
        try {
            assertThatThrownBy(node::start)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("http.tls_cert").hasMessageContaining("PKCS#8");
        } finally {
            node.close();
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheNodeAtStart() {
        try (TestCertificate renewed = TestCertificate.forLoopback(); TestCertificate old = TestCertificate.forLoopback()) {
            BrokerNode node = new BrokerNode(load(Map.of("server.port", "0",
                    "http.tls_cert", renewed.certificateFile().toString(), "http.tls_key", old.keyFile().toString())));
            try {
                assertThatThrownBy(node::start)
                        .isInstanceOf(ConfigException.class)
                        .hasMessageContaining("http.tls_key").hasMessageContaining("is not the key of the certificate");
            } finally {
                node.close();
            }
        }
    }

    private static BrokerConfig load(Map<String, String> flags) {
        return new ConfigLoader(Map.of()).load(Optional.empty(), flags).config();
    }
}
