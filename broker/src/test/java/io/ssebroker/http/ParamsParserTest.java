package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** JSON bodies: what each kind of value gives as a parameter, and what is refused. */
class ParamsParserTest {

    private static Params parse(String query, String body) {
        return parse(query, "application/json; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static Params parse(String query, String contentType, byte[] body) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/send",
                Unpooled.wrappedBuffer(body));
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        try {
            return ParamsParser.parse(request, ParamsParser.query("/send?" + query));
        } finally {
            request.release();
        }
    }

    private static Params form(String query, String contentType, String body) {
        return parse(query, contentType, body.getBytes(StandardCharsets.ISO_8859_1));
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
    void theQueryStringIsEveryBatchItemsWhereTheItemGivesNoneOfItsOwn() {
        // POST /send?uid=alice with [{"data":"secret"}] is a message to alice, not a broadcast
        Params batch = parse("uid=alice&event=e", "[{\"data\":\"1\"},{\"data\":\"2\",\"uid\":\"bob\"}]");
        assertThat(batch.items()).extracting(item -> item.first("uid").orElseThrow()).containsExactly("alice", "bob");
        assertThat(batch.items()).extracting(item -> item.first("event").orElseThrow()).containsExactly("e", "e");
    }

    /**
     * A long query string and a long batch (within the request line's and the body's limits) cost their own sizes, not
     * their product: the items share the query string's parameters (copied into each, 20,000 items times 2,000 names
     * took gigabytes, and a bigger request ended the process).
     */
    @Test
    void aLongQueryStringIsNotCopiedIntoEveryItemOfALongBatch() {
        StringBuilder query = new StringBuilder("uid=alice");
        for (int i = 0; i < 2_000; i++) {
            query.append("&n").append(i);
        }
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 20_000; i++) {
            body.append(i == 0 ? "" : ",").append("{\"data\":\"").append(i).append("\"}");
        }
        body.append(']');
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        Params batch = parse(query.toString(), body.toString());
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(batch.items()).hasSize(20_000);
        assertThat(batch.items().get(19_999).first("uid")).contains("alice");
        assertThat(batch.items().get(19_999).first("data")).contains("19999");
        assertThat(batch.items().get(19_999).has("n1999")).isTrue();
        assertThat(allocated).as("bytes allocated to read it").isLessThan(64L << 20);
    }

    @Test
    void aBatchItemWithMalformedFieldsCarriesItsErrorAndTheOthersAreRead() {
        Params batch = parse("", "[{\"data\":\"a\"},{\"data\":{\"x\":1}}]");
        assertThat(batch.items().get(0).first("data")).contains("a");
        batch.items().get(0).requireReadable();
        assertThatThrownBy(() -> batch.items().get(1).requireReadable()).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.getMessage()).startsWith("data: must be a string"));
    }

    @Test
    void aRepeatedNameOrAnythingAfterTheObjectIsMalformed() {
        assertThatThrownBy(() -> parse("", "{\"uid\":\"alice\",\"uid\":\"bob\",\"data\":\"x\"}"))
                .hasMessageStartingWith("body: invalid JSON").hasMessageContaining("uid");
        assertThatThrownBy(() -> parse("", "{\"data\":\"a\"}{\"data\":\"b\"}")).hasMessageStartingWith("body: invalid JSON");
        assertThatThrownBy(() -> parse("", "{\"data\":\"a\"} garbage")).hasMessageStartingWith("body: invalid JSON");
        assertThat(parse("", "{\"data\":\"a\"} \n").first("data")).contains("a");
    }

    @Test
    void aFormKeepsHashesAndSemicolonsInValuesAndIsReadInItsCharset() {
        // curl -d 'data=Ticket #42 closed; see notes' -d uid=alice sends them raw
        Params params = form("", "application/x-www-form-urlencoded", "data=Ticket #42 closed; see notes&uid=alice");
        assertThat(params.first("data")).contains("Ticket #42 closed; see notes");
        assertThat(params.first("uid")).contains("alice");
        assertThat(form("", "application/x-www-form-urlencoded; charset=ISO-8859-1", "uid=Jos%E9&data=x").first("uid"))
                .contains("José");
        assertThatThrownBy(() -> form("", "application/x-www-form-urlencoded", "uid=Jos%E9&data=x"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("not UTF-8");
        assertThatThrownBy(() -> form("", "application/x-www-form-urlencoded; charset=no-such-charset", "data=x"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(415));
    }

    @Test
    void aQueryStringIsReadAsAForm() {
        assertThat(ParamsParser.query("/send?uid=a;b&data=x%3By#fragment")).containsExactly(
                Map.entry("uid", List.of("a;b")), Map.entry("data", List.of("x;y")));
        assertThat(ParamsParser.query("/send")).isEmpty();
        assertThatThrownBy(() -> ParamsParser.query("/send?uid=%FF")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMultipartBodyIsReadWhateverTheCaseOfItsTypeAndOnlyWhole() {
        String body = "--XyZ\r\nContent-Disposition: form-data; name=\"uid\"\r\n\r\nalice\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nhello\r\n--XyZ--\r\n";
        Params params = form("", "Multipart/Form-Data; Boundary=\"XyZ\"", body);
        assertThat(params.first("uid")).contains("alice");
        assertThat(params.first("data")).contains("hello");
        // cut before the closing delimiter, or written with another boundary: the targets might be what is missing
        String cut = body.substring(0, body.indexOf("--XyZ--"));
        for (String contentType : List.of("multipart/form-data; boundary=XyZ", "multipart/form-data; boundary=Other")) {
            assertThatThrownBy(() -> form("", contentType, contentType.endsWith("XyZ") ? cut : body))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                    .hasMessageContaining("closing boundary");
        }
        assertThatThrownBy(() -> form("", "multipart/form-data", "uid=a&data=x"))
                .hasMessage("Content-Type: multipart/form-data needs a boundary parameter");
    }

    @Test
    void aMultipartBodyIsReadStrictlyInItsCharset() {
        String latin = "--b\r\nContent-Disposition: form-data; name=\"uid\"\r\n\r\nJos\u00e9\r\n--b--\r\n";
        assertThat(form("", "multipart/form-data; boundary=b; charset=\"ISO-8859-1\"", latin).first("uid")).contains("José");
        assertThatThrownBy(() -> form("", "multipart/form-data; boundary=b", latin))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessage("uid: not UTF-8 text");
        assertThatThrownBy(() -> form("", "application/x-www-form-urlencoded; charset=UTF-16", "uid=a"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(415))
                .hasMessageContaining("not ASCII-compatible");
    }

    @Test
    void aFragmentIsNoQuery() {
        assertThat(ParamsParser.query("/send#x?uid=a")).isEmpty();
    }

    @Test
    void aMultipartBodyTakesAsManyFieldsAsAForm() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            body.append("--b\r\nContent-Disposition: form-data; name=\"uid\"\r\n\r\nu").append(i).append("\r\n");
        }
        body.append("--b\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n").append("x".repeat(60_000))
                .append("\r\n--b--\r\n");
        Params params = form("", "multipart/form-data; boundary=b", body.toString());
        assertThat(params.all("uid")).hasSize(300);
        assertThat(params.first("data").orElseThrow()).hasSize(60_000);
    }

    /** A target past the field limit is refused with the body, never dropped (the send would go to everyone). */
    @Test
    void aFormOfMoreFieldsThanTheLimitIsRefused() {
        String fields = "data=x&" + "a&".repeat(ParamsParser.MAX_FIELDS) + "uid=alice";
        assertThatThrownBy(() -> form("", "application/x-www-form-urlencoded", fields))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("more than 100000 fields");
        assertThatThrownBy(() -> ParamsParser.query("/send?" + fields)).hasMessageContaining("more than 100000 fields");
    }

    @Test
    void otherValuesAreRefusedWithTheFieldsName() {
        for (String body : List.of("{\"data\":{}}", "{\"data\":true}", "{\"uid\":[[\"a\"]]}", "{\"uid\":[null]}",
                "{\"data\":\"x\",\"uid\":null}")) {
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
