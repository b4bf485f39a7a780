package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes {@code application/x-www-form-urlencoded} text (a body, or a URL's query string) as the URL standard
 * reads it: only {@code &} separates fields, so {@code ;} and {@code #} are
 * characters of a value (curl's {@code -d 'data=Ticket #42'} sends a raw {@code #}); a leading {@code ?} is skipped,
 * {@code +} is a space, a field without {@code =} has an empty value. The escapes of a field are decoded in place in
 * one copy of the text and each name and value becomes a string once. The decoded bytes are read in the form's
 * charset, strictly ({@link StrictText}).
 */
final class UrlEncodedForm {
    /** Charsets in which bytes below 0x80 are ASCII: a field of such bytes alone needs no decoder. */
    private static final Set<Charset> ASCII_COMPATIBLE = Set.of(StandardCharsets.UTF_8, StandardCharsets.ISO_8859_1,
            StandardCharsets.US_ASCII);

    private UrlEncodedForm() {
    }

    /**
     * The fields in the order given; a repeated name keeps every value. More than {@code maxFields} fields are refused,
     * not cut: a field past the cut could be a target, and a send without its targets would go to everyone.
     *
     * @throws IllegalArgumentException an escape that is cut short or not two hex digits, a name or value that is not
     *                                  text in the charset, or more than {@code maxFields} fields
     */
    static Map<String, List<String>> decode(ByteBuf body, Charset charset, int maxFields) {
        return decode(ByteBufUtil.getBytes(body), charset, maxFields);
    }

    /** As {@link #decode(ByteBuf, Charset, int)}, from bytes that it may change. */
    static Map<String, List<String>> decode(byte[] bytes, Charset charset, int maxFields) {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        int from = bytes.length > 0 && bytes[0] == '?' ? 1 : 0;
        int nameStart = from;
        int valueStart = -1;
        int left = maxFields;
        int i;
        for (i = from; i < bytes.length; i++) {
            if (bytes[i] == '=') {
                if (nameStart == i) {
                    nameStart = i + 1; // an empty name: the '=' belongs to what follows
                } else if (valueStart < nameStart) {
                    valueStart = i + 1;
                }
            } else if (bytes[i] == '&') {
                if (add(bytes, nameStart, valueStart, i, charset, fields) && --left == 0) {
                    if (anotherField(bytes, i + 1)) {
                        throw new IllegalArgumentException("more than " + maxFields + " fields");
                    }
                    return fields;
                }
                nameStart = i + 1;
            }
        }
        add(bytes, nameStart, valueStart, i, charset, fields);
        return fields;
    }

    /** Whether anything but separators follows. */
    private static boolean anotherField(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] != '&') {
                return true;
            }
        }
        return false;
    }

    private static boolean add(byte[] bytes, int nameStart, int valueStart, int end, Charset charset,
                               Map<String, List<String>> fields) {
        if (nameStart >= end) {
            return false;
        }
        if (valueStart <= nameStart) {
            valueStart = end + 1; // no '=': an empty value
        }
        String name = component(bytes, nameStart, valueStart - 1, charset);
        String value;
        try {
            value = component(bytes, valueStart, end, charset);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
        List<String> values = fields.get(name);
        if (values == null) {
            fields.put(name, Collections.singletonList(value));
        } else if (values instanceof ArrayList) {
            values.add(value);
        } else {
            List<String> more = new ArrayList<>(2);
            more.add(values.get(0));
            more.add(value);
            fields.put(name, more);
        }
        return true;
    }

    /** Decodes bytes[from, to) in place (a decoded field is never longer than its text) and reads it in the charset. */
    private static String component(byte[] bytes, int from, int to, Charset charset) {
        if (from >= to) {
            return "";
        }
        int out = from;
        boolean ascii = true;
        for (int in = from; in < to; in++) {
            byte b = bytes[in];
            if (b == '+') {
                b = ' ';
            } else if (b == '%') {
                if (in + 3 > to) {
                    throw new IllegalArgumentException("unterminated escape sequence at index " + in);
                }
                b = (byte) (hexDigit(bytes, in + 1) << 4 | hexDigit(bytes, in + 2));
                in += 2;
            }
            ascii &= b >= 0;
            bytes[out++] = b;
        }
        if (ascii && ASCII_COMPATIBLE.contains(charset)) {
            return new String(bytes, from, out - from, StandardCharsets.ISO_8859_1);
        }
        try {
            return StrictText.decode(bytes, from, out - from, charset);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (at index " + from + ")");
        }
    }

    private static int hexDigit(byte[] bytes, int at) {
        int digit = Character.digit(bytes[at], 16);
        if (digit < 0) {
            throw new IllegalArgumentException("invalid hex byte at index " + (at - 1));
        }
        return digit;
    }
}
