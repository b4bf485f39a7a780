package io.ssebroker.http;

/** A request that cannot be served: the HTTP status (also the envelope's code) and a message naming the field. */
public final class ApiException extends RuntimeException {
    private final int status;

    public ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
