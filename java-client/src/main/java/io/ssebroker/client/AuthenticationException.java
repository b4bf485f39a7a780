package io.ssebroker.client;

/** 401 or 403: the API key is missing or wrong, or the broker serves only local clients and has no keys set. */
public final class AuthenticationException extends SseBrokerException {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(int status, String message) {
        super(status, message);
    }
}
