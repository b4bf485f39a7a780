package io.ssebroker.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Request parameters by name, from the query string and the body (the body wins); each may have several values. */
public final class Params {
    private final Map<String, List<String>> values;

    Params(Map<String, List<String>> values) {
        this.values = new LinkedHashMap<>(values);
    }

    public static Params of(Map<String, List<String>> values) {
        return new Params(values);
    }

    /** The value of a single-valued parameter; absent when not given. */
    public Optional<String> first(String name) {
        List<String> list = values.get(name);
        return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(0));
    }

    /** Every value given for the parameter (repeated fields and JSON arrays). */
    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }
}
