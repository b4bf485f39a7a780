package io.ssebroker.client;

import java.time.Duration;

/**
 * The broker refused a call, or could not be reached. {@link #status()} is the HTTP status (0 when no answer came);
 * the message is the broker's reason ({@code "data: required"}). The subclasses say what to do about it.
 */
public class SseBrokerException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public SseBrokerException(int status, String message) {
        super(message);
        this.status = status;
    }

    public SseBrokerException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** The broker's answer for a status, as the matching exception; {@code retryAfter} is its Retry-After, or null. */
    static SseBrokerException forStatus(int status, Duration retryAfter, String message) {
        return switch (status) {
            case 401, 403 -> new AuthenticationException(status, message);
            // the broker busy or unreachable, a proxy in front of it timing out or without an upstream
            case 408, 429, 502, 503, 504 -> new UnavailableException(status, message, null, retryAfter);
            default -> status >= 500 ? new SseBrokerException(status, message) : new InvalidRequestException(status, message);
        };
    }
}
