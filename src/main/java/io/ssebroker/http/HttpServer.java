package io.ssebroker.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.ssebroker.auth.PublisherAuth;
import io.ssebroker.config.BrokerConfig;
import java.net.InetSocketAddress;
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

    private final BrokerConfig config;
    private final Cors cors;
    private volatile Router router;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Class<? extends ServerChannel> channelType;
    private final String transport;
    private Channel serverChannel;

    public HttpServer(BrokerConfig config) {
        this.config = config;
        this.cors = new Cors(config.http().corsOrigins());
        boolean epoll = config.http().epoll() && Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        this.transport = epoll ? "epoll" : "nio";
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, factory);
        int threads = config.http().ioThreads() > 0 ? config.http().ioThreads() : Runtime.getRuntime().availableProcessors();
        this.workerGroup = new MultiThreadIoEventLoopGroup(threads, factory);
    }

    /**
     * Binds without accepting yet and returns the address actually bound (the port is chosen when configured as 0),
     * so that the node can name itself before the first request.
     */
    public InetSocketAddress bind() throws InterruptedException {
        BrokerConfig.Limits limits = config.limits();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(CODEC, new HttpServerCodec(limits.maxHeaderBytes(), limits.maxHeaderBytes(), 65536))
                                .addLast(AGGREGATOR, new BoundedAggregator(limits.maxBodyBytes(), cors))
                                .addLast(ROUTER, router);
                    }
                });
        serverChannel = bootstrap.bind(config.server().host(), config.server().port()).sync().channel();
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Starts accepting connections, routed to these endpoints. */
    public void serve(Map<String, PublisherEndpoint> publishers, StreamEndpoint events, PublisherAuth publisherAuth) {
        router = new Router(publishers, events, publisherAuth, cors,
                new ClientAddress(config.http().trustedProxies()), new StaticPage("/static/index.html"),
                config.limits().maxUnsentBytes());
        serverChannel.config().setAutoRead(true);
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        log.info("listening on {}:{} ({} transport)", bound.getHostString(), bound.getPort(), transport);
    }

    /** Stops accepting connections; open ones stay. */
    public void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        stopAccepting();
        bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers a body over {@code limits.max_body_bytes} with the 413 envelope instead of Netty's bare answer. */
    private static final class BoundedAggregator extends HttpObjectAggregator {
        private final Cors cors;

        BoundedAggregator(int maxBodyBytes, Cors cors) {
            super(maxBodyBytes);
            this.cors = cors;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            String origin = oversized.headers().get(io.netty.handler.codec.http.HttpHeaderNames.ORIGIN);
            new Responder(ctx, false, origin, cors, System.nanoTime())
                    .failure(413, "request body larger than limits.max_body_bytes");
            HttpUtil.setKeepAlive(oversized, false);
        }
    }
}
