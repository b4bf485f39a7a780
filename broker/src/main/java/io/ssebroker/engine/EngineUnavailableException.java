package io.ssebroker.engine;

/** The engine's backing store cannot be reached; the operation did not happen. */
public final class EngineUnavailableException extends RuntimeException {
    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
