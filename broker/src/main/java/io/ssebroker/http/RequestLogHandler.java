package io.ssebroker.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.ssebroker.metrics.RequestMeters;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pairs each request of a connection with its answer: records the latency by endpoint and status, and writes the
 * access-log line. It sits between the codec and the aggregator, so it also sees the answers the aggregator gives
 * itself (413, 100-continue), and it leaves the pipeline once the answer opens an SSE stream, after which nothing
 * on the connection is a request any more.
 */
public final class RequestLogHandler extends ChannelDuplexHandler {
    /** The access log's logger; off unless {@code server.access_log_path} is set. */
    public static final String ACCESS_LOGGER = "io.ssebroker.access";
    static final String NAME = "request-log";
    private static final Logger access = LoggerFactory.getLogger(ACCESS_LOGGER);
    /** Query parameters whose values are credentials: {@code /events?token=} above all. */
    private static final Set<String> SECRET_PARAMETERS = Set.of("token", "access_token", "api_key", "apikey", "key",
            "secret", "password");
    private static final String OTHER_ENDPOINT = "other";

    private final ClientAddress clientAddress;
    private final RequestMeters meters;
    private final Predicate<String> knownPath;
    /** Requests read and not yet answered; more than one only when a client pipelines. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>(2);

    RequestLogHandler(ClientAddress clientAddress, RequestMeters meters, Predicate<String> knownPath) {
        this.clientAddress = clientAddress;
        this.meters = meters;
        this.knownPath = knownPath;
    }

    private record Pending(HttpRequest request, long startNanos) {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            pending.add(new Pending(request, System.nanoTime()));
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpResponse response) || response.status().code() < 200) {
            ctx.write(msg, promise);
            return;
        }
        Pending request = pending.poll();
        if (request != null) {
            answered(ctx, request, response); // before the write, which may release the body
        }
        ctx.write(msg, promise);
        if (!(msg instanceof FullHttpResponse)) {
            ctx.pipeline().remove(this); // the head of an SSE stream
        }
    }

    private void answered(ChannelHandlerContext ctx, Pending request, HttpResponse response) {
        long nanos = System.nanoTime() - request.startNanos();
        String uri = request.request().uri();
        int status = response.status().code();
        meters.record(endpoint(uri), status, nanos);
        if (access.isInfoEnabled()) {
            InetSocketAddress client = clientAddress.resolve(ctx.channel(), request.request().headers());
            String bytes = response instanceof FullHttpResponse full
                    ? Integer.toString(full.content().readableBytes()) : "-";
            access.info("{} \"{} {}\" {} {} {}us", ClientAddress.format(client), request.request().method(),
                    redacted(uri), status, bytes, nanos / 1000);
        }
    }

    /** Decodes only a path that needs it: most requests name their endpoint plainly. */
    private String endpoint(String uri) {
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (path.indexOf('%') >= 0 || path.indexOf('#') >= 0) {
            try {
                path = new QueryStringDecoder(uri).path();
            } catch (IllegalArgumentException e) {
                return OTHER_ENDPOINT;
            }
        }
        return knownPath.test(path) ? path : OTHER_ENDPOINT;
    }

    /**
     * The URI with the values of credential parameters replaced, so that no log holds a token. Parameters are split at
     * {@code &}, as the router's parser splits them, and also at {@code ;}: a value such as {@code d;token=...} is
     * kept from the log too, in case a proxy or a client library in front reads it as a parameter.
     */
    static String redacted(String uri) {
        int query = uri.indexOf('?');
        if (query < 0) {
            return uri;
        }
        StringBuilder out = new StringBuilder(uri.length()).append(uri, 0, query + 1);
        int start = query + 1;
        while (start <= uri.length()) {
            int end = start;
            while (end < uri.length() && uri.charAt(end) != '&' && uri.charAt(end) != ';') {
                end++;
            }
            String pair = uri.substring(start, end);
            // A '?' opening the query and '=' before a name are not the name's, as the parser reads them
            // (UrlEncodedForm): "??token=..." and "=token=..." are tokens
            int nameStart = start == query + 1 && pair.startsWith("?") ? 1 : 0;
            while (nameStart < pair.length() && pair.charAt(nameStart) == '=') {
                nameStart++;
            }
            int equals = pair.indexOf('=', nameStart);
            if (equals >= 0 && isSecret(pair.substring(nameStart, equals))) {
                out.append(pair, 0, equals).append("=<redacted>");
            } else {
                out.append(pair);
            }
            if (end < uri.length()) {
                out.append(uri.charAt(end));
            }
            start = end + 1;
        }
        return out.toString();
    }

    /** Names are compared decoded ({@code %74oken} is {@code token} to the parser); an undecodable name is redacted. */
    private static boolean isSecret(String rawName) {
        try {
            return SECRET_PARAMETERS.contains(QueryStringDecoder.decodeComponent(rawName).toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return true;
        }
    }
}
