package io.ssebroker.engine.redis;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs one of the engine's scripts and completes with its answer. */
interface ScriptRunner {
    CompletableFuture<List<Object>> run(RedisScripts.Script script, String[] keys, String... args);
}
