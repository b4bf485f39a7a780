package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Headers as an endpoint reads them: the bytes of the value as UTF-8, strictly. */
class ApiRequestTest {

    /** A request whose headers are these, as an HTTP library hands them over: one character per byte. */
    private static ApiRequest withHeaders(Map<String, byte[]> headers) {
        return new ApiRequest(new Params(Map.of()), name -> headers.containsKey(name)
                ? new String(headers.get(name), StandardCharsets.ISO_8859_1) : null, null);
    }

    @Test
    void aHeaderIsReadAsUtf8() {
        ApiRequest request = withHeaders(Map.of("X-SSE-DEVICE", "café-设备".getBytes(StandardCharsets.UTF_8),
                "Last-Event-ID", "plain".getBytes(StandardCharsets.US_ASCII)));
        assertThat(request.header("X-SSE-DEVICE")).isEqualTo("café-设备");
        assertThat(request.header("Last-Event-ID")).isEqualTo("plain");
        assertThat(request.header("Idempotency-Key")).isNull();
    }

    @Test
    void aHeaderThatIsNotUtf8IsRefusedWithItsName() {
        ApiRequest request = withHeaders(Map.of("X-SSE-DEVICE", new byte[] {'d', (byte) 0xE9}));
        assertThatThrownBy(() -> request.header("X-SSE-DEVICE")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(400)).hasMessage("X-SSE-DEVICE: not UTF-8 text");
    }
}
