package io.ssebroker.engine.redis;

import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Turns any Redis failure into the engine's {@link EngineUnavailableException}, so callers answer 503. */
final class RedisFutures {
    private RedisFutures() {
    }

    static <T> CompletableFuture<T> guard(CompletionStage<T> stage) {
        return stage.toCompletableFuture().exceptionallyCompose(error -> {
            Throwable cause = Failures.cause(error);
            // the connections it names, and a device it may have taken, are the engine's business, seen to already
            while (cause instanceof FailedAfterRemoving || cause instanceof DeviceTakeUnsettled) {
                cause = Failures.cause(cause.getCause());
            }
            if (cause instanceof EngineUnavailableException) {
                return CompletableFuture.failedFuture(cause);
            }
            return CompletableFuture.failedFuture(new EngineUnavailableException("Redis: " + cause.getMessage(), cause));
        });
    }
}
