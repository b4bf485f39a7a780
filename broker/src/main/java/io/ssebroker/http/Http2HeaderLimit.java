package io.ssebroker.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code limits.max_header_bytes} on an HTTP/2 stream, as the HTTP/1.1 decoder applies it: a request whose path, or
 * whose headers, are longer is marked failed the way that decoder marks one, and the router answers 413 with the
 * envelope on that stream alone. Counted as HTTP/1.1 counts them: {@code name: value} and its line end per header.
 * More than {@value #MAX_FIELDS} header fields are refused the same way: with HPACK a field the connection indexed
 * costs one byte to send again, and a stream could otherwise hold thousands of them, each an object of the node's
 * heap, until its body timed out, a thousand streams to a connection.
 *
 * <p>Netty's own bound, the header list size the node advertises, is {@link #advertised} so that it lies above this
 * one: past Netty's bound a stream gets a bare 431, and past a quarter more the whole connection ends, with every
 * other stream on it (a proxy's other clients).
 */
final class Http2HeaderLimit extends ChannelInboundHandlerAdapter {
    static final String NAME = "h2-header-limit";
    /** What Netty's bound is at least: above the header sizes that common proxies forward (Envoy's 60 KiB). */
    private static final int LEAST_ADVERTISED = 64 * 1024;
    /** Far more than browsers and proxies send (some twenty to forty). */
    static final int MAX_FIELDS = 200;
    private static final HttpConversionUtil.ExtensionHeaderNames[] CONVERSION_HEADERS =
            HttpConversionUtil.ExtensionHeaderNames.values();

    private final int maxHeaderBytes;

    Http2HeaderLimit(int maxHeaderBytes) {
        this.maxHeaderBytes = maxHeaderBytes;
    }

    /** The SETTINGS_MAX_HEADER_LIST_SIZE for a node whose limit is {@code maxHeaderBytes}. */
    static long advertised(int maxHeaderBytes) {
        return Math.max(4L * maxHeaderBytes, LEAST_ADVERTISED);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
            TooLongFrameException refused = refusal(request);
            if (refused != null) {
                request.setDecoderResult(DecoderResult.failure(refused));
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** Why the request's head is refused, as the HTTP/1.1 decoder says it, or null; the headers in one pass. */
    private TooLongFrameException refusal(HttpRequest request) {
        if (request.uri().length() > maxHeaderBytes) {
            return new TooLongHttpLineException("the path is longer than " + maxHeaderBytes + " bytes");
        }
        long bytes = 0;
        int fields = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = request.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            if (!isConversionHeader(header.getKey())) { // not the ones the HTTP/2 codec adds for the stream
                bytes += header.getKey().length() + 2 + header.getValue().length() + 2;
                fields++;
            }
        }
        if (bytes > maxHeaderBytes) {
            return new TooLongHttpHeaderException("the headers are longer than " + maxHeaderBytes + " bytes");
        }
        return fields > MAX_FIELDS ? new TooLongHttpHeaderException("more than " + MAX_FIELDS + " header fields") : null;
    }

    private static boolean isConversionHeader(CharSequence name) {
        for (HttpConversionUtil.ExtensionHeaderNames extension : CONVERSION_HEADERS) {
            if (extension.text().contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
