package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.resource.Transports;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RedisIoThreadTest {

    @Test
    void runsOnALoopOfLettucesTransportOnly() {
        boolean lettuceUsesEpoll = EpollSocketChannel.class.isAssignableFrom(Transports.socketChannelClass());
        assertThat(canRunOnLoopOf(lettuceUsesEpoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory())).isTrue();
        if (lettuceUsesEpoll) {
            assertThat(canRunOnLoopOf(NioIoHandler.newFactory())).isFalse();
        }
        EventLoop plain = new DefaultEventLoop();
        try {
            assertThat(RedisIoThread.canRunOn(plain)).isFalse();
        } finally {
            plain.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aLentLoopIsLettucesOnlyThreadAndOutlivesTheEngine() {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = group.next();
            RedisIoThread thread = new RedisIoThread(loop);
            assertThat(thread.executor()).isSameAs(loop);
            EventLoopGroup allocated = thread.provider().allocate(EventLoopGroup.class);
            assertThat(allocated).isSameAs(loop);
            thread.provider().release(allocated, 0, 1, TimeUnit.SECONDS);
            thread.provider().shutdown(0, 1, TimeUnit.SECONDS);
            thread.close();
            assertThat(loop.isShuttingDown()).isFalse();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void anOwnThreadStopsWithTheEngine() {
        RedisIoThread thread = new RedisIoThread();
        var executor = thread.executor();
        thread.close();
        assertThat(executor.isShuttingDown()).isTrue();
    }

    private static boolean canRunOnLoopOf(IoHandlerFactory factory) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            return RedisIoThread.canRunOn(group.next());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
