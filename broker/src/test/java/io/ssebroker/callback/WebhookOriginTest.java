package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** Where a webhook URL's posts connect, and the Host header they name. */
class WebhookOriginTest {

    @Test
    void theOriginIsTheSchemeHostAndPortWithTheSchemesPortByDefault() {
        assertThat(WebhookOrigin.of(URI.create("https://hooks.example.com:8443/h?key=k")))
                .isEqualTo(new WebhookOrigin(true, "hooks.example.com", 8443));
        assertThat(WebhookOrigin.of(URI.create("http://[::1]/h"))).isEqualTo(new WebhookOrigin(false, "[::1]", 80));
        assertThat(WebhookOrigin.of(URI.create("http://[::1]/h")).address()).isEqualTo("::1");
    }

    /** A container's service name with an underscore, which java.net.URI does not take for a host. */
    @Test
    void aServiceNameWithAnUnderscoreIsTheHost() {
        WebhookOrigin named = WebhookOrigin.of(URI.create("http://hook:secret@hook_rx:8080/h?key=k"));
        assertThat(named).isEqualTo(new WebhookOrigin(false, "hook_rx", 8080));
        assertThat(named.hostHeader()).isEqualTo("hook_rx:8080");
        assertThat(WebhookOrigin.of(URI.create("https://hook_rx/h"))).isEqualTo(new WebhookOrigin(true, "hook_rx", 443));
    }
}
