package io.ssebroker.bench;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * One SSE connection: sends its request, reports when the response head says 200 (open) or something else
 * (refused), and passes every stamped message to {@link Deliveries}. Runs on its channel's event loop only.
 */
final class Subscriber extends ChannelInboundHandlerAdapter implements StampedEventParser.Listener {
    /** What the owner of the subscribers learns about each one. */
    interface Events {
        void opened(Subscriber subscriber, long connectNanos);

        void refused(Subscriber subscriber, String reason);

        void closed(Subscriber subscriber, boolean wasOpen);
    }

    final int index;
    private final FullHttpRequest request;
    private final Deliveries deliveries;
    private final Events events;
    private final long startNanos = System.nanoTime();
    private final StampedEventParser parser = new StampedEventParser(this);
    private final SequenceCheck sequence = new SequenceCheck();
    private volatile boolean open;
    private int receivedInRead;

    Subscriber(int index, FullHttpRequest request, Deliveries deliveries, Events events) {
        this.index = index;
        this.request = request;
        this.deliveries = deliveries;
        this.events = events;
    }

    boolean isOpen() {
        return open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(request);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse response) {
                if (response.status().code() == 200) {
                    open = true;
                    events.opened(this, System.nanoTime() - startNanos);
                } else {
                    events.refused(this, "HTTP " + response.status().code());
                    ctx.close();
                }
            }
            if (msg instanceof HttpContent content && open) {
                parser.feed(content.content());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void onStamp(Stamp stamp) {
        receivedInRead++;
        deliveries.received(stamp, sequence.isFresh(stamp.sequence()), System.nanoTime());
    }

    /** Credits go back once per read rather than per message: one shared update for many deliveries. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (receivedInRead > 0) {
            deliveries.returnCredits(receivedInRead);
            receivedInRead = 0;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        boolean wasOpen = open;
        open = false;
        events.closed(this, wasOpen);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
