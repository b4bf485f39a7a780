package io.ssebroker.callback;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The webhook's HTTP/1.1 client. It keeps connections alive per origin and reuses them, one post at a time on each
 * (no pipelining: a slow answer holds only its own connection), and reports each post's status or failure. All of
 * it runs on one event loop, the webhook's, which also runs the dispatcher: an answer reaches the dispatcher
 * without a hand-over to another thread. Redirects are not followed (a signed body goes where it was configured to,
 * only).
 *
 * <p>Where an HTTP proxy is set for a URL ({@link WebhookProxies}: the JVM's settings, or the environment's
 * {@code HTTPS_PROXY}, {@code HTTP_PROXY}, {@code NO_PROXY}), an {@code https} post goes through a tunnel the proxy
 * opens ({@code CONNECT}), with TLS to the receiver inside it (the proxy sees neither the body nor its signature); an
 * {@code http} post goes to the proxy with the URL in full in its request line. The proxy's name is resolved here,
 * the receiver's by the proxy.
 *
 * <p>A kept connection that the server closed while it sat idle shows it only when used. A post on a kept connection
 * that closes before any byte of an answer goes once more, at once, on a new connection, within the same attempt
 * and deadline (the receiver drops a duplicate by its {@code X-SSE-Delivery}, should the first have reached it).
 *
 * <p>Host names are resolved by the JDK's resolver (which caches them), and proxies looked up, on a thread of the
 * client's own, since both may block: a slow DNS delays the connections to that host, not the loop and its timers.
 */
final class WebhookClient {
    /** Idle connections close after this long unused, before most servers' keep-alive timeouts close them. */
    static final long IDLE_MILLIS = 20_000;
    private static final int MAX_INITIAL_LINE = 4096;
    /** An answer's head may be large (cookies, a CDN's headers): it is read, and only its status kept. */
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_CHUNK_BYTES = 8192;

    private final EventLoop loop;
    private final long timeoutMillis;
    private final long idleMillis;
    private final Supplier<SslContext> tls;
    private final WebhookProxies proxies;
    private final Bootstrap bootstrap;
    private final ExecutorService resolver = Executors.newSingleThreadExecutor(
            new DefaultThreadFactory("webhook-resolver", true));
    private final Map<WebhookOrigin, ArrayDeque<WebhookConnection>> idle = new HashMap<>();
    private final Set<WebhookConnection> open = new HashSet<>();
    private SslContext tlsContext;
    private boolean closed;

    /**
     * Posts time out after {@code timeoutMillis}, idle connections close after {@code idleMillis}; {@code tls} makes the
     * client TLS context, once, for the first {@code https} post; {@code proxies} names the proxy of each origin (null:
     * none).
     */
    WebhookClient(EventLoop loop, long timeoutMillis, long idleMillis, Supplier<SslContext> tls, WebhookProxies proxies) {
        this.loop = loop;
        this.timeoutMillis = timeoutMillis;
        this.idleMillis = idleMillis;
        this.tls = tls;
        this.proxies = proxies;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis));
    }

    /** Sends the post on an idle connection to its origin, or on a new one. On the loop. */
    void post(WebhookPost post) {
        if (closed) {
            post.fail(new IllegalStateException("the webhook client is closed"));
            return;
        }
        post.startDeadline(loop, timeoutMillis);
        WebhookConnection kept = takeIdle(post.origin());
        if (kept != null) {
            kept.send(post);
        } else {
            connect(post);
        }
    }

    /** Closes every connection; posts in flight fail. On the loop. */
    void close() {
        closed = true;
        resolver.shutdownNow();
        idle.clear();
        new ArrayList<>(open).forEach(WebhookConnection::close);
    }

    /** How long a post's answer may take, and the rest of its body once its outcome is known. */
    long timeoutMillis() {
        return timeoutMillis;
    }

    /** How many connections are open or opening, idle or busy. On the loop. */
    int openConnections() {
        return open.size();
    }

    /** A connection whose answer was read to its end, free for the next post to its origin. */
    void idle(WebhookConnection connection) {
        if (closed || !connection.isOpen()) {
            connection.close();
            return;
        }
        // Most recently used first, so that connections a burst opened and no longer needs go idle and close.
        idle.computeIfAbsent(connection.origin(), origin -> new ArrayDeque<>()).push(connection);
    }

    /** A connection closed (by either side): it is no longer open, nor idle. */
    void closed(WebhookConnection connection) {
        open.remove(connection);
        ArrayDeque<WebhookConnection> waiting = idle.get(connection.origin());
        if (waiting != null) {
            waiting.remove(connection);
        }
    }

    /**
     * A post failed on its connection; {@code keptAndSilent} when that connection had carried posts before and closed
     * (or failed) before any byte of this one's answer: then the post goes once more, on a new connection.
     */
    void failed(WebhookPost post, Throwable cause, boolean keptAndSilent) {
        if (keptAndSilent && !closed && post.maySendAgain()) {
            connect(post);
            return;
        }
        post.fail(cause);
    }

    /**
     * The TLS context of {@code https} webhooks: the JVM's default one, with its trusted certificate authorities (its
     * {@code cacerts}, or {@code javax.net.ssl.trustStore}) and its client certificate, if any
     * ({@code javax.net.ssl.keyStore}), for receivers that ask for one. The host is checked on each connection.
     */
    static SslContext jvmTls() {
        try {
            return new JdkSslContext(SSLContext.getDefault(), true, ClientAuth.NONE);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot make the webhook's TLS context: " + e.getMessage(), e);
        }
    }

    private WebhookConnection takeIdle(WebhookOrigin origin) {
        ArrayDeque<WebhookConnection> waiting = idle.get(origin);
        while (waiting != null && !waiting.isEmpty()) {
            WebhookConnection connection = waiting.pop();
            if (connection.isOpen()) {
                return connection;
            }
        }
        return null;
    }

    /**
     * Finds the host to connect to, the post's or its proxy's, and resolves it, then connects to it. Off the loop, as
     * both may block (a DNS lookup; the system's proxy settings): inline only for an IP address with no proxy
     * selector to ask.
     */
    private void connect(WebhookPost post) {
        WebhookOrigin origin = post.origin();
        if (proxies == null && (NetUtil.isValidIpV4Address(origin.address()) || NetUtil.isValidIpV6Address(origin.address()))) {
            connect(post, new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(origin.address()), origin.port()),
                    null);
            return;
        }
        try {
            resolver.execute(() -> {
                WebhookProxies.Via proxy;
                try {
                    proxy = proxies == null ? null : proxies.forOrigin(origin);
                } catch (RuntimeException e) {
                    onLoop(() -> post.fail(e));
                    return;
                }
                String host = proxy != null ? proxy.address().getHostString() : origin.address();
                // an IP address is parsed, a name looked up
                InetSocketAddress address = new InetSocketAddress(host, proxy != null ? proxy.address().getPort() : origin.port());
                onLoop(() -> {
                    if (address.isUnresolved()) {
                        post.fail(new UnknownHostException(proxy != null ? "webhook proxy " + host : host));
                    } else if (!post.reported()) {
                        connect(post, address, proxy);
                    }
                });
            });
        } catch (RejectedExecutionException closedMeanwhile) {
            post.fail(closedMeanwhile);
        }
    }

    /**
     * Connects to {@code address}: the origin's, or, with a {@code proxy}, the proxy's (a tunnel for {@code https},
     * requests with the URL in full for {@code http}).
     */
    private void connect(WebhookPost post, InetSocketAddress address, WebhookProxies.Via proxy) {
        if (closed) { // a lookup that ended after the client closed
            post.fail(new IllegalStateException("the webhook client is closed"));
            return;
        }
        WebhookOrigin origin = post.origin();
        SslContext context;
        try {
            context = origin.tls() ? tlsContext() : null;
        } catch (RuntimeException e) {
            post.fail(e);
            return;
        }
        boolean tunnel = proxy != null && context != null;
        WebhookConnection connection = new WebhookConnection(this, origin, tunnel ? null : proxy);
        Bootstrap connecting = bootstrap.clone()
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        ChannelPipeline pipeline = channel.pipeline();
                        if (tunnel) {
                            // holds what the handlers behind it write (TLS's hello first) until the tunnel is open
                            HttpProxyHandler tunnelHandler = proxy.username() == null ? new HttpProxyHandler(address)
                                    : new HttpProxyHandler(address, proxy.username(), proxy.password());
                            tunnelHandler.setConnectTimeoutMillis(timeoutMillis);
                            pipeline.addLast(tunnelHandler);
                        }
                        if (context != null) {
                            SslHandler tls = context.newHandler(channel.alloc(), origin.address(), origin.port());
                            SSLParameters parameters = tls.engine().getSSLParameters();
                            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
                            tls.engine().setSSLParameters(parameters);
                            pipeline.addLast(tls);
                        }
                        pipeline.addLast(new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, MAX_CHUNK_BYTES),
                                new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS), connection);
                    }
                });
        // through a tunnel the channel is asked for the receiver's name, unresolved, and the proxy handler connects
        // to the proxy and asks it for that name
        ChannelFuture connected = tunnel
                ? connecting.resolver(NoopAddressResolverGroup.INSTANCE)
                        .connect(InetSocketAddress.createUnresolved(origin.address(), origin.port()))
                : connecting.connect(address);
        open.add(connection);
        // Forgotten when the channel closes, however: a tunnel that closes before the proxy opened it ends with the
        // proxy handler, and the connection's handler never hears that it went inactive.
        connected.channel().closeFuture().addListener(channelClosed -> closed(connection));
        post.on(connected.channel());
        connected.addListener(done -> onLoop(() -> {
            if (!done.isSuccess()) {
                open.remove(connection);
                post.fail(done.cause());
            } else if (post.reported()) { // the deadline passed while connecting
                connection.close();
            } else {
                connection.send(post);
            }
        }));
    }

    /**
     * Runs a step on the loop: a connection that could not even be made (no file descriptor left, say) reports on
     * Netty's global executor, and a lookup ends on the resolver's thread.
     */
    private void onLoop(Runnable step) {
        if (loop.inEventLoop()) {
            step.run();
            return;
        }
        try {
            loop.execute(step);
        } catch (RejectedExecutionException stopped) {
            // the webhook stopped: its posts are abandoned with it
        }
    }

    private SslContext tlsContext() {
        if (tlsContext == null) {
            tlsContext = tls.get();
        }
        return tlsContext;
    }
}
