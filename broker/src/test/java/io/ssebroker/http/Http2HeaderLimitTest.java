package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;
import org.junit.jupiter.api.Test;

/** {@code limits.max_header_bytes} on an HTTP/2 stream's request, counted as HTTP/1.1 lines. */
class Http2HeaderLimitTest {
    private static final int MAX = 100;

    private static HttpRequest passed(HttpRequest request) {
        EmbeddedChannel channel = new EmbeddedChannel(new Http2HeaderLimit(MAX));
        channel.writeInbound(request);
        HttpRequest out = channel.readInbound();
        assertThat(channel.finish()).isFalse();
        return out;
    }

    private static HttpRequest request(String uri, String padding) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        request.headers().set(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(), "3")
                .set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "https");
        if (padding != null) {
            request.headers().set("x-pad", padding);
        }
        return request;
    }

    @Test
    void headersUpToTheLimitPassUntouched() {
        // "x-pad: " + value + CRLF is exactly the limit; the codec's own headers do not count
        HttpRequest request = passed(request("/healthz", "p".repeat(MAX - "x-pad: \r\n".length())));
        assertThat(request.decoderResult().isSuccess()).isTrue();
    }

    @Test
    void longerHeadersOrPathAreMarkedAsTheHttp11DecoderMarksThem() {
        HttpRequest headers = passed(request("/healthz", "p".repeat(MAX)));
        assertThat(headers.decoderResult().cause()).isInstanceOf(TooLongFrameException.class)
                .hasMessageContaining("headers");
        HttpRequest path = passed(request("/healthz?pad=" + "p".repeat(MAX), null));
        assertThat(path.decoderResult().cause()).isInstanceOf(TooLongFrameException.class).hasMessageContaining("path");
    }

    @Test
    void tooManyHeaderFieldsAreMarkedThoughTheyAreShort() {
        HttpRequest many = request("/healthz", null);
        for (int i = 0; i <= Http2HeaderLimit.MAX_FIELDS; i++) {
            many.headers().add("a", "");
        }
        EmbeddedChannel channel = new EmbeddedChannel(new Http2HeaderLimit(64 * 1024));
        channel.writeInbound(many);
        HttpRequest out = channel.readInbound();
        assertThat(out.decoderResult().cause()).isInstanceOf(TooLongFrameException.class).hasMessageContaining("fields");
        channel.finish();
    }

    @Test
    void nettysOwnBoundLiesWellAboveTheLimit() {
        assertThat(Http2HeaderLimit.advertised(16 * 1024)).isEqualTo(64 * 1024);
        assertThat(Http2HeaderLimit.advertised(1 << 20)).isEqualTo(4L << 20);
    }
}
