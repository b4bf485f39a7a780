package io.ssebroker.engine;

/** Where a connection stands: the last offset seen in its user stream and in the broadcast stream. */
public record Position(String epoch, long userOffset, long broadcastOffset) {
}
