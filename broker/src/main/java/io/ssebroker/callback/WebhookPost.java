package io.ssebroker.callback;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One attempt to post a change: the request, where it goes, its deadline ({@code callback.timeout} from the start of
 * the attempt, the connect included) and its outcome, reported once: the answer's status, or the failure. Lives on
 * the webhook's event loop.
 */
final class WebhookPost {
    /** Told the outcome of an attempt, on the webhook's event loop. */
    interface Outcome {
        /** {@code failure} is null when the server answered {@code status}; {@code status} is 0 otherwise. */
        void reported(int status, Throwable failure);
    }

    private final URI url;
    private final WebhookOrigin origin;
    private final Map<String, String> headers;
    private final byte[] body;
    private final Outcome outcome;
    private ScheduledFuture<?> deadline;
    /** The connection the attempt is on (or connecting), closed when the deadline passes first. */
    private Channel channel;
    private boolean reported;
    private boolean sentAgain;

    WebhookPost(URI url, Map<String, String> headers, byte[] body, Outcome outcome) {
        this.url = url;
        this.origin = WebhookOrigin.of(url);
        this.headers = headers;
        this.body = body;
        this.outcome = outcome;
    }

    WebhookOrigin origin() {
        return origin;
    }

    /** Starts the clock: past the timeout the attempt fails and its connection is closed, with what it had sent. */
    void startDeadline(EventLoop loop, long timeoutMillis) {
        deadline = loop.schedule(() -> {
            fail(new SocketTimeoutException("no answer within " + timeoutMillis + " ms"));
            if (channel != null) {
                channel.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The connection the attempt now uses. */
    void on(Channel channel) {
        this.channel = channel;
    }

    /**
     * Whether the attempt may go once more on a new connection: once only, and only while it has no outcome. For a
     * kept connection that the server closed while it sat idle, which only its use shows.
     */
    boolean maySendAgain() {
        if (reported || sentAgain) {
            return false;
        }
        sentAgain = true;
        return true;
    }

    boolean reported() {
        return reported;
    }

    /**
     * The request, made anew for each connection it goes on (the body's bytes are shared, not copied): to the origin
     * with its path and query, or to an HTTP {@code proxy} with the URL in full (and the proxy's credentials).
     */
    FullHttpRequest request(WebhookProxies.Via proxy) {
        HttpHeaders fields = new DefaultHttpHeaders()
                .set(HttpHeaderNames.HOST, origin.hostHeader())
                .set(HttpHeaderNames.USER_AGENT, "sse-broker")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        headers.forEach(fields::set);
        String query = url.getRawQuery();
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (proxy != null && proxy.authorization() != null) {
            fields.set(HttpHeaderNames.PROXY_AUTHORIZATION, proxy.authorization());
        }
        String target = (proxy != null ? "http://" + origin.hostHeader() : "") + (query == null ? path : path + "?" + query);
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target,
                Unpooled.wrappedBuffer(body), fields, new DefaultHttpHeaders());
    }

    void answered(int status) {
        report(status, null);
    }

    void fail(Throwable failure) {
        report(0, failure);
    }

    private void report(int status, Throwable failure) {
        if (reported) {
            return;
        }
        reported = true;
        if (deadline != null) {
            deadline.cancel(false);
        }
        outcome.reported(status, failure);
    }
}
