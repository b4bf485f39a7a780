package io.ssebroker.engine.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.Failures;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The Lua scripts, run by their SHA-1 and sent in full only when a Redis node does not know them yet. */
final class RedisScripts implements ScriptRunner {
    /** The functions the presence scripts share. */
    private static final String PRESENCE_COMMON = "presence-common.lua";
    /** The functions the stream scripts share. */
    private static final String STREAM_COMMON = "stream-common.lua";
    /** The functions of the scripts that read and write a device's take record. */
    private static final String TAKE_RECORD = "take-record.lua";

    enum Script {
        PUBLISH(STREAM_COMMON, "publish.lua"), REPLAY(STREAM_COMMON, "replay.lua"),
        REGISTER(PRESENCE_COMMON, "register.lua"), UNREGISTER(PRESENCE_COMMON, "unregister.lua"),
        DRAIN(PRESENCE_COMMON, "drain.lua"), TAKE_OWNER(TAKE_RECORD, "take-owner.lua"),
        GIVE_BACK_OWNER(TAKE_RECORD, "give-back-owner.lua"),
        TAKE_BACK_ENDED("take-back-ended.lua"), TAKE_OVER_POSTINGS("take-over-postings.lua"),
        EXTEND_LOCK("extend-lock.lua"), ASK_RESTORE("ask-restore.lua");

        final String source;
        final String sha;

        /** A script made of these files, in order (a shared part first). */
        Script(String... files) {
            StringBuilder text = new StringBuilder();
            for (String file : files) {
                try (InputStream in = RedisScripts.class.getResourceAsStream(file)) {
                    text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            source = text.toString();
            try {
                sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** How often a script is tried while its slot's keys are split by a migration, and the pause between tries. */
    static final int TRYAGAIN_TRIES = 20;
    static final long TRYAGAIN_PAUSE_MILLIS = 25;

    private final RedisClusterAsyncCommands<String, String> commands;

    RedisScripts(RedisClusterAsyncCommands<String, String> commands) {
        this.commands = commands;
    }

    /**
     * Runs a script. A slot that is being migrated answers {@code TRYAGAIN} while the keys of one script are split
     * between the two masters; the script did not run then, so it is tried again after a short pause.
     */
    @Override
    public CompletableFuture<List<Object>> run(Script script, String[] keys, String... args) {
        return runOnce(script, keys, args).exceptionallyCompose(error -> retryIfSplit(error, script, keys, args, 1));
    }

    private CompletableFuture<List<Object>> retryIfSplit(Throwable error, Script script, String[] keys, String[] args, int tries) {
        Throwable cause = Failures.cause(error);
        if (tries > TRYAGAIN_TRIES || cause.getMessage() == null || !cause.getMessage().startsWith("TRYAGAIN")) {
            return CompletableFuture.failedFuture(cause);
        }
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(TRYAGAIN_PAUSE_MILLIS, TimeUnit.MILLISECONDS))
                .thenCompose(paused -> runOnce(script, keys, args))
                .exceptionallyCompose(again -> retryIfSplit(again, script, keys, args, tries + 1));
    }

    private CompletableFuture<List<Object>> runOnce(Script script, String[] keys, String... args) {
        return commands.<List<Object>>evalsha(script.sha, ScriptOutputType.MULTI, keys, args)
                .toCompletableFuture()
                .exceptionallyCompose(error -> {
                    Throwable cause = Failures.cause(error);
                    if (cause instanceof RedisNoScriptException) {
                        return commands.<List<Object>>eval(script.source, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }
}
