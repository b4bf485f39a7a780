package io.ssebroker.config;

/** A configuration value that cannot be used; the message names the key, the value and the reason. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    static ConfigException invalid(String key, Object value, String reason) {
        return new ConfigException("config error: " + key + " = " + render(value) + ": " + reason);
    }

    private static String render(Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }
}
