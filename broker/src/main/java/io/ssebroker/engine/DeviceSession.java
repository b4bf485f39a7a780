package io.ssebroker.engine;

/**
 * The presence entry of one connected device. {@code nonce} identifies the connection, so that an entry is only
 * ever removed by the connection that created it.
 */
public record DeviceSession(String uid, String device, String nonce, String nodeAddress, String clientAddress,
                            long loginTimeMillis) {
}
