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

/**
 * One connection of the webhook's client to an origin, and the post it carries, if any: one at a time, the next only
 * once the answer to the last has been read to its end. The answer's status is all that is kept; its body is read and
 * dropped. A connection whose answer allows it goes back to the client's idle connections, and closes itself after
 * a while unused. Runs on the webhook's event loop, the last handler of the connection's pipeline.
 */
final class WebhookConnection extends ChannelInboundHandlerAdapter {
    private final WebhookClient client;
    private final WebhookOrigin origin;
    private Channel channel;
    private WebhookPost post;
    /** Whether the post in flight is not the connection's first: the server may have closed it while it was idle. */
    private boolean kept;
    private boolean answering;
    private int status;
    private boolean keepAlive;
    private int posts;

    WebhookConnection(WebhookClient client, WebhookOrigin origin) {
        this.client = client;
        this.origin = origin;
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
        answering = false;
        status = 0;
        post.on(channel);
        channel.writeAndFlush(post.request()).addListener(written -> {
            if (!written.isSuccess()) {
                failed(written.cause());
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
                answering = true;
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
                answered.answered(status);
                if (keepAlive) {
                    client.idle(this);
                } else {
                    ctx.close();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent && post == null) {
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

    private void failed(Throwable cause) {
        WebhookPost failed = post;
        post = null;
        if (failed != null) {
            client.failed(failed, cause, kept && !answering);
        }
    }
}
