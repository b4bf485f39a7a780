package io.ssebroker.api;

import io.netty.buffer.ByteBufUtil;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.Params;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Validation of request fields; every failure is a 400 (or 413) that names the field and the reason. */
final class Fields {
    static final int MAX_IDENTIFIER_LENGTH = 128;

    private Fields() {
    }

    /** A uid, device or event name: 1–128 characters after trimming, no control characters, no commas where asked. */
    static String identifier(String field, String raw, boolean commasAllowed) {
        String value = trimSpaces(raw);
        if (value.isEmpty()) {
            throw new ApiException(400, field + ": must not be empty");
        }
        // characters are code points: an emoji is one character, though two Java chars
        if (value.length() > MAX_IDENTIFIER_LENGTH && value.codePointCount(0, value.length()) > MAX_IDENTIFIER_LENGTH) {
            throw new ApiException(400, field + ": longer than " + MAX_IDENTIFIER_LENGTH + " characters");
        }
        requireUnicode(field, value);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                throw new ApiException(400, field + ": must not contain control characters");
            }
            if (c == ',' && !commasAllowed) {
                throw new ApiException(400, field + ": must not contain commas");
            }
        }
        return value;
    }

    /**
     * Refuses half of a surrogate pair: a JSON escape such as {@code "\ud83d"} alone is no character, and has no UTF-8
     * form for keys, streams and frames (it would be written as {@code ?}).
     */
    private static void requireUnicode(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new ApiException(400, field + ": must be Unicode text (half of a surrogate pair)");
            }
        }
    }

    /** Trims spaces only: any other control character left at an edge is refused, not silently dropped. */
    private static String trimSpaces(String raw) {
        int start = 0;
        int end = raw.length();
        while (start < end && raw.charAt(start) == ' ') {
            start++;
        }
        while (end > start && raw.charAt(end - 1) == ' ') {
            end--;
        }
        return raw.substring(start, end);
    }

    static String requiredIdentifier(Params params, String field) {
        return optionalIdentifier(params, field)
                .orElseThrow(() -> new ApiException(400, field + ": required"));
    }

    static Optional<String> optionalIdentifier(Params params, String field) {
        return single(params, field).map(value -> identifier(field, value, false));
    }

    /** An SSE event name: an identifier that may hold commas; null when not given. */
    static String eventName(Params params) {
        return optionalIdentifierWithCommas(params, "event").orElse(null);
    }

    /** A single-valued identifier that may hold commas (an event name, an idempotency key); empty when not given. */
    static Optional<String> optionalIdentifierWithCommas(Params params, String field) {
        return single(params, field).map(value -> identifier(field, value, true));
    }

    /** A single-valued field as given (not checked further); empty when not given; a list of values is refused. */
    static Optional<String> single(Params params, String field) {
        if (params.all(field).size() > 1) {
            throw new ApiException(400, field + ": give one value, not a list");
        }
        if (params.has(field) && params.all(field).isEmpty()) {
            throw new ApiException(400, field + ": must not be an empty list");
        }
        return params.first(field);
    }

    /** A list field: comma-separated values, repeated fields or a JSON array; duplicates removed, order kept. */
    static Set<String> identifierList(Params params, String field) {
        if (params.has(field) && params.all(field).isEmpty()) {
            // An empty list must not silently widen a send into a broadcast.
            throw new ApiException(400, field + ": must not be an empty list (leave it out to address everyone)");
        }
        List<String> values = params.all(field);
        if (values.isEmpty()) {
            return Set.of();
        }
        if (values.size() == 1 && values.get(0).indexOf(',') < 0) {
            // The common case, one target: no set to build and no split.
            return Set.of(identifier(field, values.get(0), false));
        }
        Set<String> out = new LinkedHashSet<>();
        for (String value : values) {
            if (trimSpaces(value).isEmpty()) {
                throw new ApiException(400, field + ": must not be empty");
            }
            for (String part : value.split(",", -1)) {
                out.add(identifier(field, part, false));
            }
        }
        return out;
    }

    static void checkTargetCount(Set<String> uids, Set<String> devices, int maxTargets) {
        if (uids.size() + devices.size() > maxTargets) {
            throw new ApiException(413, "uid, device: " + (uids.size() + devices.size())
                    + " targets exceed limits.max_targets (" + maxTargets + ")");
        }
    }

    static long positiveSeconds(Params params, String field, long defaultValue) {
        if (params.all(field).size() > 1) {
            throw new ApiException(400, field + ": give one value, not a list");
        }
        Optional<String> raw = params.first(field).map(String::trim);
        if (raw.isEmpty() || raw.get().isEmpty()) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(raw.get());
        } catch (NumberFormatException e) {
            throw new ApiException(400, field + ": must be a whole number of seconds");
        }
        if (value <= 0) {
            throw new ApiException(400, field + ": must be greater than 0");
        }
        return value;
    }

    static String data(Params params, int maxBytes) {
        if (params.all("data").size() > 1) {
            throw new ApiException(400, "data: give one value, not a list");
        }
        String data = params.first("data").orElseThrow(() -> new ApiException(400, "data: required"));
        if (data.isEmpty()) {
            throw new ApiException(400, "data: must not be empty");
        }
        requireUnicode("data", data);
        int bytes = ByteBufUtil.utf8Bytes(data);
        if (bytes > maxBytes) {
            throw new ApiException(413, "data: " + bytes + " bytes exceed limits.max_message_bytes (" + maxBytes + ")");
        }
        return data;
    }

    /** An optional single-valued text ("" when not given), at most {@code maxBytes} of UTF-8. */
    static String text(Params params, String field, int maxBytes) {
        String value = single(params, field).orElse("");
        requireUnicode(field, value);
        if (ByteBufUtil.utf8Bytes(value) > maxBytes) {
            throw new ApiException(413, field + ": exceeds limits.max_message_bytes (" + maxBytes + ")");
        }
        return value;
    }
}
