package io.ssebroker.http;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Request parameters by name, from the query string and the body (the body wins); each may have several values. */
public final class Params {
    private final Map<String, List<String>> values;
    /** The items of a JSON array body (a batch), each with its own parameters; null when the body was not an array. */
    private final List<Params> items;

    /** Takes the map as it is: the parser hands over a map of its own. */
    Params(Map<String, List<String>> values) {
        this(values, null);
    }

    Params(Map<String, List<String>> values, List<Params> items) {
        this.values = values;
        this.items = items;
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

    /** True when the body was a JSON array: a batch whose items are {@link #items()}. */
    public boolean isBatch() {
        return items != null;
    }

    public List<Params> items() {
        return items == null ? List.of() : items;
    }
}
