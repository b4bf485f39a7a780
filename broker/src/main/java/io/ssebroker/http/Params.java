package io.ssebroker.http;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Request parameters by name, from the query string and the body (the body wins); each may have several values. */
public final class Params {
    private final Map<String, List<String>> values;
    /** The items of a JSON array body (a batch), each with its own parameters; null when the body was not an array. */
    private final List<Params> items;
    /** Why the fields of a batch's item could not be read; null for parameters that could. */
    private final ApiException invalid;

    /** Takes the map as it is: the parser hands over a map of its own. */
    Params(Map<String, List<String>> values) {
        this(values, null);
    }

    Params(Map<String, List<String>> values, List<Params> items) {
        this(values, items, null);
    }

    private Params(Map<String, List<String>> values, List<Params> items, ApiException invalid) {
        this.values = values;
        this.items = items;
        this.invalid = invalid;
    }

    /** A batch's item whose fields are malformed: the batch answers that item with the error. */
    static Params invalid(ApiException error) {
        return new Params(Map.of(), null, error);
    }

    /** Throws the error of an item whose fields could not be read; does nothing for parameters that could. */
    public void requireReadable() {
        if (invalid != null) {
            throw invalid;
        }
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
