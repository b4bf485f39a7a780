package io.ssebroker.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;
import io.ssebroker.auth.PublisherAuth;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import io.ssebroker.metrics.PrometheusEndpoint;
import io.ssebroker.metrics.Readiness;
import io.ssebroker.metrics.RefusalMeters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches a complete request by path: the demo page, health and readiness, metrics, the SSE endpoint and the
 * publisher endpoints. Applies method checks, CORS, publisher authentication and the envelope for every answer and
 * failure. {@code /metrics} is operator data and is guarded like the publisher API; the health endpoints are open
 * to load balancers.
 */
@ChannelHandler.Sharable
final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(Router.class);
    private static final String CLIENT_SCRIPT = "/client/sse-broker.js";
    private static final String OPENAPI = "/openapi.yaml";

    private final Map<String, PublisherEndpoint> publishers;
    private final StreamEndpoint events;
    private final PublisherAuth publisherAuth;
    private final Cors cors;
    private final ForeignPageRequests foreignPages;
    private final ClientAddress clientAddress;
    private final AddressLimits streamsPerAddress;
    private final RefusalMeters refusals;
    private final StaticPage page;
    private final StaticPage clientScript;
    private final StaticPage openApi;
    private final int maxUnsentBytes;
    private final Readiness readiness;
    private final PrometheusEndpoint metrics;

    Router(Map<String, PublisherEndpoint> publishers, StreamEndpoint events, PublisherAuth publisherAuth, Cors cors,
           ForeignPageRequests foreignPages, ClientAddress clientAddress, AddressLimits streamsPerAddress, RefusalMeters refusals, StaticPage page,
           StaticPage clientScript, StaticPage openApi, int maxUnsentBytes, Readiness readiness,
           PrometheusEndpoint metrics) {
        this.openApi = openApi;
        this.streamsPerAddress = streamsPerAddress;
        this.refusals = refusals;
        this.readiness = readiness;
        this.metrics = metrics;
        this.publishers = publishers;
        this.events = events;
        this.publisherAuth = publisherAuth;
        this.cors = cors;
        this.foreignPages = foreignPages;
        this.clientAddress = clientAddress;
        this.page = page;
        this.clientScript = clientScript;
        this.maxUnsentBytes = maxUnsentBytes;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        long start = System.nanoTime();
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
        Responder responder = new Responder(ctx, keepAlive, origin, cors, start);
        ForwardedConnection.note(ctx.channel(), request.headers());
        try {
            route(ctx, request, responder, origin);
        } catch (ApiException e) {
            responder.failure(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("request {} {} failed", request.method(), RequestLogHandler.redacted(request.uri()), e);
            responder.failure(500, "internal error");
        }
    }

    /**
     * The request target in origin form: a target in absolute form ({@code http://host:port/send?...}, which HTTP/1.1
     * servers must accept, RFC 9112 3.2.2) from its path on. Only its path and query are read: who the request is for
     * is still judged by the Host header, as for every request.
     */
    private static String originForm(String target) {
        int scheme = target.indexOf("://");
        if (target.startsWith("/") || scheme <= 0) {
            return target;
        }
        int authorityEnd = scheme + 3;
        while (authorityEnd < target.length() && "/?#".indexOf(target.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        String rest = target.substring(authorityEnd);
        return rest.startsWith("/") ? rest : "/" + rest;
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request, Responder responder, String origin) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            throw cause instanceof TooLongFrameException
                    ? new ApiException(413, "request line or headers too large (limits.max_header_bytes)")
                    : new ApiException(400, "malformed HTTP request");
        }
        Map<String, List<String>> query;
        String path;
        try {
            String target = originForm(request.uri());
            path = new QueryStringDecoder(target, StandardCharsets.UTF_8, true, 1).path();
            query = ParamsParser.query(target);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "malformed URL: " + e.getMessage());
        }
        HttpMethod method = request.method();
        boolean isPublisher = publishers.containsKey(path);
        if (!knows(path)) {
            throw new ApiException(404, "unknown path " + path);
        }
        boolean readOnly = !isPublisher;
        String allowed = readOnly ? "GET, OPTIONS" : "GET, POST, OPTIONS";
        if (method == HttpMethod.OPTIONS) {
            preflight(responder, origin, allowed);
            return;
        }
        if (method != HttpMethod.GET && !(method == HttpMethod.POST && !readOnly)) {
            responder.methodNotAllowed("method " + method + " not allowed on " + path + " (use "
                    + (readOnly ? "GET" : "GET or POST") + ")", allowed);
            return;
        }
        switch (path) {
            case "/", "/index.html" -> responder.send(HttpResponseStatus.OK, page.content(), page.contentType());
            case CLIENT_SCRIPT -> responder.send(HttpResponseStatus.OK, clientScript.content(), clientScript.contentType());
            case OPENAPI -> responder.send(HttpResponseStatus.OK, openApi.content(), openApi.contentType());
            case "/healthz" -> responder.success("ok");
            case "/readyz" -> {
                boolean publisher = publisherRefusal(ctx, request) == null; // told the cause too
                readiness.check().thenAccept(notReady -> notReady.ifPresentOrElse(reason -> responder.failure(503,
                        "not ready: " + (publisher ? reason.detailed() : reason.reason())), () -> responder.success("ready")));
            }
            case "/metrics" -> {
                checkPublisherAuth(ctx, request);
                metrics.scrape().whenComplete((text, error) -> {
                    if (error != null) {
                        log.error("metrics scrape failed", error);
                        responder.failure(500, "internal error");
                    } else {
                        responder.send(HttpResponseStatus.OK, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8),
                                metrics.contentType());
                    }
                });
            }
            case "/events" -> openStream(ctx, request, query, responder, origin);
            default -> publish(ctx, request, path, query, responder, publishers.get(path));
        }
    }

    /**
     * A connect first takes a slot of its client address (before its token is verified, so that a flood costs
     * little), then goes to the broker; the slot is given back when the answer is not a stream, or the stream ends.
     */
    private void openStream(ChannelHandlerContext ctx, FullHttpRequest request, Map<String, List<String>> query,
                            Responder responder, String origin) {
        InetSocketAddress client = client(ctx, request);
        InetAddress address = client == null ? null : client.getAddress();
        SseResponder opener = new SseResponder(ctx, responder, origin, cors, maxUnsentBytes, acceptsEventStream(request),
                HttpVersion.HTTP_1_0.equals(request.protocolVersion()));
        if (streamsPerAddress.enabled()) {
            AddressLimits.Refusal refusal = streamsPerAddress.acquire(address);
            if (refusal != null) {
                refusals.count(refusal.tooFast() ? RefusalMeters.Reason.ADDRESS_CONNECT_RATE
                        : RefusalMeters.Reason.ADDRESS_CONNECTIONS);
                opener.tryLater(429, refusal.message(), refusal.retryAfterMillis());
                return;
            }
            opener.releaseWhenDone(() -> streamsPerAddress.release(address));
        }
        try {
            events.handle(apiRequest(client, request, ParamsParser.parse(request, query)), opener);
        } catch (RuntimeException e) {
            opener.done();
            throw e;
        }
    }

    private static boolean acceptsEventStream(FullHttpRequest request) {
        String accept = request.headers().get(HttpHeaderNames.ACCEPT);
        return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
    }

    /** Whether a path is served here; anything else is a 404 (and the request metrics count it as "other"). */
    boolean knows(String path) {
        return publishers.containsKey(path) || path.equals("/events") || path.equals("/") || path.equals("/index.html")
                || path.equals(CLIENT_SCRIPT) || path.equals(OPENAPI) || path.equals("/healthz") || path.equals("/readyz")
                || path.equals("/metrics");
    }

    private void publish(ChannelHandlerContext ctx, FullHttpRequest request, String path,
                         Map<String, List<String>> query, Responder responder, PublisherEndpoint endpoint) {
        checkPublisherAuth(ctx, request);
        Params params = ParamsParser.parse(request, query);
        if (params.isBatch() && !(endpoint instanceof BatchEndpoint)) {
            throw new ApiException(400, "body: must be a JSON object (only /send takes an array)");
        }
        ApiRequest apiRequest = apiRequest(client(ctx, request), request, params);
        CompletableFuture<Object> result = endpoint.handle(apiRequest);
        result.whenComplete((value, error) -> {
            if (error == null) {
                responder.success(value);
                return;
            }
            Throwable cause = Failures.cause(error);
            if (cause instanceof ApiException api) {
                responder.failure(api.status(), api.getMessage());
            } else if (cause instanceof EngineUnavailableException) {
                responder.failure(503, "engine unavailable: " + cause.getMessage());
            } else {
                log.error("request {} {} failed", request.method(), path, cause);
                responder.failure(500, "internal error");
            }
        });
    }

    /**
     * Publisher API rule: an API key when keys are configured, else local clients only (loopback, neither the request
     * nor, over HTTP/2, a stream before it on its connection forwarded, and not a page of another site in a browser
     * on this host).
     */
    private void checkPublisherAuth(ChannelHandlerContext ctx, FullHttpRequest request) {
        Integer refused = publisherRefusal(ctx, request);
        if (refused != null) {
            throw refused == 401 ? new ApiException(401, "API key missing or not valid (X-API-Key or Authorization: Bearer)")
                    : new ApiException(403, "publisher API is served to local clients only (loopback, not through a proxy,"
                            + " not from another site's page) when auth.api_keys is empty");
        }
    }

    /** The status the publisher API refuses this request with (401 or 403), or null when it is served. */
    private Integer publisherRefusal(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean local = clientAddress.isLocal((InetSocketAddress) ctx.channel().remoteAddress(), request.headers())
                && !ForwardedConnection.seen(ctx.channel())
                && !foreignPages.isForeign(request.headers(), overTls(ctx.channel()));
        return publisherAuth.check(apiKey(request), local);
    }

    /** Whether the request came over TLS: on its own connection, or on the HTTP/2 connection of its stream. */
    private static boolean overTls(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
        return connection.pipeline().get(SslHandler.class) != null;
    }

    private void preflight(Responder responder, String origin, String methods) {
        if (origin != null && !cors.allows(origin)) {
            throw new ApiException(403, "origin " + origin + " is not allowed (http.cors_origins)");
        }
        FullHttpResponse response = responder.response(HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER, null);
        response.headers().set(HttpHeaderNames.ALLOW, methods);
        cors.applyPreflight(origin, methods, response.headers());
        responder.send(response);
    }

    /** The client behind trusted proxies; null when their forwarding headers cannot be read. */
    private InetSocketAddress client(ChannelHandlerContext ctx, FullHttpRequest request) {
        return clientAddress.resolve(ctx.channel(), request.headers());
    }

    private static ApiRequest apiRequest(InetSocketAddress client, FullHttpRequest request, Params params) {
        return new ApiRequest(params, request.headers()::get, client);
    }

    private static String apiKey(FullHttpRequest request) {
        String key = request.headers().get("X-API-Key");
        if (key != null) {
            return key.trim();
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
