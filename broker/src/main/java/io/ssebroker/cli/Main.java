package io.ssebroker.cli;

import io.ssebroker.api.TokenApi;
import io.ssebroker.auth.JwksUnreachableException;
import io.ssebroker.auth.TokenService;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.config.ConfigKey;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.config.ConfigSchema;
import io.ssebroker.config.RedactedUrl;
import io.ssebroker.engine.redis.RedisEngine;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.HttpServer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The command line: {@code serve} (the default), {@code token}, {@code check-config}, {@code version}, {@code
 * class-archive}, which makes the class-data archive the launcher starts the JVM on, and {@code bench}, which runs the
 * load generator.
 */
@Command(name = "sse-broker", versionProvider = Version.class, sortOptions = false,
        description = "Server-Sent Events broker. Without a command, starts a node (same as 'serve').",
        subcommands = {Main.Serve.class, Main.Token.class, Main.CheckConfig.class, Main.VersionCommand.class,
                ClassArchiveCommand.class, BenchCommand.class})
public final class Main implements Callable<Integer> {
    static final int CONFIG_ERROR = 2;
    /** A start that failed for a reason that may pass (the address in use): not a configuration error. */
    static final int START_FAILED = 1;

    @Mixin
    ConfigOptions options;

    @Option(names = {"-v", "--version"}, versionHelp = true, description = "print the version and exit")
    boolean version;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    public static void main(String[] args) {
        allowUnzeroedDirectMemory();
        leaveLibrariesOutOfFlightRecordings();
        System.exit(commandLine().execute(args));
    }

    /**
     * Lets Netty allocate its pooled direct memory the way it does when it may reach the JDK's internals (which the
     * jar's manifest opens to it): without zeroing each new chunk and without a Cleaner per chunk. A zeroed chunk is
     * resident from its first use; unzeroed, its pages become resident as they are used (about 18 MB less for an
     * idle node). Before any Netty class loads; an explicit setting wins.
     */
    private static void allowUnzeroedDirectMemory() {
        System.getProperties().putIfAbsent("io.netty.tryReflectionSetAccessible", "true");
    }

    /**
     * Keeps Netty and Lettuce from defining their own Flight Recorder events, which loads classes of the JDK's recorder
     * into every node for events that only a recording of those libraries needs: Netty's (its allocator's chunks) some
     * 80 classes, about 1.5 MB of an idle node's resident memory; Lettuce's (its connections' and cluster topology's
     * events, which its log also tells) some 130 more on the Redis engine, about 2 MB. {@code
     * -Dio.netty.jfr.enabled=true} and {@code -Dio.lettuce.core.jfr=true} turn them back on. Before any class of
     * either loads; an explicit setting wins.
     */
    private static void leaveLibrariesOutOfFlightRecordings() {
        System.getProperties().putIfAbsent("io.netty.jfr.enabled", "false");
        System.getProperties().putIfAbsent("io.lettuce.core.jfr", "false");
    }

    /** The command line with its error handling: a configuration error exits with status 2 and its message. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException || e instanceof BrokerNode.EngineStartException) {
                cmd.getErr().println(e.getMessage());
                return CONFIG_ERROR;
            }
            if (e instanceof HttpServer.CannotListenException || e instanceof JwksUnreachableException) {
                cmd.getErr().println(e.getMessage());
                return START_FAILED; // a supervisor tries again
            }
            throw e;
        });
        return commandLine;
    }

    @Override
    public Integer call() throws Exception {
        return serve(options);
    }

    static int serve(ConfigOptions options) throws InterruptedException {
        Logger log = LoggerFactory.getLogger(Main.class);
        ConfigLoader.LoadedConfig loaded = options.load();
        LogSetup.apply(loaded.config().log());
        log.info("configuration: {}", loaded.file().map(f -> "file " + f.toAbsolutePath()).orElse("built-in defaults (no config file)"));
        loaded.warnings().forEach(log::warn);
        BrokerNode node = new BrokerNode(loaded.config());
        node.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: telling clients to reconnect elsewhere");
            node.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "start a broker node (the default command)")
    static final class Serve implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @CommandLine.ParentCommand
        Main top;

        @Override
        public Integer call() throws Exception {
            return serve(options.after(top.options));
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "print a connect token signed with the configured jwt.secret")
    static final class Token implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @CommandLine.ParentCommand
        Main top;

        @Option(names = "--uid", required = true, description = "user id")
        String uid;

        @Option(names = "--device", description = "bind the token to this device")
        String device;

        @Option(names = "--ttl", description = "lifetime in seconds (default jwt.expire, at most jwt.max_expire and jwt.max_lifetime)")
        Long ttl;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ConfigLoader.LoadedConfig loaded = options.after(top.options).load();
            var jwt = loaded.config().jwt();
            if (jwt.secretGenerated()) {
                spec.commandLine().getErr().println("jwt.secret is not set (config file, SSE_BROKER_JWT_SECRET or --secret): "
                        + "a token signed with a made-up secret would not be accepted by any broker");
                return CONFIG_ERROR;
            }
            if (ttl != null && ttl <= 0) {
                spec.commandLine().getErr().println("--ttl must be greater than 0");
                return CONFIG_ERROR;
            }
            try {
                spec.commandLine().getOut().println(TokenApi.mint(TokenService.forMinting(jwt), jwt, uid, device,
                        ttl == null ? jwt.expireSeconds() : ttl));
            } catch (ApiException e) {
                spec.commandLine().getErr().println("--" + e.getMessage()); // it begins with the field's name
                return CONFIG_ERROR;
            }
            return 0;
        }
    }

    @Command(name = "check-config", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "validate the configuration and print the effective values")
    static final class CheckConfig implements Callable<Integer> {
        private static final Set<String> SECRETS = Set.of("jwt.secret", "redis.password", "auth.api_keys",
                "callback.secret");

        @Mixin
        ConfigOptions options;

        @CommandLine.ParentCommand
        Main top;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ConfigLoader.LoadedConfig loaded = options.after(top.options).load();
            checkAsAStartWould(loaded.config());
            var out = spec.commandLine().getOut();
            out.println("# " + loaded.file().map(f -> "file " + f.toAbsolutePath()).orElse("no config file: built-in defaults"));
            String section = "";
            for (ConfigKey key : ConfigSchema.KEYS) {
                if (!key.section().equals(section)) {
                    section = key.section();
                    out.println();
                    out.println("[" + section + "]");
                }
                Object value = loaded.values().asMap().get(key.path());
                String source = loaded.values().source(key.path());
                long maxExpire = loaded.config().jwt().maxExpireSeconds();
                if (key.path().equals("jwt.max_expire") && !value.equals(maxExpire)) {
                    value = maxExpire; // left unset, it follows a longer jwt.expire
                    source = "jwt.expire";
                }
                out.printf("%s = %s    # %s%n", key.name(), render(key.path(), value), source);
            }
            loaded.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            out.println();
            out.println("# configuration is valid");
            return 0;
        }

        /**
         * What a start reads besides the values: the token keys (files, or the JWKS address, fetched), the log files
         * (whether they could be written: nothing is made), the TLS certificate and key, the Redis addresses.
         * Listening and connecting to Redis are left to the start.
         */
        private static void checkAsAStartWould(BrokerConfig config) {
            BrokerNode.tokenService(config.jwt());
            LogSetup.checkPathsWithoutWriting(config.log());
            HttpServer.checkTls(config.http());
            if (config.redis().configured()) {
                RedisEngine.checkSettings(config.redis());
            }
        }

        private static String render(String path, Object value) {
            if (SECRETS.contains(path) && value != null && !value.toString().isEmpty() && !"[]".equals(value.toString())) {
                return "\"<set>\"";
            }
            if (BrokerConfig.URL_KEYS.contains(path) && value instanceof String url) { // shown without credentials
                value = RedactedUrl.of(url);
            }
            if (value instanceof String s) {
                return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            }
            if (value instanceof List<?> list) {
                return list.stream().map(item -> "\"" + item + "\"").toList().toString();
            }
            return String.valueOf(value);
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "print the version")
    static final class VersionCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(new Version().getVersion()[0]);
            return 0;
        }
    }
}
