package io.ssebroker.http;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Request parameters by name, from the query string and the body (the body wins); each may have several values. */
public final class Params {
    private final Map<String, List<String>> values;
    /**
     * For a batch's item, the query string's parameters, under the item's own (which win): shared by every item, not
     * copied into each (a long query string times a long batch would be a copy per item). Empty otherwise.
     */
    private final Map<String, List<String>> under;
    /** The items of a JSON array body (a batch), each with its own parameters; null when the body was not an array. */
    private final List<Params> items;
    /** Why the fields of a batch's item could not be read; null for parameters that could. */
    private final ApiException invalid;

    /** Takes the map as it is: the parser hands over a map of its own. */
    Params(Map<String, List<String>> values) {
        this(values, Map.of(), null, null);
    }

    Params(Map<String, List<String>> values, List<Params> items) {
        this(values, Map.of(), items, null);
    }

    private Params(Map<String, List<String>> values, Map<String, List<String>> under, List<Params> items,
                   ApiException invalid) {
        this.values = values;
        this.under = under;
        this.items = items;
        this.invalid = invalid;
    }

    /** A batch's item: its own fields over the query string's. */
    static Params item(Map<String, List<String>> own, Map<String, List<String>> fromQuery) {
        return new Params(own, fromQuery, null, null);
    }

    /** A batch's item whose fields are malformed: the batch answers that item with the error. */
    static Params invalid(ApiException error) {
        return new Params(Map.of(), Map.of(), null, error);
    }

    /** Throws the error of an item whose fields could not be read; does nothing for parameters that could. */
    public void requireReadable() {
        if (invalid != null) {
            throw invalid;
        }
    }

    /** The value of a single-valued parameter; absent when not given. */
    public Optional<String> first(String name) {
        List<String> list = all(name);
        return list.isEmpty() ? Optional.empty() : Optional.of(list.get(0));
    }

    /** Every value given for the parameter (repeated fields and JSON arrays). */
    public List<String> all(String name) {
        List<String> own = values.get(name);
        return own != null ? own : under.getOrDefault(name, List.of());
    }

    public boolean has(String name) {
        return values.containsKey(name) || under.containsKey(name);
    }

    /** True when the body was a JSON array: a batch whose items are {@link #items()}. */
    public boolean isBatch() {
        return items != null;
    }

    public List<Params> items() {
        return items == null ? List.of() : items;
    }
}
