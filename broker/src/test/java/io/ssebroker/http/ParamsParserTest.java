package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** JSON bodies: what each kind of value gives as a parameter, and what is refused. */
class ParamsParserTest {

    private static Params parse(String query, String body) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/send",
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        try {
            return ParamsParser.parse(request, new QueryStringDecoder("/send?" + query));
        } finally {
            request.release();
        }
    }

    @Test
    void stringsNumbersAndArraysBecomeTexts() {
        Params params = parse("", "{\"uid\":[\"a\",\"b\"],\"data\":\"x\",\"ttl\":60,\"big\":123456789012345678901234567890,"
                + "\"half\":0.5,\"exp\":1e3,\"none\":null}");
        assertThat(params.first("uid")).contains("a");
        assertThat(params.first("data")).contains("x");
        assertThat(params.first("ttl")).contains("60");
        assertThat(params.first("big")).contains("123456789012345678901234567890");
        assertThat(params.first("half")).contains("0.5");
        assertThat(params.first("exp")).contains("1000.0");
        assertThat(params.first("none")).isEqualTo(Optional.empty());
    }

    @Test
    void theBodyOverridesTheQueryAndAnArrayIsABatch() {
        assertThat(parse("data=q&event=e", "{\"data\":\"b\"}").first("data")).contains("b");
        assertThat(parse("data=q&event=e", "{\"data\":\"b\"}").first("event")).contains("e");
        Params batch = parse("", "[{\"data\":\"1\"},{\"data\":\"2\"}]");
        assertThat(batch.items()).extracting(item -> item.first("data").orElseThrow()).containsExactly("1", "2");
    }

    @Test
    void otherValuesAreRefusedWithTheFieldsName() {
        for (String body : List.of("{\"data\":{}}", "{\"data\":true}", "{\"uid\":[[\"a\"]]}", "{\"uid\":[null]}")) {
            assertThatThrownBy(() -> parse("", body)).as(body).isInstanceOfSatisfying(ApiException.class, e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.getMessage()).startsWith(body.contains("uid") ? "uid:" : "data:");
            });
        }
        assertThatThrownBy(() -> parse("", "{\"uid\":[\"a,b\"]}")).hasMessageContaining("commas");
        assertThatThrownBy(() -> parse("", "{\"ttl\":1e400}")).hasMessage("ttl: the number is out of range");
    }

    @Test
    void malformedOrScalarBodiesAreRefused() {
        assertThatThrownBy(() -> parse("", "{\"data\":")).hasMessageStartingWith("body: invalid JSON");
        assertThatThrownBy(() -> parse("", "42")).hasMessageStartingWith("body: must be a JSON object");
        assertThatThrownBy(() -> parse("", " ")).hasMessageStartingWith("body: must be a JSON object");
        assertThatThrownBy(() -> parse("", "[1]")).hasMessage("body: item 0 of the array must be a JSON object");
    }
}
