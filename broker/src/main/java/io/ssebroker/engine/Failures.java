package io.ssebroker.engine;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The one place that looks through the wrappers futures put around a failure. */
public final class Failures {
    private Failures() {
    }

    /** The failure itself, without the {@link CompletionException} or {@link ExecutionException} around it. */
    public static Throwable cause(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
