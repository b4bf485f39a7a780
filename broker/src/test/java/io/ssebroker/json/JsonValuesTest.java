package io.ssebroker.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** JSON read and written with the streaming API, checked against Jackson's data binder on the same documents. */
class JsonValuesTest {
    private static final ObjectMapper BINDER = new ObjectMapper();

    @Property(tries = 300)
    void whatItWritesTheBinderReadsAsTheSameValue(@ForAll("values") Object value) throws Exception {
        String json = JsonValues.write(value);
        assertThat(BINDER.readValue(json, Object.class)).isEqualTo(value);
        assertThat(JsonValues.read(json)).isEqualTo(value);
    }

    @Property(tries = 300)
    void whatTheBinderWritesItReadsAsTheSameValue(@ForAll("values") Object value) throws Exception {
        assertThat(JsonValues.read(BINDER.writeValueAsString(value))).isEqualTo(value);
    }

    @Test
    void numbersKeepTheirKind() throws Exception {
        assertThat(JsonValues.read("[1, 12345678901, 123456789012345678901234567890, 1.5, 1e3, -0.25]")).isEqualTo(List.of(
                1, 12345678901L, new BigInteger("123456789012345678901234567890"), 1.5, 1000.0, -0.25));
    }

    @Test
    void aRepeatedNameKeepsItsLastValueAndItsFirstPlace() throws Exception {
        Object read = JsonValues.read("{\"a\":1,\"b\":2,\"a\":null}");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", null);
        expected.put("b", 2);
        assertThat(read).isEqualTo(expected);
        assertThat(List.copyOf(((Map<?, ?>) read).keySet())).isEqualTo(List.of("a", "b"));
    }

    @Test
    void anEmptyDocumentIsNullAndWhatFollowsTheFirstValueIsNotRead() throws Exception {
        assertThat(JsonValues.read("  ")).isNull();
        assertThat(JsonValues.read("{\"a\":\"x\"} trailing")).isEqualTo(Map.of("a", "x"));
    }

    @Test
    void malformedDocumentsAreRefusedWithTheParsersMessage() {
        for (String json : new String[] {"{\"a\":", "[1,2", "{\"a\" 1}", "{a:1}", "[1,]x", "\"open"}) {
            assertThatThrownBy(() -> JsonValues.read(json)).as(json).isInstanceOf(JacksonException.class);
        }
    }

    @Test
    void fieldsReadAsTextOrNumberWithTheirFallbacks() throws Exception {
        Object object = JsonValues.read("{\"s\":\"x\",\"n\":42,\"b\":true,\"o\":{},\"z\":null}");
        assertThat(JsonValues.text(object, "s", "-")).isEqualTo("x");
        assertThat(JsonValues.text(object, "n", "-")).isEqualTo("42");
        assertThat(JsonValues.text(object, "b", "-")).isEqualTo("true");
        assertThat(JsonValues.text(object, "o", "-")).isEqualTo("-");
        assertThat(JsonValues.text(object, "z", "-")).isEqualTo("-");
        assertThat(JsonValues.text(object, "missing", "-")).isEqualTo("-");
        assertThat(JsonValues.text("not an object", "s", "-")).isEqualTo("-");
        assertThat(JsonValues.number(object, "n", -1)).isEqualTo(42);
        assertThat(JsonValues.number(object, "s", -1)).isEqualTo(-1);
    }

    @Test
    void writesIterablesAndRefusesWhatHasNoJsonForm() {
        assertThat(JsonValues.write(new java.util.TreeSet<>(List.of("b", "a")))).isEqualTo("[\"a\",\"b\"]");
        assertThat(JsonValues.write(Arrays.asList(7L, (short) 1, 2.5f, 0.1f, null))).isEqualTo("[7,1,2.5,0.1,null]");
        assertThatThrownBy(() -> JsonValues.write(new Object())).isInstanceOf(IllegalArgumentException.class);
    }

    @Provide
    Arbitrary<Object> values() {
        return Arbitraries.lazyOf(
                () -> Arbitraries.strings().ofMaxLength(12).map(Object.class::cast),
                () -> Arbitraries.integers().map(Object.class::cast),
                () -> Arbitraries.longs().greaterOrEqual(Integer.MAX_VALUE + 1L).map(Object.class::cast),
                () -> Arbitraries.doubles().map(Object.class::cast),
                () -> Arbitraries.of(Boolean.TRUE, Boolean.FALSE).map(Object.class::cast),
                () -> values().list().ofMaxSize(4).map(list -> (Object) new ArrayList<>(list)),
                () -> Arbitraries.maps(Arbitraries.strings().ofMaxLength(6), values()).ofMaxSize(4)
                        .map(map -> (Object) new LinkedHashMap<>(map)));
    }
}
