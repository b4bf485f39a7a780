package io.ssebroker.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.HdrHistogram.Recorder;

/**
 * Opens the SSE connections of a run, at most so many connecting at once, and holds them. A connection is open
 * once the server answered 200; connect time is measured from the start of the TCP connect to that head.
 */
final class Subscribers implements Subscriber.Events, AutoCloseable {
    static final int NONE = -1;
    private static final int RANDOM_TRIES = 16;
    private static final long CLOSE_TIMEOUT_SECONDS = 30;

    private final ClientTransport transport;
    private final Target target;
    private final Deliveries deliveries;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Recorder connectMicros = new Recorder(3);
    private final AtomicInteger openNow = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private Subscriber[] subscribers = new Subscriber[0];
    private AtomicIntegerArray resolved = new AtomicIntegerArray(0);
    private CountDownLatch unresolved = new CountDownLatch(0);
    private Semaphore connecting = new Semaphore(0);
    private volatile boolean closing;

    Subscribers(ClientTransport transport, Target target, Deliveries deliveries) {
        this.transport = transport;
        this.target = target;
        this.deliveries = deliveries;
    }

    /** Opens {@code count} subscriptions; returns once each is open or failed, or the timeout passed. */
    BenchResult.Connect open(int count, int concurrency, long timeoutNanos) throws InterruptedException {
        subscribers = new Subscriber[count];
        resolved = new AtomicIntegerArray(count);
        unresolved = new CountDownLatch(count);
        connecting = new Semaphore(concurrency);
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        for (int i = 0; i < count; i++) {
            if (!connecting.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                break;
            }
            Subscriber subscriber = new Subscriber(i, target.subscription(i), deliveries, this);
            subscribers[i] = subscriber;
            ChannelFuture connect = transport.connect(transport.bootstrap(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel channel) {
                    channel.pipeline().addLast(new HttpClientCodec(), subscriber);
                }
            }), target.subscribeAddress(i));
            channels.add(connect.channel());
            connect.addListener(future -> {
                if (!future.isSuccess()) {
                    resolve(subscriber);
                }
            });
        }
        unresolved.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        long elapsed = System.nanoTime() - start;
        int ok = opened.get();
        return BenchResult.Connect.of(ok, count - ok, elapsed, LatencySummary.of(connectMicros.getIntervalHistogram()));
    }

    int openCount() {
        return openNow.get();
    }

    /** Connections that closed after they had opened, other than by {@link #close()}. */
    int dropped() {
        return dropped.get();
    }

    /** A random open subscriber, or {@link #NONE}. */
    int randomOpen() {
        int count = subscribers.length;
        if (count == 0) {
            return NONE;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < RANDOM_TRIES; i++) {
            int candidate = random.nextInt(count);
            if (isOpen(candidate)) {
                return candidate;
            }
        }
        int start = random.nextInt(count);
        for (int i = 0; i < count; i++) {
            int candidate = (start + i) % count;
            if (isOpen(candidate)) {
                return candidate;
            }
        }
        return NONE;
    }

    private boolean isOpen(int index) {
        Subscriber subscriber = subscribers[index];
        return subscriber != null && subscriber.isOpen();
    }

    @Override
    public void opened(Subscriber subscriber, long connectNanos) {
        openNow.incrementAndGet();
        opened.incrementAndGet();
        connectMicros.recordValue(connectNanos / 1000);
        resolve(subscriber);
    }

    @Override
    public void refused(Subscriber subscriber, String reason) {
        resolve(subscriber);
    }

    @Override
    public void closed(Subscriber subscriber, boolean wasOpen) {
        if (wasOpen) {
            openNow.decrementAndGet();
            if (!closing) {
                dropped.incrementAndGet();
            }
        }
        resolve(subscriber);
    }

    private void resolve(Subscriber subscriber) {
        if (resolved.compareAndSet(subscriber.index, 0, 1)) {
            connecting.release();
            unresolved.countDown();
        }
    }

    @Override
    public void close() {
        closing = true;
        channels.close().awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
