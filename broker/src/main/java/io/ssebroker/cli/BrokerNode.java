package io.ssebroker.cli;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.ssebroker.api.EventsApi;
import io.ssebroker.api.InfoApi;
import io.ssebroker.api.KickApi;
import io.ssebroker.api.SendApi;
import io.ssebroker.api.TokenApi;
import io.ssebroker.auth.PublisherAuth;
import io.ssebroker.auth.TokenService;
import io.ssebroker.broker.Broker;
import io.ssebroker.callback.WebhookDispatcher;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.config.RedactedUrl;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.memory.MemoryEngine;
import io.ssebroker.engine.redis.RedisEngine;
import io.ssebroker.http.ForeignPageRequests;
import io.ssebroker.http.HttpServer;
import io.ssebroker.http.PublisherEndpoint;
import io.ssebroker.metrics.BrokerMeters;
import io.ssebroker.metrics.MeteredEngine;
import io.ssebroker.metrics.NodeMetrics;
import io.ssebroker.metrics.PrometheusEndpoint;
import io.ssebroker.metrics.Readiness;
import io.ssebroker.metrics.RefusalMeters;
import io.ssebroker.metrics.RequestMeters;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running broker node: engine, broker and HTTP listener wired from a configuration. */
public final class BrokerNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerNode.class);
    private static final long JWKS_REFRESH_MINUTES = 5;
    /** How long /readyz waits for the engine canary to come back. */
    private static final Duration READINESS_DEADLINE = Duration.ofSeconds(2);
    /** How long the connections closed at the end of a shutdown get to leave the engine. */
    private static final long DETACH_AFTER_CLOSE_MILLIS = 2_000;

    private final BrokerConfig config;
    private final TokenService tokens;
    private final PublisherAuth publisherAuth;
    private HttpServer server;
    private Broker broker;
    private Engine engine;
    private NodeMetrics metrics;
    private Readiness readiness;
    private WebhookDispatcher webhook;
    private ScheduledExecutorService jwksRefresher;
    private InetSocketAddress address;
    private boolean stopped;

    public BrokerNode(BrokerConfig config) {
        this.config = config;
        this.tokens = tokenService(config.jwt());
        this.publisherAuth = new PublisherAuth(config.auth().apiKeys());
    }

    /**
     * The token service of these settings; keys that cannot be read or decoded are a configuration error (a key
     * server that does not answer is not: {@link io.ssebroker.auth.JwksUnreachableException}).
     */
    static TokenService tokenService(BrokerConfig.Jwt jwt) {
        try {
            return new TokenService(jwt);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config error: " + e.getMessage());
        }
    }

    /** Starts listening; returns the bound address. */
    public synchronized InetSocketAddress start() throws InterruptedException {
        server = new HttpServer(config);
        address = server.bind();
        String nodeAddress = config.server().address().isBlank()
                ? advertisedHost(config.server().host()) + ":" + address.getPort() : config.server().address();
        metrics = new NodeMetrics();
        StateChangeListener listener = StateChangeListener.NONE;
        if (config.callback().configured()) {
            // With the Redis engine the offline grace is applied in Redis, across the cluster.
            BrokerConfig.Callback callback = config.redis().configured() ? config.callback().withGraceInEngine() : config.callback();
            webhook = new WebhookDispatcher(callback, new StateChangeJson(nodeAddress), metrics.registry());
            listener = webhook;
        }
        Engine store = config.redis().configured()
                ? new RedisEngine(config, nodeAddress, Version.number(), listener, server.lendLoop())
                : new MemoryEngine(config, nodeAddress, Version.number(), listener);
        engine = new MeteredEngine(store, metrics.registry());
        RefusalMeters refusals = new RefusalMeters(metrics.registry());
        broker = new Broker(engine, config, nodeAddress, new BrokerMeters(metrics.registry(), refusals));
        readiness = new Readiness(engine, READINESS_DEADLINE);
        try {
            broker.start();
        } catch (RuntimeException e) {
            engine.close();
            server.close();
            if (webhook != null) {
                webhook.close(0);
            }
            metrics.close();
            throw new EngineStartException("cannot start the " + engineName() + " engine: " + e.getMessage(), e);
        }
        Map<String, PublisherEndpoint> publishers = Map.of(
                "/token", new TokenApi(tokens, config.jwt()),
                "/send", new SendApi(engine, broker.broadcastBacklog(), config.limits()),
                "/kick", new KickApi(engine, config.limits()),
                "/info", new InfoApi(broker));
        server.serve(publishers, new EventsApi(tokens, broker, config.jwt().requireDevice()), publisherAuth, readiness,
                new PrometheusEndpoint(metrics, broker, engine), new RequestMeters(metrics.registry()), refusals,
                nodeAddress);
        if (tokens.usesJwks()) {
            jwksRefresher = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("jwks-refresh", true));
            jwksRefresher.scheduleWithFixedDelay(this::refreshJwks, JWKS_REFRESH_MINUTES, JWKS_REFRESH_MINUTES, TimeUnit.MINUTES);
        }
        logStartup(nodeAddress);
        return address;
    }

    public InetSocketAddress address() {
        return address;
    }

    public TokenService tokens() {
        return tokens;
    }

    /** Graceful shutdown: stop accepting, tell every client {@code sys_instance_close}, close, release. */
    @Override
    public synchronized void close() {
        if (stopped || server == null) {
            return;
        }
        stopped = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.server().shutdownTimeoutSeconds());
        readiness.startDraining();
        server.stopAccepting();
        boolean drained = broker.drain(config.server().shutdownTimeoutSeconds() * 1000L);
        if (!drained) {
            log.warn("{} connections still open after server.shutdown_timeout; closing them", broker.connectionCount());
        }
        if (jwksRefresher != null) {
            jwksRefresher.shutdownNow();
        }
        // The connections end before the engine (their devices leave it while it runs: a device's removal follows its
        // connection's close as a task of its own), the engine before the event loops stop (the Redis engine runs its
        // connections on one of them).
        server.closeConnections();
        if (!broker.awaitDetached(DETACH_AFTER_CLOSE_MILLIS)) {
            log.warn("{} connections had not left the engine when it closed", broker.connectionCount());
        }
        // The webhook before the engine: the offline changes of the drain are in its backlog now, and the Redis engine
        // records each change posted as finished; what the webhook leaves unposted stays recorded, and the node stays
        // in the cluster for a survivor to post it.
        if (webhook != null) {
            webhook.close(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        try {
            engine.close();
        } finally {
            server.close();
        }
        metrics.close();
        log.info("stopped");
    }

    private void refreshJwks() {
        try {
            tokens.reloadPublicKeys();
        } catch (RuntimeException e) {
            log.warn("JWKS refresh failed, keeping the previous keys: {}", e.getMessage());
        }
    }

    private String engineName() {
        if (!config.redis().configured()) {
            return "memory";
        }
        return config.redis().sentinelMaster().isEmpty()
                ? "redis " + config.redis().addrs()
                : "redis sentinel " + config.redis().sentinelMaster() + " " + config.redis().sentinelAddrs();
    }

    /** The engine could not start (Redis unreachable, say); the node does not run. */
    public static final class EngineStartException extends RuntimeException {
        EngineStartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static String orElse(String value, String fallback) {
        return value.isEmpty() ? fallback : value;
    }

    /** The host part of the node's address: an IPv6 literal in brackets, as in a URL and a Host header. */
    static String advertisedHost(String host) {
        if (host.equals("0.0.0.0") || host.equals("::")) {
            return "127.0.0.1";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private void logStartup(String nodeAddress) {
        log.info("sse-broker {} node {} started: engine={}, publisher auth={}, history={} messages / {}s per stream, "
                        + "heartbeat={}s, max connections={}",
                Version.number(), nodeAddress, engineName(),
                publisherAuth.keysConfigured() ? "API key" : "local clients only", config.sse().historySize(),
                config.sse().historyExpireSeconds(), config.sse().heartbeatIntervalSeconds(),
                config.limits().maxConnections());
        BrokerConfig.Log logs = config.log();
        log.info("webhook: {}; logs: level={}, format={}, main log={}, error log={}, access log={}; "
                        + "/healthz, /readyz open; /metrics under the publisher API's auth",
                webhook == null ? "off" : webhook.describe(), logs.level(), logs.format(),
                orElse(logs.brokerLogPath(), "console"), orElse(logs.errorLogPath(), "none"),
                orElse(logs.accessLogPath(), "off"));
        if (config.jwt().secretGenerated()) {
            log.warn("jwt.secret is not set: a random secret was generated for this run; tokens will not survive a "
                    + "restart and other nodes cannot verify them. Set [jwt] secret.");
        }
        log.info("connect tokens: HMAC {}{}{}", config.jwt().algorithm(),
                config.jwt().publicKey().isBlank() ? "" : ", public key from jwt.public_key",
                config.jwt().jwksUrl().isBlank() ? "" : ", keys from " + RedactedUrl.of(config.jwt().jwksUrl()));
        boolean otherIssuers = !config.jwt().publicKey().isBlank() || !config.jwt().jwksUrl().isBlank();
        if (otherIssuers && config.jwt().maxLifetimeSeconds() == 0) {
            log.warn("jwt.max_lifetime is not set: a token of another issuer that lives longer than jwt.max_expire ({} s) "
                    + "is accepted again once a kick's revocation of it has expired, after that long; set jwt.max_lifetime",
                    config.jwt().maxExpireSeconds());
        }
        String jwksUrl = config.jwt().jwksUrl().trim();
        String jwksHost = jwksUrl.isEmpty() ? null : URI.create(jwksUrl).getHost();
        if (jwksUrl.regionMatches(true, 0, "http:", 0, 5)
                && (jwksHost == null || !ForeignPageRequests.isLoopbackName(jwksHost))) {
            log.warn("jwt.jwks_url is plain http to another host: whoever is on the way can hand this node keys of its "
                    + "own and sign tokens for any user; use https");
        }
        if (publisherAuth.keysConfigured()) {
            log.info("publisher API (/token, /send, /kick, /info): API key required ({} configured)",
                    config.auth().apiKeys().size());
        } else {
            log.warn("publisher API (/token, /send, /kick, /info): no auth.api_keys configured; served to local clients "
                    + "only (loopback connections not forwarded by a proxy, naming the node 127.0.0.1, localhost or {}; "
                    + "not other sites' pages in a browser)", nodeAddress);
        }
    }
}
