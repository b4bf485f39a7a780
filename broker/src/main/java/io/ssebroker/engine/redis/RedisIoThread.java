package io.ssebroker.engine.redis;

import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The one thread of this node's Redis I/O: every Lettuce connection of the node runs on it, and so does the pub/sub
 * {@link SubscriptionSupervisor}. A registration's subscription, its confirmation and its script then follow one
 * another on that thread, where on separate threads each step was a hand-over and a wake-up; commands sent from it
 * go straight to their connection.
 *
 * <p>In a node, the thread is one of the HTTP server's event loops, lent to the engine: a connection or a publisher
 * served by that loop then sends its commands to Redis, reads the answers and is answered without a hand-over to
 * another thread and back (a wake-up each way: with half of a connect storm's connections on the lent loop, the
 * node's CPU per connection fell by about a third). Every other loop hands its calls over as it would to a thread
 * of the engine's own. An engine given no loop (or one of another transport than Lettuce's) runs a thread of its
 * own.
 */
final class RedisIoThread implements AutoCloseable {
    /** Lettuce's provider of the engine's own thread; null on a lent loop, which its owner shuts down. */
    private final DefaultEventLoopGroupProvider own;
    private final EventLoopGroupProvider provider;
    /** Held from here to {@link #close}: Lettuce's clients come and go (a failed start), the thread stays. */
    private final EventLoopGroup group;

    /** A thread of the engine's own. */
    RedisIoThread() {
        own = new DefaultEventLoopGroupProvider(1);
        provider = own;
        group = own.allocate(Transports.eventLoopGroupClass());
    }

    /** Runs on a loop that its owner keeps running until this engine is closed. */
    RedisIoThread(EventLoop lent) {
        own = null;
        provider = new LentLoop(lent);
        group = lent;
    }

    /** Whether Lettuce's connections can run on the loop: one of the same transport (epoll, or NIO without it). */
    static boolean canRunOn(EventLoop loop) {
        Class<?> channel = Transports.socketChannelClass();
        Class<? extends IoHandler> handler = EpollSocketChannel.class.isAssignableFrom(channel) ? EpollIoHandler.class
                : NioSocketChannel.class.isAssignableFrom(channel) ? NioIoHandler.class : null;
        return handler != null && loop instanceof IoEventLoop ioLoop && ioLoop.isIoType(handler);
    }

    /** For Lettuce's client resources. */
    EventLoopGroupProvider provider() {
        return provider;
    }

    /** The thread, to run tasks and timers on; nothing run there may block. */
    EventExecutor executor() {
        return group.next();
    }

    /**
     * Waits (up to the timeout) until the thread has run what is queued on it now and what that queues in turn. A
     * Lettuce client's shutdown returns once its channels are closed, while their inactive events still wait on the
     * thread: run after the client resources are shut down, each would report its event to a closed event bus (an
     * error logged at every stop). Called from any other thread; on the thread itself it returns at once.
     */
    void runQueued(long timeout, TimeUnit unit) {
        EventExecutor executor = executor();
        if (executor.inEventLoop()) {
            return;
        }
        Promise<Void> ran = executor.newPromise();
        try {
            // Twice: a close that completed as this was called may still be queueing its inactive event.
            executor.execute(() -> executor.execute(() -> ran.setSuccess(null)));
        } catch (RejectedExecutionException stopped) {
            return;
        }
        ran.awaitUninterruptibly(timeout, unit);
    }

    /** Stops the engine's own thread, once the clients using it are shut down; a lent loop runs on. */
    @Override
    public void close() {
        if (own != null) {
            own.release(group, 0, 2, TimeUnit.SECONDS);
            own.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /** Hands Lettuce the lent loop for every client, and never shuts it down. */
    private record LentLoop(EventLoop loop) implements EventLoopGroupProvider {
        @Override
        @SuppressWarnings("unchecked")
        public <T extends EventLoopGroup> T allocate(Class<T> type) {
            return (T) loop;
        }

        @Override
        public int threadPoolSize() {
            return 1;
        }

        @Override
        public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }

        @Override
        public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit timeUnit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
    }
}
