package io.ssebroker.engine.redis;

import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread of this node's Redis I/O: every Lettuce connection of the node runs on it, and so does the pub/sub
 * {@link SubscriptionSupervisor}. A registration's subscription, its confirmation and its script then follow one
 * another on that thread, where on separate threads each step was a hand-over and a wake-up; commands sent from it
 * go straight to their connection.
 */
final class RedisIoThread implements AutoCloseable {
    private final DefaultEventLoopGroupProvider provider = new DefaultEventLoopGroupProvider(1);
    /** Held from here to {@link #close}: Lettuce's clients come and go (a failed start), the thread stays. */
    private final EventLoopGroup group = provider.allocate(Transports.eventLoopGroupClass());

    /** For Lettuce's client resources. */
    EventLoopGroupProvider provider() {
        return provider;
    }

    /** The thread, to run tasks and timers on; nothing run there may block. */
    EventExecutor executor() {
        return group.next();
    }

    /** Stops the thread, once the clients using it are shut down. */
    @Override
    public void close() {
        provider.release(group, 0, 2, TimeUnit.SECONDS);
        provider.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
