package io.ssebroker.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON documents as plain Java values, read and written with Jackson's streaming API: an object is an ordered map
 * (a repeated name keeps its last value), an array a list, a number an Integer, Long or BigInteger when it is
 * integral and a Double otherwise, and there are strings, booleans and null. The broker's documents are small and
 * free-form (a request body, an answer, a control message, a node's beat); Jackson's data binder would load some
 * four megabytes of classes into every node for them.
 */
public final class JsonValues {
    /** Every parser and generator of the broker's JSON comes from it: shared by all threads, so never reconfigured. */
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonValues() {
    }

    public static JsonFactory factory() {
        return FACTORY;
    }

    /**
     * The document's first value, or null when it has none (or is the literal null). What follows that value is
     * not read.
     *
     * @throws IOException on malformed JSON ({@link com.fasterxml.jackson.core.JacksonException}) or a failed read
     */
    public static Object read(InputStream in) throws IOException {
        try (JsonParser parser = FACTORY.createParser(in)) {
            return readFirst(parser);
        }
    }

    /**
     * A whole request document: its one value, where a repeated name in an object and anything after the value but
     * white space are malformed (read leniently, {@code {"uid":"a","uid":"b"}} would address b alone, and
     * {@code {"data":"a"}{"data":"b"}} would send a alone, both answered as a success).
     *
     * @throws IOException on malformed JSON ({@link com.fasterxml.jackson.core.JacksonException}) or a failed read
     */
    public static Object readDocument(InputStream in) throws IOException {
        try (JsonParser parser = FACTORY.createParser(in)) {
            JsonToken first = parser.nextToken();
            Object value = first == null ? null : value(parser, first, true);
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "unexpected content after the document's value");
            }
            return value;
        }
    }

    /** As {@link #read(InputStream)}, from a string. */
    public static Object read(String json) throws IOException {
        try (JsonParser parser = FACTORY.createParser(json)) {
            return readFirst(parser);
        }
    }

    private static Object readFirst(JsonParser parser) throws IOException {
        JsonToken first = parser.nextToken();
        return first == null ? null : value(parser, first, false);
    }

    /** A value; with {@code strict}, an object that names a field twice is malformed rather than keeping the last. */
    private static Object value(JsonParser parser, JsonToken token, boolean strict) throws IOException {
        if (token == null) {
            throw new JsonParseException(parser, "unexpected end of input");
        }
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    int fields = object.size();
                    object.put(name, value(parser, parser.nextToken(), strict));
                    if (strict && object.size() == fields) {
                        throw new JsonParseException(parser, "duplicate field '" + name + "'");
                    }
                }
                return object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                for (JsonToken item = parser.nextToken(); item != JsonToken.END_ARRAY; item = parser.nextToken()) {
                    array.add(value(parser, item, strict));
                }
                return array;
            }
            case VALUE_STRING -> {
                return parser.getText();
            }
            case VALUE_NUMBER_INT -> {
                return parser.getNumberValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return parser.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new JsonParseException(parser, "unexpected " + token);
        }
    }

    /**
     * Writes a value made of maps (their keys as text), iterables, strings, numbers, booleans and null.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static void write(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String text) {
            json.writeString(text);
        } else if (value instanceof Boolean bool) {
            json.writeBoolean(bool);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            json.writeNumber(((Number) value).longValue());
        } else if (value instanceof Double fraction) {
            json.writeNumber(fraction);
        } else if (value instanceof Float fraction) {
            json.writeNumber(fraction); // as the float's shortest text, not the double it widens to
        } else if (value instanceof BigInteger big) {
            json.writeNumber(big);
        } else if (value instanceof BigDecimal decimal) {
            json.writeNumber(decimal);
        } else if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> field : map.entrySet()) {
                json.writeFieldName(String.valueOf(field.getKey()));
                write(json, field.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof Iterable<?> items) {
            json.writeStartArray();
            for (Object item : items) {
                write(json, item);
            }
            json.writeEndArray();
        } else {
            throw new IllegalArgumentException("no JSON form for a " + value.getClass().getName());
        }
    }

    /** The value as a JSON document (see {@link #write(JsonGenerator, Object)}). */
    public static String write(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            write(json, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /**
     * A field of an object as text: a string as it is, a number or a boolean in Java's text; {@code otherwise} when
     * the value is no object, or the field is missing, null, an object or an array.
     */
    public static String text(Object object, String field, String otherwise) {
        Object value = object instanceof Map<?, ?> map ? map.get(field) : null;
        return value instanceof String || value instanceof Number || value instanceof Boolean
                ? String.valueOf(value) : otherwise;
    }

    /** A field of an object as a whole number; {@code otherwise} when it is missing or no number. */
    public static long number(Object object, String field, long otherwise) {
        Object value = object instanceof Map<?, ?> map ? map.get(field) : null;
        return value instanceof Number number ? number.longValue() : otherwise;
    }
}
