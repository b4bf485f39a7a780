package io.ssebroker.engine.redis;

import io.lettuce.core.resource.NettyCustomizer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * How the node's Redis channels write. Lettuce writes and flushes every command on its own: one {@code send} system
 * call per command, which on loopback or a fast network costs more CPU than the command itself. Consolidated at the
 * head of each channel's pipeline, the flushes of the commands queued in one turn of the channel's event loop (or
 * issued while it reads replies) leave in one call; a lone command waits only for the rest of the turn it was
 * queued in. Every command is encoded into a buffer of the channel's allocator: the pooled allocator, with its
 * per-thread caches, serves those faster than Netty's default adaptive one.
 */
final class RedisChannelWrites implements NettyCustomizer {
    /** Every this many held-back flushes are let through, so a long burst does not pile up unsent. */
    private static final int MAX_HELD_FLUSHES = 64;

    @Override
    public void afterBootstrapInitialized(Bootstrap bootstrap) {
        bootstrap.option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
    }

    @Override
    public void afterChannelInitialized(Channel channel) {
        channel.pipeline().addFirst("flushConsolidation", new FlushConsolidationHandler(MAX_HELD_FLUSHES, true));
    }
}
