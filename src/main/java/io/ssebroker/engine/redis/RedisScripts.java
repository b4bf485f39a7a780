package io.ssebroker.engine.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** The Lua scripts, run by their SHA-1 and sent in full only when a Redis node does not know them yet. */
final class RedisScripts {
    enum Script {
        PUBLISH("publish.lua"), REPLAY("replay.lua"), REGISTER("register.lua"), UNREGISTER("unregister.lua");

        final String source;
        final String sha;

        Script(String file) {
            try (InputStream in = RedisScripts.class.getResourceAsStream(file)) {
                source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final RedisClusterAsyncCommands<String, String> commands;

    RedisScripts(RedisClusterAsyncCommands<String, String> commands) {
        this.commands = commands;
    }

    CompletableFuture<List<Object>> run(Script script, String[] keys, String... args) {
        return commands.<List<Object>>evalsha(script.sha, ScriptOutputType.MULTI, keys, args)
                .toCompletableFuture()
                .exceptionallyCompose(error -> {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    if (cause instanceof RedisNoScriptException) {
                        return commands.<List<Object>>eval(script.source, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }
}
