package io.ssebroker.engine.redis;

import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread of this node's Redis I/O: every Lettuce connection of the node runs on it, and so does the pub/sub
 * {@link SubscriptionSupervisor}. A registration's subscription, its confirmation and its script then follow one
 * another on that thread, where on separate threads each step was a hand-over and a wake-up; commands sent from it
 * go straight to their connection.
 *
 * <p>In a node it is one of the HTTP server's event loops, lent by the server ({@link #on}): the publishers and
 * subscribers served by that loop then reach Redis with no hand-over, and the machine has one busy thread less to
 * share its cores with. Its owner keeps it running until this is closed. Standing alone (tests, or a server on
 * another transport than Lettuce's) it is a thread of its own ({@link #own}).
 */
final class RedisIoThread implements AutoCloseable {
    private final EventLoopGroupProvider provider;
    /** Held from here to {@link #close}: Lettuce's clients come and go (a failed start), the thread stays. */
    private final EventLoopGroup group;

    private RedisIoThread(EventLoopGroupProvider provider) {
        this.provider = provider;
        this.group = provider.allocate(Transports.eventLoopGroupClass());
    }

    /** A thread of its own, stopped by {@link #close}. */
    static RedisIoThread own() {
        return new RedisIoThread(new DefaultEventLoopGroupProvider(1));
    }

    /** Runs on an event loop of Lettuce's transport that its owner keeps running until after {@link #close}. */
    static RedisIoThread on(EventLoop loop) {
        return new RedisIoThread(new LentLoop(loop));
    }

    /** For Lettuce's client resources. */
    EventLoopGroupProvider provider() {
        return provider;
    }

    /** The thread, to run tasks and timers on; nothing run there may block. */
    EventExecutor executor() {
        return group.next();
    }

    /** Stops the thread (one of its own), once the clients using it are shut down. */
    @Override
    public void close() {
        provider.release(group, 0, 2, TimeUnit.SECONDS);
        provider.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** Hands Lettuce a loop that is not Lettuce's to stop: releasing and shutting down leave it running. */
    private static final class LentLoop implements EventLoopGroupProvider {
        private final EventLoop loop;

        LentLoop(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        @SuppressWarnings("unchecked") // Lettuce keeps what it is given as an EventLoopGroup, which a loop is
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
