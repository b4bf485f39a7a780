package io.ssebroker.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client's event loops and socket type (native epoll on Linux, NIO elsewhere). Connections to a loopback
 * server leave from 127.0.0.1 … 127.0.0.n in turn, with the port picked at connect time, so that tens of
 * thousands of connections and back-to-back runs never run out of ephemeral ports.
 */
final class ClientTransport implements AutoCloseable {
    private final EventLoopGroup group;
    private final boolean epoll;
    private final List<InetAddress> sources = new ArrayList<>();
    private final AtomicInteger nextSource = new AtomicInteger();

    ClientTransport(int threads, int sourceAddresses) {
        epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(threads, factory);
        for (int i = 1; i <= sourceAddresses; i++) {
            try {
                sources.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) i}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    EventLoopGroup group() {
        return group;
    }

    Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    Bootstrap bootstrap(ChannelHandler initializer) {
        Class<? extends SocketChannel> type = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Bootstrap bootstrap = new Bootstrap().group(group).channel(type)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(initializer);
        if (epoll) {
            bootstrap.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        return bootstrap;
    }

    ChannelFuture connect(Bootstrap bootstrap, InetSocketAddress server) {
        if (!server.getAddress().isLoopbackAddress() || sources.isEmpty()) {
            return bootstrap.connect(server);
        }
        InetAddress source = sources.get(Math.floorMod(nextSource.getAndIncrement(), sources.size()));
        return bootstrap.connect(server, new InetSocketAddress(source, 0));
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
