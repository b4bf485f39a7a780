package io.ssebroker.auth;

/** A token that is refused; the message says why, without echoing the token. */
public final class TokenException extends Exception {
    public TokenException(String message) {
        super(message);
    }
}
