package io.ssebroker.broker;

/** A verified request to open a stream; {@code cursor} is the client's last event id, or null. */
public record ConnectRequest(String uid, String device, String cursor, long tokenIssuedAtMillis, String clientAddress) {
}
