package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The form decoder reads a body as the URL standard reads a form: Netty's query decoder's fields, values and refusals,
 * but with {@code &} the only separator ({@code ;} and {@code #} are characters of a value) and text read strictly.
 */
class UrlEncodedFormTest {

    @Test
    void readsFieldsInOrderWithRepeatsEscapesAndPlusAsSpace() {
        Map<String, List<String>> fields = decode("uid=u1&data=a%20b+c%26d&uid=u2;event=x&flag&=ignored&data2=%E2%82%AC");
        assertThat(fields).containsExactly(
                Map.entry("uid", List.of("u1", "u2;event=x")),
                Map.entry("data", List.of("a b c&d")),
                Map.entry("flag", List.of("")),
                Map.entry("ignored", List.of("")),
                Map.entry("data2", List.of("€")));
    }

    @Test
    void keepsRawLineBreaksAndUtf8InValues() {
        assertThat(decode("data=line one\nline two é")).containsExactly(Map.entry("data", List.of("line one\nline two é")));
    }

    /** A field past the limit is refused, never dropped: it could be a send's target. */
    @Test
    void refusesMoreFieldsThanTheLimit() {
        assertThat(UrlEncodedForm.decode(Unpooled.copiedBuffer("a=1&b=2&&", StandardCharsets.UTF_8), StandardCharsets.UTF_8, 2))
                .containsOnlyKeys("a", "b");
        assertThatThrownBy(() -> UrlEncodedForm.decode(Unpooled.copiedBuffer("a=1&b=2&uid=alice", StandardCharsets.UTF_8),
                StandardCharsets.UTF_8, 2)).isInstanceOf(IllegalArgumentException.class).hasMessage("more than 2 fields");
    }

    @Test
    void refusesCutOrInvalidEscapes() {
        assertThatThrownBy(() -> decode("data=abc%4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unterminated escape");
        assertThatThrownBy(() -> decode("data=%zz")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid hex");
    }

    @Test
    void readsTextInTheFormsCharsetAndRefusesBytesThatAreNone() {
        assertThat(UrlEncodedForm.decode(Unpooled.copiedBuffer("uid=Jos%E9", StandardCharsets.ISO_8859_1),
                StandardCharsets.ISO_8859_1, 10)).containsExactly(Map.entry("uid", List.of("José")));
        for (String form : List.of("uid=Jos%E9", "uid=%E2%82", "data=%C0%AF", "%FF=x")) {
            assertThatThrownBy(() -> decode(form)).as(form).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not UTF-8 text");
        }
    }

    @Test
    void keepsHashesAndSemicolonsInValues() {
        assertThat(decode("data=Ticket #42; closed&uid=alice")).containsExactly(
                Map.entry("data", List.of("Ticket #42; closed")), Map.entry("uid", List.of("alice")));
    }

    @Test
    void leavesTheBodyBufferAsItWas() {
        ByteBuf body = Unpooled.copiedBuffer("data=a%20b", StandardCharsets.UTF_8);
        UrlEncodedForm.decode(body, StandardCharsets.UTF_8, 10);
        assertThat(body.toString(StandardCharsets.UTF_8)).isEqualTo("data=a%20b");
        assertThat(body.readerIndex()).isZero();
    }

    /**
     * Any text of separators, escapes (whole UTF-8 characters) and raw characters: as Netty's query decoder reads it
     * with {@code ;} a character, where a raw {@code #} is the character it escapes (Netty's decoder ends there).
     */
    @Property(tries = 2000)
    void decodesAsTheQueryStringDecoder(@ForAll("forms") String form) {
        Map<String, List<String>> expected;
        try {
            expected = new QueryStringDecoder(form.replace("#", "%23"), StandardCharsets.UTF_8, false, 1000, true)
                    .parameters();
        } catch (IllegalArgumentException refused) {
            assertThatThrownBy(() -> decode(form)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        boolean notUtf8 = expected.entrySet().stream().anyMatch(field -> field.getKey().indexOf('\uFFFD') >= 0
                || field.getValue().stream().anyMatch(value -> value.indexOf('\uFFFD') >= 0));
        if (notUtf8) { // Netty's decoder reads bytes that are no UTF-8 as replacement characters: refused here
            assertThatThrownBy(() -> decode(form)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not UTF-8 text");
            return;
        }
        assertThat(decode(form)).containsExactlyEntriesOf(expected);
    }

    @Provide
    Arbitrary<String> forms() {
        // whole characters only (a body is bytes: it cannot hold half of a surrogate pair)
        Arbitrary<String> character = Arbitraries.of("a", "b", "z", "0", "9", "é", "€", "😀");
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("&", ";", "=", "#", "?", "+", "%", "%4", "%zz", "%41", "%2B", "%26", "%3D", " ", "\n"),
                character.list().ofMinSize(1).ofMaxSize(4).map(chars -> String.join("", chars)),
                Arbitraries.oneOf(character, Arbitraries.of("&", "=", "+", " ", ";", "#")).list().ofMinSize(1).ofMaxSize(3)
                        .map(chars -> URLEncoder.encode(String.join("", chars), StandardCharsets.UTF_8)));
        return piece.list().ofMaxSize(12).map(pieces -> String.join("", pieces));
    }

    private static Map<String, List<String>> decode(String form) {
        return UrlEncodedForm.decode(Unpooled.copiedBuffer(form, StandardCharsets.UTF_8), StandardCharsets.UTF_8, 1000);
    }
}
