package io.ssebroker.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The effective value of every key after defaults, file, environment and flags, plus where each came from. */
public final class ConfigValues {
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, String> sources = new LinkedHashMap<>();

    ConfigValues() {
        for (ConfigKey key : ConfigSchema.KEYS) {
            values.put(key.path(), key.defaultValue());
            sources.put(key.path(), "default");
        }
    }

    void set(ConfigKey key, Object raw, String source) {
        values.put(key.path(), key.convert(raw));
        sources.put(key.path(), source);
    }

    public int integer(String path) {
        return Math.toIntExact((Long) require(path));
    }

    public long longValue(String path) {
        return (Long) require(path);
    }

    public String string(String path) {
        return (String) require(path);
    }

    public boolean bool(String path) {
        return (Boolean) require(path);
    }

    @SuppressWarnings("unchecked")
    public List<String> list(String path) {
        return (List<String>) require(path);
    }

    public String source(String path) {
        return sources.get(path);
    }

    public Map<String, Object> asMap() {
        return Collections.unmodifiableMap(values);
    }

    private Object require(String path) {
        if (!values.containsKey(path)) {
            throw new IllegalArgumentException("unknown config key " + path);
        }
        return values.get(path);
    }
}
