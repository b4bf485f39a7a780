package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes an {@code application/x-www-form-urlencoded} body read as a query string is (Netty's
 * {@code QueryStringDecoder} rules: {@code &} and {@code ;} separate fields, {@code #} ends them, a leading {@code ?}
 * is skipped, {@code +} is a space, a field without {@code =} has an empty value), straight from the body's bytes:
 * the escapes of a field are decoded in place in one copy of the body and each name and value becomes a string once,
 * where decoding the body as a string first made the body's text, then builders and byte arrays per escaped field.
 * The decoded bytes of a name or value are read as UTF-8 together with the raw bytes around them.
 */
final class UrlEncodedForm {
    private UrlEncodedForm() {
    }

    /**
     * The fields in the order given; a repeated name keeps every value. At most {@code maxFields} fields are read.
     *
     * @throws IllegalArgumentException an escape that is cut short or not two hex digits
     */
    static Map<String, List<String>> decode(ByteBuf body, int maxFields) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        Map<String, List<String>> fields = new LinkedHashMap<>();
        int from = bytes.length > 0 && bytes[0] == '?' ? 1 : 0;
        int nameStart = from;
        int valueStart = -1;
        int left = maxFields;
        int i;
        scan:
        for (i = from; i < bytes.length; i++) {
            switch (bytes[i]) {
                case '=' -> {
                    if (nameStart == i) {
                        nameStart = i + 1; // an empty name: the '=' belongs to what follows
                    } else if (valueStart < nameStart) {
                        valueStart = i + 1;
                    }
                }
                case '&', ';' -> {
                    if (add(bytes, nameStart, valueStart, i, fields) && --left == 0) {
                        return fields;
                    }
                    nameStart = i + 1;
                }
                case '#' -> {
                    break scan;
                }
                default -> {
                }
            }
        }
        add(bytes, nameStart, valueStart, i, fields);
        return fields;
    }

    private static boolean add(byte[] bytes, int nameStart, int valueStart, int end, Map<String, List<String>> fields) {
        if (nameStart >= end) {
            return false;
        }
        if (valueStart <= nameStart) {
            valueStart = end + 1; // no '=': an empty value
        }
        String name = component(bytes, nameStart, valueStart - 1);
        String value = component(bytes, valueStart, end);
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

    /** Decodes bytes[from, to) in place (a decoded field is never longer than its text) and reads it as UTF-8. */
    private static String component(byte[] bytes, int from, int to) {
        if (from >= to) {
            return "";
        }
        int out = from;
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
            bytes[out++] = b;
        }
        return new String(bytes, from, out - from, StandardCharsets.UTF_8);
    }

    private static int hexDigit(byte[] bytes, int at) {
        int digit = Character.digit(bytes[at], 16);
        if (digit < 0) {
            throw new IllegalArgumentException("invalid hex byte at index " + (at - 1));
        }
        return digit;
    }
}
