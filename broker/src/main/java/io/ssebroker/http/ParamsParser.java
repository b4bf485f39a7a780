package io.ssebroker.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads parameters from the query string and a POST body: JSON (strings or numbers, arrays for lists),
 * {@code application/x-www-form-urlencoded} or {@code multipart/form-data}. Anything else with a body is 415.
 */
final class ParamsParser {
    private static final ObjectMapper JSON = new ObjectMapper();
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
        JsonNode json = mediaType.equals("application/json") ? readJson(request) : null;
        if (json != null && json.isArray()) {
            List<Params> items = new ArrayList<>();
            int index = 0;
            for (JsonNode item : json) {
                if (!item.isObject()) {
                    throw new ApiException(400, "body: item " + index + " of the array must be a JSON object");
                }
                items.add(new Params(fields(item)));
                index++;
            }
            return new Params(fromQuery, items);
        }
        Map<String, List<String>> fromBody = json != null ? fields(json) : body(request, mediaType);
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

    private static JsonNode readJson(FullHttpRequest request) {
        JsonNode root;
        try {
            root = JSON.readTree(new io.netty.buffer.ByteBufInputStream(request.content().duplicate()));
        } catch (JacksonException e) {
            throw new ApiException(400, "body: invalid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new ApiException(400, "body: unreadable");
        }
        if (root == null || !(root.isObject() || root.isArray())) {
            throw new ApiException(400, "body: must be a JSON object (or, for /send, an array of them)");
        }
        return root;
    }

    private static Map<String, List<String>> fields(JsonNode root) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            List<String> list = new ArrayList<>();
            if (value.isArray()) {
                for (JsonNode item : value) {
                    String text = scalar(field.getKey(), item);
                    if (text.indexOf(',') >= 0) {
                        throw new ApiException(400, field.getKey() + ": an array item must not contain commas");
                    }
                    list.add(text);
                }
            } else {
                list.add(scalar(field.getKey(), value));
            }
            values.put(field.getKey(), list);
        }
        return values;
    }

    private static String scalar(String name, JsonNode node) {
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isIntegralNumber()) {
            return node.bigIntegerValue().toString();
        }
        if (node.isNumber()) {
            return node.decimalValue().toPlainString();
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
