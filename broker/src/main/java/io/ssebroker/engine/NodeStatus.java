package io.ssebroker.engine;

/** One node as shown by {@code /info}. */
public record NodeStatus(boolean online, String version, String address, long startTimeMillis, int deviceCount) {
}
