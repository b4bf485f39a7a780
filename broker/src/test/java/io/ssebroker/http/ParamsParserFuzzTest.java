package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The parameter parser on any query and body, as form, JSON, multipart or an unknown type: it returns parameters or
 * refuses with a client error (400, 413, 415); anything else would reach the client as a 500. Input layout: the first
 * byte picks the content type, the bytes up to the first NUL are the query, the rest is the body.
 */
class ParamsParserFuzzTest {
    private static final String[] CONTENT_TYPES = {"application/x-www-form-urlencoded", "application/json",
            "multipart/form-data; boundary=b", "application/json; charset=utf-8", "text/plain", "",
            "Multipart/Form-Data; boundary=\"b\"", "application/x-www-form-urlencoded; charset=iso-8859-1",
            "multipart/form-data", "application/x-www-form-urlencoded; charset=x-unknown"};

    @FuzzTest(maxDuration = "5m")
    void parsesOrRefusesWithAClientError(byte[] input) {
        if (input.length == 0) {
            return;
        }
        String contentType = CONTENT_TYPES[Math.floorMod(input[0], CONTENT_TYPES.length)];
        int nul = indexOf(input, (byte) 0, 1);
        String query = new String(input, 1, nul - 1, StandardCharsets.ISO_8859_1);
        byte[] body = nul < input.length ? Arrays.copyOfRange(input, nul + 1, input.length) : new byte[0];
        Map<String, List<String>> decoded;
        try {
            decoded = ParamsParser.query("/send?" + query);
        } catch (IllegalArgumentException e) {
            return; // the router answers 400 "malformed URL"
        }
        // the request line itself was checked by the codec
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/send",
                Unpooled.wrappedBuffer(body));
        if (!contentType.isEmpty()) {
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        try {
            Params params = ParamsParser.parse(request, decoded);
            for (String name : new String[] {"uid", "device", "data", "event", "ttl"}) {
                params.first(name);
            }
            for (Params item : params.items()) {
                item.requireReadable();
            }
        } catch (ApiException e) {
            assertThat(e.status()).isIn(400, 413, 415);
            assertThat(e.getMessage()).isNotBlank();
        } finally {
            request.release();
        }
    }

    private static int indexOf(byte[] bytes, byte value, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return bytes.length;
    }
}
