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

    /** A name the parser reads after a leading '?' or '=' ({@code =token=...} is a token to it) is a name here too. */
    @Test
    void aNameAfterLeadingEqualsSignsIsRedactedAsTheParserReadsIt() {
        for (String uri : new String[] {"/events?device=d&=token=eyJ.a.b", "/events?==token=eyJ.a.b&device=d",
                "/events?=%74oken=eyJ.a.b", "/events??token=eyJ.a.b", "/events??=token=eyJ.a.b"}) {
            assertThat(ParamsParser.query(uri).get("token")).as(uri).containsExactly("eyJ.a.b");
            assertThat(RequestLogHandler.redacted(uri)).as(uri).doesNotContain("eyJ.a.b").contains("=<redacted>");
        }
    }
}
