package io.ssebroker.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.ssebroker.auth.PublisherAuth;
import io.ssebroker.broker.RetryDelays;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.metrics.PrometheusEndpoint;
import io.ssebroker.metrics.Readiness;
import io.ssebroker.metrics.RefusalMeters;
import io.ssebroker.metrics.RequestMeters;
import io.ssebroker.sse.HeartbeatTimeout;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP listener: native epoll on Linux (NIO elsewhere), one pipeline per connection. */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    static final String CODEC = "http-codec";
    static final String AGGREGATOR = "http-aggregator";
    static final String ROUTER = "router";
    static final String H2C_PREFACE = "h2c-preface";
    static final String H2C_UPGRADE = "h2c-upgrade";
    static final String BODY_BUDGET = "h2-body-budget";
    /** Streams one HTTP/2 connection may hold at once: one browser's tabs, each with its event stream and requests. */
    private static final int MAX_CONCURRENT_STREAMS = 1000;
    /** How often addresses that hold nothing are forgotten by the per-address limits. */
    private static final long ADDRESS_SWEEP_SECONDS = 10;
    /** How long {@link #closeConnections} waits for the connections to close. */
    private static final long CLOSE_CONNECTIONS_SECONDS = 2;
    /** Header maps of the requests read (see {@link #smallTables}). */
    private static final HttpHeadersFactory REQUEST_HEADERS = smallTables(DefaultHttpHeadersFactory.headersFactory());
    private static final HttpHeadersFactory REQUEST_TRAILERS = smallTables(DefaultHttpHeadersFactory.trailersFactory());

    private final BrokerConfig config;
    private final Cors cors;
    private final SslContext tls;
    private volatile Router router;
    private volatile RequestMeters requestMeters;
    private volatile RefusalMeters refusals;
    /** TCP connections per peer; null when limits.max_connections_per_address is 0. */
    private volatile PeerConnectionLimit peerConnections;
    private final ClientAddress clientAddress;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    /** The open HTTP connections (each leaves the group when it closes), for {@link #closeConnections}. */
    private final ChannelGroup connections = new DefaultChannelGroup("http connections", ImmediateEventExecutor.INSTANCE);
    private final Class<? extends ServerChannel> channelType;
    private final String transport;
    /** Whether connections get {@code sse.heartbeat_timeout}: set, and on the epoll transport, which has the option. */
    private final boolean watchesHeartbeats;
    private Channel serverChannel;

    public HttpServer(BrokerConfig config) {
        this.config = config;
        this.cors = new Cors(config.http().corsOrigins());
        this.tls = config.http().tls() ? ServerTls.context(config.http()) : null;
        this.clientAddress = new ClientAddress(config.http().trustedProxies(),
                ClientAddress.Source.parse(config.http().clientAddressHeader()));
        boolean epoll = config.http().epoll() && Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        this.transport = epoll ? "epoll" : "nio";
        this.watchesHeartbeats = epoll && config.sse().heartbeatTimeoutSeconds() > 0;
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, factory);
        int threads = config.http().ioThreads() > 0 ? config.http().ioThreads() : Runtime.getRuntime().availableProcessors();
        this.workerGroup = new MultiThreadIoEventLoopGroup(threads, factory);
    }

    /** Reads the TLS certificate and key the way a start does, without listening: a mistake there is fatal. */
    public static void checkTls(BrokerConfig.Http http) {
        if (http.tls()) {
            ServerTls.context(http);
        }
    }

    /**
     * Binds without accepting yet and returns the address actually bound (the port is chosen when configured as 0),
     * so that the node can name itself before the first request.
     */
    public InetSocketAddress bind() throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                // The allocator of the message bodies and the Redis client: one pool for the process (and for its
                // metrics), and a frame copied from a shared body goes address to address, where Netty 4.2's default
                // adaptive allocator made two ByteBuffer views and a buffer object per copy.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                // No TCP_NODELAY child option: Netty's socket channels (epoll and NIO) turn Nagle off themselves on
                // creation, and setting it again would cost every connection a second system call.
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        initConnection(channel);
                    }
                });
        if (channelType == EpollServerSocketChannel.class) {
            // A connection is accepted once its first bytes (the request, a TLS hello, the HTTP/2 preface) have
            // arrived: its loop then registers it and reads the request in one wake-up instead of registering it,
            // sleeping and being woken again by the request. A peer that connects and sends nothing for a second
            // is accepted then, and the request timeouts apply from there.
            bootstrap.option(EpollChannelOption.TCP_DEFER_ACCEPT, 1);
        }
        if (watchesHeartbeats) {
            HeartbeatTimeout.setOn(bootstrap, config.sse().heartbeatTimeoutSeconds());
        } else if (config.sse().heartbeatTimeoutSeconds() > 0) {
            log.info("sse.heartbeat_timeout needs the epoll transport, which this node does not use (http.epoll = false,"
                    + " or no native epoll for this platform): on {}, a client that vanishes without closing its"
                    + " connection is noticed by TCP alone", transport);
        }
        String host = config.server().host();
        int port = config.server().port();
        ChannelFuture bound = bootstrap.bind(host, port).await();
        if (!bound.isSuccess()) {
            close();
            Throwable cause = bound.cause();
            if (cause instanceof UnresolvedAddressException || reason(cause).contains("Permission denied")) {
                // no restart mends a name that does not resolve, or a port the service may not bind
                throw new ConfigException("config error: server.host/server.port = " + host + ":" + port
                        + ": cannot listen there: " + reason(cause));
            }
            throw new CannotListenException("cannot listen on server.host/server.port = " + host + ":" + port + ": "
                    + reason(cause), cause);
        }
        serverChannel = bound.channel();
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * The node cannot listen where it is configured to: the address is in use, or not (yet) one of this host's. Not a
     * configuration error: an address that comes up later, a port freed, passes on a restart.
     */
    public static final class CannotListenException extends RuntimeException {
        CannotListenException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Why a bind failed, in the system's words (address in use, not an address of this host, permission denied). */
    private static String reason(Throwable cause) {
        if (cause instanceof UnresolvedAddressException) {
            return "no such host";
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    /**
     * TLS first when configured; then HTTP/1.1, or HTTP/2 when the client asks for it: by ALPN over TLS, by the
     * HTTP/2 preface (prior knowledge) or by {@code Upgrade: h2c} on cleartext.
     */
    private void initConnection(SocketChannel channel) {
        connections.add(channel);
        ChannelPipeline pipeline = channel.pipeline();
        if (watchesHeartbeats) {
            // first: it sees the socket's error before TLS or HTTP/2 handle it and close the connection
            pipeline.addLast(HeartbeatTimeout.NAME, HeartbeatTimeout.INSTANCE);
        }
        RequestTimeouts timeouts = new RequestTimeouts(channel, config.http().headerTimeoutSeconds(),
                config.http().bodyTimeoutSeconds(), config.http().keepAliveTimeoutSeconds(), refusals, cors);
        if (peerConnections != null) {
            pipeline.addLast(PeerConnectionLimit.NAME, peerConnections);
        }
        if (tls != null) {
            watchPromisedWrites(pipeline);
            pipeline.addLast(tls.newHandler(channel.alloc()),
                    new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
                        @Override
                        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                addHttp2(ctx.pipeline(), timeouts);
                            } else {
                                addHttp1(ctx.pipeline(), timeouts);
                            }
                        }
                    });
            return;
        }
        HttpServerCodec codec = addHttp1(pipeline, timeouts);
        if (config.http().h2()) {
            // After the pipelining: a pipelined upgrade waits for the answers to the requests before it, as any
            // request does, and never moves the connection to HTTP/2 under an answer still to come.
            pipeline.addBefore(RequestTimeouts.HEAD_BYTES, H2C_PREFACE,
                            new Http2PriorKnowledge(p -> switchToHttp2(p, timeouts)))
                    .addAfter(PipelinedRequests.NAME, H2C_UPGRADE, new BoundedUpgradeHandler(codec,
                            protocol -> h2cUpgrade(protocol, timeouts), config.limits().maxBodyBytes(), cors));
        }
    }

    /** TLS and HTTP/2 learn of a failed write through its promise: so must the heartbeat timeout's mark. */
    private void watchPromisedWrites(ChannelPipeline pipeline) {
        if (watchesHeartbeats && pipeline.get(HeartbeatTimeout.PROMISED_WRITES_NAME) == null) {
            pipeline.addAfter(HeartbeatTimeout.NAME, HeartbeatTimeout.PROMISED_WRITES_NAME,
                    HeartbeatTimeout.PROMISED_WRITES);
        }
    }

    private HttpServerCodec addHttp1(ChannelPipeline pipeline, RequestTimeouts timeouts) {
        BrokerConfig.Limits limits = config.limits();
        HttpServerCodec codec = new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxHeaderBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(65536)
                .setHeadersFactory(REQUEST_HEADERS)
                .setTrailersFactory(REQUEST_TRAILERS));
        pipeline.addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes());
        pipeline.addLast(CODEC, codec);
        // before the timeouts: a request waiting behind another one is not yet being received, its body not yet read
        pipeline.addLast(PipelinedRequests.NAME, new PipelinedRequests());
        pipeline.addLast(RequestTimeouts.NAME, timeouts);
        addRequestHandlers(pipeline);
        return codec;
    }

    /** What turns HTTP messages into answers: the same on an HTTP/1.1 connection and on each HTTP/2 stream. */
    private void addRequestHandlers(ChannelPipeline pipeline) {
        pipeline.addLast(RequestLogHandler.NAME, new RequestLogHandler(clientAddress, requestMeters, router::knows))
                .addLast(AGGREGATOR, new BoundedAggregator(config.limits().maxBodyBytes(), cors))
                .addLast(ROUTER, router);
    }

    private static void removeRequestHandlers(ChannelPipeline pipeline) {
        pipeline.remove(RequestTimeouts.NAME);
        pipeline.remove(PipelinedRequests.NAME);
        pipeline.remove(RequestLogHandler.NAME);
        pipeline.remove(AGGREGATOR);
        pipeline.remove(ROUTER);
    }

    /** HTTP/2: every stream is a child channel whose codec turns its frames into HTTP messages for the router. */
    private void addHttp2(ChannelPipeline pipeline, RequestTimeouts timeouts) {
        watchPromisedWrites(pipeline);
        Http2FrameCodec codec = http2FrameCodec();
        if (pipeline.get(RequestTimeouts.HEAD_BYTES) == null) {
            pipeline.addLast(RequestTimeouts.HEAD_BYTES, timeouts.headBytes()); // ALPN chose h2: no HTTP/1.1 before
        }
        pipeline.addLast(codec, multiplexer());
        timeouts.http2(codec);
    }

    private Http2FrameCodec http2FrameCodec() {
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .maxHeaderListSize(Http2HeaderLimit.advertised(config.limits().maxHeaderBytes())))
                .build();
    }

    /** An HTTP/2 connection's streams, with a budget of its own for the request bodies they hold at once. */
    private Http2MultiplexHandler multiplexer() {
        return new Http2MultiplexHandler(streamInitializer(new Http2BodyBudget(config.limits().maxBodyBytes(), cors)));
    }

    /**
     * Each stream's request is bounded like an HTTP/1.1 one: its head by limits.max_header_bytes, and its body must
     * arrive within http.body_timeout.
     */
    private ChannelInitializer<Http2StreamChannel> streamInitializer(Http2BodyBudget bodies) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.config().setAllocator(PooledByteBufAllocator.DEFAULT); // not inherited from the connection
                stream.pipeline().addLast(CODEC, new Http2StreamFrameToHttpObjectCodec(true))
                        .addLast(Http2HeaderLimit.NAME, new Http2HeaderLimit(config.limits().maxHeaderBytes()))
                        .addLast(RequestTimeouts.NAME, new RequestTimeouts(stream, config.http().headerTimeoutSeconds(),
                                config.http().bodyTimeoutSeconds(), config.http().keepAliveTimeoutSeconds(), refusals, cors));
                addRequestHandlers(stream.pipeline());
                stream.pipeline().addBefore(AGGREGATOR, BODY_BUDGET, bodies.stream());
            }
        };
    }

    /** Prior knowledge: the HTTP/1.1 handlers make way for HTTP/2's before the first request. */
    private void switchToHttp2(ChannelPipeline pipeline, RequestTimeouts timeouts) {
        pipeline.remove(CODEC);
        pipeline.remove(H2C_UPGRADE);
        removeRequestHandlers(pipeline);
        addHttp2(pipeline, timeouts);
    }

    /**
     * {@code Upgrade: h2c}: the upgrade handler removes the HTTP/1.1 codec and itself, the request handlers go when
     * HTTP/2's are added, and the upgrading request is answered on stream 1. A connection a trusted proxy upgraded for
     * a client is that client's tunnel.
     */
    private HttpServerUpgradeHandler.UpgradeCodec h2cUpgrade(CharSequence protocol, RequestTimeouts timeouts) {
        if (!AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)) {
            return null;
        }
        Http2FrameCodec codec = http2FrameCodec();
        return new TunnelledUpgrade(new Http2ServerUpgradeCodec(codec, multiplexer(),
                new ChannelHandlerAdapter() {
                    @Override
                    public void handlerAdded(ChannelHandlerContext ctx) {
                        removeRequestHandlers(ctx.pipeline());
                        watchPromisedWrites(ctx.pipeline());
                        ctx.pipeline().remove(this);
                        timeouts.http2(codec);
                    }
                }), clientAddress);
    }

    private String protocols() {
        if (tls != null) {
            return config.http().h2() ? "HTTPS with h2 and HTTP/1.1" : "HTTPS with HTTP/1.1";
        }
        return config.http().h2() ? "HTTP/1.1 and h2c" : "HTTP/1.1";
    }

    /**
     * Starts accepting connections, routed to these endpoints; every answer is timed into {@code requestMeters}.
     * {@code nodeAddress} (host:port) is the name under which local clients may reach the node besides loopback names.
     */
    public void serve(Map<String, PublisherEndpoint> publishers, StreamEndpoint events, PublisherAuth publisherAuth,
                      Readiness readiness, PrometheusEndpoint metrics, RequestMeters requestMeters,
                      RefusalMeters refusals, String nodeAddress) {
        this.requestMeters = requestMeters;
        this.refusals = refusals;
        BrokerConfig.Limits limits = config.limits();
        RetryDelays retryDelays = new RetryDelays(config.sse());
        AddressLimits streams = new AddressLimits(limits.maxConnectionsPerAddress(), limits.connectsPerSecondPerAddress(),
                retryDelays);
        AddressLimits peers = new AddressLimits(limits.maxConnectionsPerAddress(), 0, retryDelays);
        if (peers.enabled()) {
            peerConnections = new PeerConnectionLimit(peers, clientAddress, refusals);
        }
        workerGroup.next().scheduleAtFixedRate(() -> {
            streams.sweep();
            peers.sweep();
        }, ADDRESS_SWEEP_SECONDS, ADDRESS_SWEEP_SECONDS, TimeUnit.SECONDS);
        router = new Router(publishers, events, publisherAuth, cors,
                new ForeignPageRequests(cors, nodeAddress), clientAddress, streams, refusals,
                new StaticPage("/static/index.html", "text/html; charset=utf-8"),
                new StaticPage("/client/sse-broker.js", "text/javascript; charset=utf-8"),
                new StaticPage("/api/openapi.yaml", "application/yaml; charset=utf-8"),
                limits.maxUnsentBytes(), readiness, metrics);
        serverChannel.config().setAutoRead(true);
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        log.info("listening on {}:{} ({}, {} transport)", bound.getHostString(), bound.getPort(), protocols(), transport);
    }

    /**
     * One of the event loops, lent to a client of this node that runs its own connections on it (the Redis engine):
     * what that loop serves then calls the client, and is answered, without a hand-over to another thread. The client
     * must be closed between {@link #closeConnections} and {@link #close}, which stops the loop.
     */
    public EventLoop lendLoop() {
        return workerGroup.next();
    }

    /** Stops accepting connections; open ones stay. */
    public void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
    }

    /**
     * Closes every HTTP connection, and waits (a few seconds at most) until they are closed; the event loops run on,
     * for the clients they were lent to.
     */
    public void closeConnections() {
        stopAccepting();
        connections.close().awaitUninterruptibly(CLOSE_CONNECTIONS_SECONDS, TimeUnit.SECONDS);
    }

    /** Closes every connection left and stops the event loops. */
    @Override
    public void close() {
        stopAccepting();
        bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Header maps with the smallest hash table (two buckets; Netty's maps never grow theirs): a request's trailers
     * are nearly always none, its headers a handful, read a few times each. The default table of sixteen made the
     * maps a large part of what parsing a request allocates.
     */
    private static HttpHeadersFactory smallTables(HttpHeadersFactory factory) {
        return new HttpHeadersFactory() {
            @Override
            public HttpHeaders newHeaders() {
                return factory.newEmptyHeaders();
            }

            @Override
            public HttpHeaders newEmptyHeaders() {
                return factory.newEmptyHeaders();
            }
        };
    }

    /** Answers a body over {@code limits.max_body_bytes} with the 413 envelope instead of Netty's bare answer. */
    private static final class BoundedAggregator extends HttpObjectAggregator {
        private static final String TOO_LARGE = "request body larger than limits.max_body_bytes";

        private final Cors cors;

        BoundedAggregator(int maxBodyBytes, Cors cors) {
            super(maxBodyBytes, true); // a refused expectation closes the connection: its body is never read
            this.cors = cors;
        }

        /**
         * A body announced with {@code Expect: 100-continue} over the limit, or another expectation, is refused before
         * it is sent: with the envelope (413, 417) instead of Netty's bare answer, then the connection closes.
         */
        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            return withEnvelope(super.newContinueResponse(start, maxContentLength, pipeline), start, pipeline.context(this), cors);
        }

        /** Netty's answer to an expectation, with the envelope in place of its bare refusal (413, 417). */
        static Object withEnvelope(Object answer, HttpMessage start, ChannelHandlerContext ctx, Cors cors) {
            if (!(answer instanceof HttpResponse refusal) || refusal.status().codeClass() != HttpStatusClass.CLIENT_ERROR) {
                return answer;
            }
            int status = refusal.status().code();
            ReferenceCountUtil.release(answer);
            String origin = start.headers().get(io.netty.handler.codec.http.HttpHeaderNames.ORIGIN);
            String reason = status == 413 ? TOO_LARGE : "Expect: only 100-continue is supported";
            FullHttpResponse envelope = new Responder(ctx, false, origin, cors, System.nanoTime()).response(
                    HttpResponseStatus.valueOf(status), Envelope.failure(ctx.alloc(), status, reason, System.nanoTime()),
                    "application/json; charset=utf-8");
            HttpUtil.setKeepAlive(envelope, false);
            return envelope;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            refuseTooLarge(ctx, oversized, cors);
        }

        static void refuseTooLarge(ChannelHandlerContext ctx, HttpMessage oversized, Cors cors) {
            String origin = oversized.headers().get(io.netty.handler.codec.http.HttpHeaderNames.ORIGIN);
            new Responder(ctx, false, origin, cors, System.nanoTime())
                    .failure(413, TOO_LARGE);
            HttpUtil.setKeepAlive(oversized, false);
        }
    }

    /**
     * Netty's upgrade handler reads an upgrading request whole (it is an aggregator of its own, before ours): a body
     * over the limit is refused with the envelope there too, not with Netty's bare answer.
     */
    private static final class BoundedUpgradeHandler extends HttpServerUpgradeHandler {
        private final Cors cors;

        BoundedUpgradeHandler(SourceCodec codec, UpgradeCodecFactory upgrades, int maxBodyBytes, Cors cors) {
            super(codec, upgrades, maxBodyBytes);
            this.cors = cors;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            BoundedAggregator.refuseTooLarge(ctx, oversized, cors);
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            return BoundedAggregator.withEnvelope(super.newContinueResponse(start, maxContentLength, pipeline), start,
                    pipeline.context(this), cors);
        }

        /** As the request handlers' aggregator: a refused expectation closes the connection, its body is never read. */
        @Override
        protected boolean closeAfterContinueResponse(Object msg) {
            return ignoreContentAfterContinueResponse(msg);
        }
    }
}
