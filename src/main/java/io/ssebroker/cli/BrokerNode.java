package io.ssebroker.cli;

import io.ssebroker.api.EventsApi;
import io.ssebroker.api.InfoApi;
import io.ssebroker.api.KickApi;
import io.ssebroker.api.SendApi;
import io.ssebroker.api.TokenApi;
import io.ssebroker.auth.PublisherAuth;
import io.ssebroker.auth.TokenService;
import io.ssebroker.broker.Broker;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.memory.MemoryEngine;
import io.ssebroker.http.HttpServer;
import io.ssebroker.http.PublisherEndpoint;
import java.net.InetSocketAddress;
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

    private final BrokerConfig config;
    private final TokenService tokens;
    private final PublisherAuth publisherAuth;
    private final StateChangeListener stateChanges;
    private HttpServer server;
    private Broker broker;
    private Engine engine;
    private ScheduledExecutorService jwksRefresher;
    private InetSocketAddress address;
    private boolean stopped;

    public BrokerNode(BrokerConfig config) {
        this(config, StateChangeListener.NONE);
    }

    /** A node that reports presence changes to {@code stateChanges} (callbacks, tests). */
    public BrokerNode(BrokerConfig config, StateChangeListener stateChanges) {
        this.stateChanges = stateChanges;
        if (config.redis().configured()) {
            throw new ConfigException("config error: redis.addrs = " + config.redis().addrs()
                    + ": this build runs the single-node memory engine only; remove [redis] addrs to start");
        }
        this.config = config;
        try {
            this.tokens = new TokenService(config.jwt());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config error: " + e.getMessage());
        }
        this.publisherAuth = new PublisherAuth(config.auth().apiKeys());
    }

    /** Starts listening; returns the bound address. */
    public synchronized InetSocketAddress start() throws InterruptedException {
        server = new HttpServer(config);
        address = server.bind();
        String nodeAddress = config.server().address().isBlank()
                ? advertisedHost() + ":" + address.getPort() : config.server().address();
        engine = new MemoryEngine(config, nodeAddress, Version.number(), stateChanges);
        broker = new Broker(engine, config, nodeAddress);
        broker.start();
        Map<String, PublisherEndpoint> publishers = Map.of(
                "/token", new TokenApi(tokens, config.jwt()),
                "/send", new SendApi(engine, config.limits()),
                "/kick", new KickApi(engine, config.limits()),
                "/info", new InfoApi(broker));
        server.serve(publishers, new EventsApi(tokens, broker), publisherAuth);
        if (tokens.usesJwks()) {
            jwksRefresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "jwks-refresh");
                thread.setDaemon(true);
                return thread;
            });
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
        server.stopAccepting();
        boolean drained = broker.drain(config.server().shutdownTimeoutSeconds() * 1000L);
        if (!drained) {
            log.warn("{} connections still open after server.shutdown_timeout; closing them", broker.connectionCount());
        }
        if (jwksRefresher != null) {
            jwksRefresher.shutdownNow();
        }
        server.close();
        engine.close();
        log.info("stopped");
    }

    private void refreshJwks() {
        try {
            tokens.reloadPublicKeys();
        } catch (RuntimeException e) {
            log.warn("JWKS refresh failed, keeping the previous keys: {}", e.getMessage());
        }
    }

    private String advertisedHost() {
        String host = config.server().host();
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    }

    private void logStartup(String nodeAddress) {
        log.info("sse-broker {} node {} started: engine=memory, history={} messages / {}s per stream, heartbeat={}s",
                Version.number(), nodeAddress, config.sse().historySize(), config.sse().historyExpireSeconds(),
                config.sse().heartbeatIntervalSeconds());
        if (config.jwt().secretGenerated()) {
            log.warn("jwt.secret is not set: a random secret was generated for this run; tokens will not survive a "
                    + "restart and other nodes cannot verify them. Set [jwt] secret.");
        }
        log.info("connect tokens: HMAC {}{}{}", config.jwt().algorithm(),
                config.jwt().publicKey().isBlank() ? "" : ", public key from jwt.public_key",
                config.jwt().jwksUrl().isBlank() ? "" : ", keys from " + config.jwt().jwksUrl());
        if (publisherAuth.keysConfigured()) {
            log.info("publisher API (/token, /send, /kick, /info): API key required ({} configured)",
                    config.auth().apiKeys().size());
        } else {
            log.warn("publisher API (/token, /send, /kick, /info): no auth.api_keys configured; served to loopback clients only");
        }
    }
}
