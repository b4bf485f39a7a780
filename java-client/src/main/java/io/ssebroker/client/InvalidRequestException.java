package io.ssebroker.client;

/** 400, 413 or 415: the call itself is wrong (a field, a size, a limit); repeating it cannot help. */
public final class InvalidRequestException extends SseBrokerException {
    private static final long serialVersionUID = 1L;

    public InvalidRequestException(int status, String message) {
        super(status, message);
    }
}
