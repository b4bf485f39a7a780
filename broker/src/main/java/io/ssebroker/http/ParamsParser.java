package io.ssebroker.http;

import com.fasterxml.jackson.core.JacksonException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpData;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.ssebroker.json.JsonValues;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads parameters from the query string and a POST body: JSON (strings or numbers, arrays for lists),
 * {@code application/x-www-form-urlencoded} or {@code multipart/form-data}. Anything else with a body is 415.
 */
final class ParamsParser {
    /** Far above any real request; the body size limit is what bounds the work. */
    static final int MAX_FIELDS = 100_000;
    /**
     * Fields whose null is refused rather than taken as not given: a backend whose lookup of a user or device came back
     * empty would otherwise send to everyone, or mint a token bound to no device.
     */
    private static final Set<String> NEVER_NULL = Set.of("uid", "device");
    /** What a form's syntax is made of, and a multipart body's delimiters and headers. */
    private static final String FORM_SYNTAX = "&=%+;#-\r\n:\"abcXYZ019";

    private ParamsParser() {
    }

    /**
     * The parameters of a request target's query string (the URL's raw bytes, read as a form: {@link UrlEncodedForm}).
     *
     * @throws IllegalArgumentException a malformed escape, or a name or value that is not UTF-8
     */
    static Map<String, List<String>> query(String uri) {
        int start = uri.indexOf('?');
        int fragment = uri.indexOf('#');
        if (start < 0 || fragment >= 0 && fragment < start) {
            return Map.of();
        }
        int end = fragment < 0 ? uri.length() : fragment;
        // The request line is read as ISO-8859-1: its characters are the URL's bytes.
        byte[] raw = new byte[end - start - 1];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) uri.charAt(start + 1 + i);
        }
        return UrlEncodedForm.decode(raw, StandardCharsets.UTF_8, MAX_FIELDS);
    }

    /**
     * The request's parameters: the query string's, and a POST body's, which replace those of the same name. A JSON
     * body that is an array (a batch, which only {@code /send} takes) gives one set of parameters per item, each an
     * object read like a whole JSON body over the query string's; an item whose fields are malformed carries its
     * error, for the batch to answer that item alone.
     */
    static Params parse(FullHttpRequest request, Map<String, List<String>> fromQuery) {
        if (request.method() != HttpMethod.POST || !request.content().isReadable()) {
            return new Params(fromQuery);
        }
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        String mediaType = mediaType(contentType);
        Object json = mediaType.equals("application/json") ? readJson(request) : null;
        if (json instanceof List<?> array) {
            List<Params> items = new ArrayList<>();
            int index = 0;
            for (Object item : array) {
                if (!(item instanceof Map<?, ?> object)) {
                    throw new ApiException(400, "body: item " + index + " of the array must be a JSON object");
                }
                Params parsed;
                try {
                    parsed = Params.item(fields(object), fromQuery);
                } catch (ApiException e) {
                    parsed = Params.invalid(e);
                }
                items.add(parsed);
                index++;
            }
            return new Params(fromQuery, items);
        }
        Map<String, List<String>> fromBody = json != null ? fields((Map<?, ?>) json) : body(request, contentType, mediaType);
        return new Params(merged(fromQuery, fromBody));
    }

    /** The body's fields over the query string's. */
    private static Map<String, List<String>> merged(Map<String, List<String>> fromQuery, Map<String, List<String>> fromBody) {
        if (fromQuery.isEmpty()) {
            return fromBody;
        }
        Map<String, List<String>> values = new LinkedHashMap<>(fromQuery);
        values.putAll(fromBody);
        return values;
    }

    /** The Content-Type without its parameters, in lower case ("" when none). */
    private static String mediaType(String contentType) {
        int end = contentType.indexOf(';');
        // substring, trim and toLowerCase return the string itself when they change nothing (the usual header)
        return contentType.substring(0, end < 0 ? contentType.length() : end).trim().toLowerCase(Locale.ROOT);
    }

    /** A parameter of the Content-Type ({@code charset}, {@code boundary}), unquoted; null when not given. */
    private static String parameter(String contentType, String name) {
        for (String part : contentType.split(";")) {
            int equals = part.indexOf('=');
            if (equals > 0 && part.substring(0, equals).trim().equalsIgnoreCase(name)) {
                String value = part.substring(equals + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
        }
        return null;
    }

    /**
     * The body's charset as its Content-Type names it; UTF-8 when it names none. Only a charset in which the
     * form's separators and escapes are the bytes of ASCII (not UTF-16, say) can be read.
     */
    private static Charset charset(String contentType) {
        String name = parameter(contentType, "charset");
        if (name == null || name.isEmpty()) {
            return StandardCharsets.UTF_8;
        }
        Charset charset;
        try {
            charset = Charset.forName(name);
        } catch (IllegalArgumentException e) {
            throw new ApiException(415, "Content-Type: charset " + name + " is not supported");
        }
        if (!charset.equals(StandardCharsets.UTF_8) && (!charset.canEncode()
                || !Arrays.equals(FORM_SYNTAX.getBytes(charset), FORM_SYNTAX.getBytes(StandardCharsets.US_ASCII)))) {
            throw new ApiException(415, "Content-Type: charset " + name + " is not supported (not ASCII-compatible)");
        }
        return charset;
    }

    private static Map<String, List<String>> body(FullHttpRequest request, String contentType, String mediaType) {
        return switch (mediaType) {
            case "application/x-www-form-urlencoded" -> urlEncoded(request, charset(contentType));
            case "multipart/form-data" -> multipart(request, contentType);
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
            root = JsonValues.readDocument(new io.netty.buffer.ByteBufInputStream(request.content().duplicate()));
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
                if (NEVER_NULL.contains(name)) {
                    throw new ApiException(400, name + ": must not be null (leave the field out where it is not meant)");
                }
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

    private static Map<String, List<String>> urlEncoded(FullHttpRequest request, Charset charset) {
        try {
            return UrlEncodedForm.decode(request.content(), charset, MAX_FIELDS);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "body: malformed form data (" + e.getMessage() + ")");
        }
    }

    /**
     * A multipart body, whole: Netty's decoder reads the parts it finds and stops where the body does, so a body cut
     * short (or written with another boundary) would give the fields before the cut alone, and a send without its
     * targets would go to everyone. The closing delimiter must be there.
     */
    private static Map<String, List<String>> multipart(FullHttpRequest request, String contentType) {
        String boundary = parameter(contentType, "boundary");
        if (boundary == null || boundary.isEmpty()) {
            throw new ApiException(400, "Content-Type: multipart/form-data needs a boundary parameter");
        }
        byte[] closing = ("--" + boundary + "--").getBytes(StandardCharsets.ISO_8859_1);
        if (ByteBufUtil.indexOf(Unpooled.wrappedBuffer(closing), request.content()) < 0) {
            throw new ApiException(400, "body: malformed form data (no closing boundary --" + boundary + "--)");
        }
        Charset charset = charset(contentType);
        // Netty's decoder reads the Content-Type again, and refuses a quoted charset: it is given the charset itself.
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, "multipart/form-data; boundary=\"" + boundary + "\"");
        HttpPostMultipartRequestDecoder decoder;
        try {
            decoder = new HttpPostMultipartRequestDecoder(new DefaultHttpDataFactory(false), request, charset,
                    MAX_FIELDS, request.content().readableBytes());
        } catch (ApiException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ApiException(400, "body: malformed form data");
        }
        try {
            Map<String, List<String>> values = new LinkedHashMap<>();
            for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
                if (data instanceof HttpData part) {
                    values.computeIfAbsent(data.getName(), k -> new ArrayList<>()).add(text(part, charset));
                }
            }
            return values;
        } catch (ApiException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ApiException(400, "body: malformed form data");
        } finally {
            decoder.destroy();
        }
    }

    /**
     * A part's value (a field, or a file's content), read strictly in the form's charset (a part's own is not
     * told apart from Netty's default; browsers send none).
     */
    private static String text(HttpData part, Charset charset) throws IOException {
        byte[] bytes = ByteBufUtil.getBytes(part.getByteBuf());
        try {
            return StrictText.decode(bytes, 0, bytes.length, charset);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, part.getName() + ": " + e.getMessage());
        }
    }
}
