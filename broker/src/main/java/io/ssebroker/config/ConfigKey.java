package io.ssebroker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One known configuration key: where it lives, its type, its default and its bounds.
 * Values are converted here so that the TOML file, environment variables and flags are read the same way.
 */
public record ConfigKey(String section, String name, Type type, Object defaultValue, long min, long max, String doc) {

    public enum Type { INT, STRING, BOOL, LIST }

    public String path() {
        return section + "." + name;
    }

    public String envName() {
        return "SSE_BROKER_" + section.toUpperCase(Locale.ROOT) + "_" + name.toUpperCase(Locale.ROOT);
    }

    static ConfigKey integer(String section, String name, long defaultValue, long min, long max, String doc) {
        return new ConfigKey(section, name, Type.INT, defaultValue, min, max, doc);
    }

    static ConfigKey string(String section, String name, String defaultValue, String doc) {
        return new ConfigKey(section, name, Type.STRING, defaultValue, 0, 0, doc);
    }

    static ConfigKey bool(String section, String name, boolean defaultValue, String doc) {
        return new ConfigKey(section, name, Type.BOOL, defaultValue, 0, 0, doc);
    }

    static ConfigKey list(String section, String name, String doc) {
        return new ConfigKey(section, name, Type.LIST, List.of(), 0, 0, doc);
    }

    /** Converts a raw value (TOML scalar or array, or the text of an environment variable or flag). */
    Object convert(Object raw) {
        return switch (type) {
            case INT -> checkRange(toLong(raw));
            case STRING -> {
                if (raw instanceof List<?> || raw instanceof java.util.Map<?, ?>) {
                    throw ConfigException.invalid(path(), raw, "must be a string");
                }
                yield String.valueOf(raw);
            }
            case BOOL -> toBool(raw);
            case LIST -> toList(raw);
        };
    }

    private long toLong(Object raw) {
        if (raw instanceof Number n) {
            try {
                // Exact conversion: a TOML integer beyond 64 bits must not wrap around to a valid value.
                return new java.math.BigDecimal(n.toString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                throw ConfigException.invalid(path(), raw, "must be a whole number between " + min + " and " + max);
            }
        }
        try {
            return Long.parseLong(String.valueOf(raw).trim());
        } catch (NumberFormatException e) {
            throw ConfigException.invalid(path(), raw, "must be a whole number");
        }
    }

    private long checkRange(long value) {
        if (value < min || value > max) {
            throw ConfigException.invalid(path(), value, "must be between " + min + " and " + max);
        }
        return value;
    }

    private boolean toBool(Object raw) {
        if (raw instanceof Boolean b) {
            return b;
        }
        String text = String.valueOf(raw).trim().toLowerCase(Locale.ROOT);
        return switch (text) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw ConfigException.invalid(path(), raw, "must be true or false");
        };
    }

    private List<String> toList(Object raw) {
        // The value is not repeated in these errors: a list may hold API keys.
        if (raw instanceof java.util.Map<?, ?>) {
            throw new ConfigException("config error: " + path() + " must be a list of strings, not a table");
        }
        List<String> out = new ArrayList<>();
        if (raw instanceof List<?> items) {
            for (Object item : items) {
                if (item instanceof List<?> || item instanceof java.util.Map<?, ?>) {
                    throw new ConfigException("config error: " + path() + " must be a list of strings");
                }
                addTrimmed(out, String.valueOf(item));
            }
        } else {
            for (String part : String.valueOf(raw).split(",")) {
                addTrimmed(out, part);
            }
        }
        return List.copyOf(out);
    }

    private static void addTrimmed(List<String> out, String value) {
        String trimmed = value.trim();
        if (!trimmed.isEmpty()) {
            out.add(trimmed);
        }
    }
}
