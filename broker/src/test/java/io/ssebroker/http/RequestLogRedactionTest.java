package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link RequestLogHandler#redacted}: credentials never reach a log line, whichever separator the query uses. */
class RequestLogRedactionTest {

    @Test
    void credentialValuesAreReplacedWhereverTheQueryDecoderWouldFindThem() {
        assertThat(RequestLogHandler.redacted("/events?device=d&token=eyJ.a.b")).isEqualTo("/events?device=d&token=<redacted>");
        assertThat(RequestLogHandler.redacted("/events?device=d;token=eyJ.a.b"))
                .as("the decoder splits at semicolons too").isEqualTo("/events?device=d;token=<redacted>");
        assertThat(RequestLogHandler.redacted("/events?%74oken=x;api_key=y&a=1;"))
                .isEqualTo("/events?%74oken=<redacted>;api_key=<redacted>&a=1;");
        assertThat(RequestLogHandler.redacted("/events?token&device=d")).isEqualTo("/events?token&device=d");
        assertThat(RequestLogHandler.redacted("/healthz")).isEqualTo("/healthz");
        assertThat(RequestLogHandler.redacted("/events?")).isEqualTo("/events?");
    }
}
