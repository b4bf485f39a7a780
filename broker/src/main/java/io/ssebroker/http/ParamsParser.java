package io.ssebroker.http;

import com.fasterxml.jackson.core.JacksonException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.ssebroker.json.JsonValues;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads parameters from the query string and a POST body: JSON (strings or numbers, arrays for lists),
 * {@code application/x-www-form-urlencoded} or {@code multipart/form-data}. Anything else with a body is 415.
 */
final class ParamsParser {
    /** Far above any real request; the body size limit is what bounds the work. */
    static final int MAX_FIELDS = 100_000;

    private ParamsParser() {
    }

    /**
     * The request's parameters. A JSON body that is an array (a batch, which only {@code /send} takes) gives one set of
     * parameters per item, each an object read like a whole JSON body.
     */
    static Params parse(FullHttpRequest request, QueryStringDecoder query) {
        // The decoder's map is read by nobody else once decoded: Params may hold it as it is.
        Map<String, List<String>> fromQuery = query.parameters();
        if (request.method() != HttpMethod.POST || !request.content().isReadable()) {
            return new Params(fromQuery);
        }
        String mediaType = mediaType(request);
        Object json = mediaType.equals("application/json") ? readJson(request) : null;
        if (json instanceof List<?> array) {
            List<Params> items = new ArrayList<>();
            int index = 0;
            for (Object item : array) {
                if (!(item instanceof Map<?, ?> object)) {
                    throw new ApiException(400, "body: item " + index + " of the array must be a JSON object");
                }
                items.add(new Params(fields(object)));
                index++;
            }
            return new Params(fromQuery, items);
        }
        Map<String, List<String>> fromBody = json != null ? fields((Map<?, ?>) json) : body(request, mediaType);
        if (fromQuery.isEmpty()) {
            return new Params(fromBody);
        }
        Map<String, List<String>> values = new LinkedHashMap<>(fromQuery);
        values.putAll(fromBody);
        return new Params(values);
    }

    /** The Content-Type without its parameters, in lower case ("" when none). */
    private static String mediaType(FullHttpRequest request) {
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        int end = contentType.indexOf(';');
        // substring, trim and toLowerCase return the string itself when they change nothing (the usual header)
        return contentType.substring(0, end < 0 ? contentType.length() : end).trim().toLowerCase(Locale.ROOT);
    }

    private static Map<String, List<String>> body(FullHttpRequest request, String mediaType) {
        return switch (mediaType) {
            case "application/x-www-form-urlencoded" -> urlEncoded(request);
            case "multipart/form-data" -> multipart(request);
            case "" -> throw new ApiException(415, "Content-Type: required for a POST body "
                    + "(application/json, application/x-www-form-urlencoded or multipart/form-data)");
            default -> throw new ApiException(415, "Content-Type: " + mediaType + " is not supported "
                    + "(use application/json, application/x-www-form-urlencoded or multipart/form-data)");
        };
    }

    /** The body's object or array (of maps, lists and scalars: {@link JsonValues}). */
    private static Object readJson(FullHttpRequest request) {
        Object root;
        try {
            root = JsonValues.read(new io.netty.buffer.ByteBufInputStream(request.content().duplicate()));
        } catch (JacksonException e) {
            throw new ApiException(400, "body: invalid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new ApiException(400, "body: unreadable");
        }
        if (!(root instanceof Map || root instanceof List)) {
            throw new ApiException(400, "body: must be a JSON object (or, for /send, an array of them)");
        }
        return root;
    }

    private static Map<String, List<String>> fields(Map<?, ?> object) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (Map.Entry<?, ?> field : object.entrySet()) {
            String name = (String) field.getKey();
            Object value = field.getValue();
            if (value == null) {
                continue;
            }
            List<String> list = new ArrayList<>();
            if (value instanceof List<?> array) {
                for (Object item : array) {
                    String text = scalar(name, item);
                    if (text.indexOf(',') >= 0) {
                        throw new ApiException(400, name + ": an array item must not contain commas");
                    }
                    list.add(text);
                }
            } else {
                list.add(scalar(name, value));
            }
            values.put(name, list);
        }
        return values;
    }

    /** A string as it is; a number in plain decimal digits (a fraction as the nearest double has it: 1e3 is 1000.0). */
    private static String scalar(String name, Object value) {
        if (value instanceof String text) {
            return text;
        }
        if (value instanceof Double fraction) {
            if (!Double.isFinite(fraction)) {
                throw new ApiException(400, name + ": the number is out of range");
            }
            return BigDecimal.valueOf(fraction).toPlainString();
        }
        if (value instanceof Number whole) {
            return whole.toString();
        }
        throw new ApiException(400, name + ": must be a string, a number or an array of them");
    }

    /** Decoded like a query string, so that a raw line break inside a value is kept rather than ending the body. */
    private static Map<String, List<String>> urlEncoded(FullHttpRequest request) {
        try {
            return UrlEncodedForm.decode(request.content(), MAX_FIELDS);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "body: malformed form data (" + e.getMessage() + ")");
        }
    }

    private static Map<String, List<String>> multipart(FullHttpRequest request) {
        HttpPostRequestDecoder decoder;
        try {
            decoder = new HttpPostRequestDecoder(new DefaultHttpDataFactory(false), request, StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new ApiException(400, "body: malformed form data");
        }
        try {
            Map<String, List<String>> values = new LinkedHashMap<>();
            for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
                String value;
                if (data instanceof Attribute attribute) {
                    value = attribute.getValue();
                } else if (data instanceof FileUpload upload) {
                    value = upload.getString(StandardCharsets.UTF_8);
                } else {
                    continue;
                }
                values.computeIfAbsent(data.getName(), k -> new ArrayList<>()).add(value);
            }
            return values;
        } catch (IOException | RuntimeException e) {
            throw new ApiException(400, "body: malformed form data");
        } finally {
            decoder.destroy();
        }
    }
}
