package io.ssebroker.callback;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * One connection of the webhook's client to an origin, and the post it carries, if any: one at a time, the next only
 * once the answer to the last has been read to its end. A post's outcome is its answer's status, reported once the
 * answer's head is read (the body, read and dropped, may come later); the connection goes back to the client's idle
 * connections, where the answer allows it, before the outcome is reported, so that the dispatcher's next post finds
 * it there. Runs on the webhook's event loop, the last handler of the connection's pipeline.
 */
final class WebhookConnection extends ChannelInboundHandlerAdapter {
    private final WebhookClient client;
    private final WebhookOrigin origin;
    /** The HTTP proxy the connection goes to instead of the origin (requests name the URL in full), or null. */
    private final WebhookProxies.Via proxy;
    private Channel channel;
    /** The post whose answer is awaited or being read; null while the connection is idle. */
    private WebhookPost post;
    /** Whether the post in flight is not the connection's first: the server may have closed it while it was idle. */
    private boolean kept;
    private boolean writing;
    private int status;
    private boolean keepAlive;
    private int posts;

    WebhookConnection(WebhookClient client, WebhookOrigin origin, WebhookProxies.Via proxy) {
        this.client = client;
        this.origin = origin;
        this.proxy = proxy;
    }

    WebhookOrigin origin() {
        return origin;
    }

    boolean isOpen() {
        return channel != null && channel.isActive();
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    void send(WebhookPost post) {
        this.post = post;
        kept = posts++ > 0;
        status = 0;
        writing = true;
        post.on(channel);
        channel.writeAndFlush(post.request(proxy)).addListener(written -> {
            writing = false;
            if (!written.isSuccess()) {
                if (this.post == post) {
                    failed(written.cause());
                }
                channel.close();
            }
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof DecoderResultProvider decoded && decoded.decoderResult().isFailure()) {
                failed(decoded.decoderResult().cause());
                ctx.close();
                return;
            }
            if (post == null) { // nothing was asked: a server that talks out of turn is not one to keep
                ctx.close();
                return;
            }
            if (msg instanceof HttpResponse response) {
                status = response.status().code();
                keepAlive = HttpUtil.isKeepAlive(response);
            }
            if (msg instanceof LastHttpContent) {
                if (status < 200) { // an interim answer (100 Continue, say): the final one follows
                    status = 0;
                    return;
                }
                WebhookPost answered = post;
                post = null;
                // A connection whose request is still being written (a server that answered before reading it all)
                // is not one to reuse either.
                if (keepAlive && !writing) {
                    client.idle(this);
                } else {
                    ctx.close();
                }
                answered.answered(status);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * The end of what one read brought: an answer whose head came and whose body has not is reported now, as the JDK's
     * client does; its body is still read to its end before the connection serves another post.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (post != null && status >= 200 && !post.reported()) {
            WebhookPost reported = post;
            reported.answered(status);
            // The rest of the body is given as long as an answer is: a server that keeps sending it (a streaming
            // endpoint named by mistake) would otherwise hold the connection for good, and each later post open another.
            ctx.executor().schedule(() -> {
                if (post == reported) {
                    ctx.close();
                }
            }, client.timeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        // idle for a while with no post, or an answer's body that stopped coming after its outcome was reported
        if (event instanceof IdleStateEvent && (post == null || post.reported())) {
            ctx.close();
        }
        ReferenceCountUtil.release(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        client.closed(this);
        failed(new IOException("connection closed by " + origin.hostHeader() + " before its answer"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failed(cause);
        ctx.close();
    }

    /** Fails the post in flight, unless its outcome was reported already. */
    private void failed(Throwable cause) {
        WebhookPost failed = post;
        post = null;
        if (failed != null && !failed.reported()) {
            client.failed(failed, cause, kept && status == 0);
        }
    }
}
