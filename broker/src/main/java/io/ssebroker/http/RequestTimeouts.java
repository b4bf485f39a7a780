package io.ssebroker.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.metrics.RefusalMeters;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a connection may hold the server without giving it a complete request, so that a client that
 * trickles bytes cannot keep connection slots and file descriptors. One per connection, on its event loop:
 * <ul>
 *   <li>{@link Phase#HEAD}: the request line and headers must arrive within {@code http.header_timeout} of their
 *       first byte (of the connection's start for its first request, the TLS handshake included);</li>
 *   <li>{@link Phase#BODY}: the body must arrive within {@code http.body_timeout} of the head, in all;</li>
 *   <li>{@link Phase#ANSWERING}: the request is complete and being answered (or, when the client pipelines, requests
 *       read earlier still are): no timer;</li>
 *   <li>{@link Phase#IDLE}: a keep-alive connection between requests is closed after {@code http.keepalive_timeout},
 *       counted from the moment the last answer was written to the socket;</li>
 *   <li>{@link Phase#HTTP2}: an HTTP/2 connection is closed once it has had no open stream and read nothing for
 *       {@code http.keepalive_timeout}.</li>
 * </ul>
 * Whatever the phase, an answer written that the client has not taken all of from the socket for {@code
 * http.keepalive_timeout} closes the connection: a client that sends requests and reads none of the answers holds
 * it no longer than an idle one. That close is a reset (see {@link #abort()}). A head or body that is late is
 * answered 408 and the connection closed: reset at once when an answer before it is still unsent (the 408 could not
 * leave before it), and reset after {@code http.keepalive_timeout} when the 408 itself is not taken by then. Once an
 * answer opens an SSE stream the handlers leave the pipeline: a stream's client owes nothing more, and one that stops
 * reading is bounded by {@code limits.max_unsent_bytes}. One timer runs per connection and is moved, not replaced, as
 * phases change.
 */
final class RequestTimeouts extends ChannelDuplexHandler {
    static final String NAME = "request-timeouts";
    static final String HEAD_BYTES = "request-head-bytes";

    enum Phase { HEAD, BODY, ANSWERING, IDLE, HTTP2 }

    private final Channel channel;
    private final long headerNanos;
    private final long bodyNanos;
    private final long idleNanos;
    private final RefusalMeters refusals;
    /** Which origins a refusal may be read by, and the origin of the request whose body is awaited (or null). */
    private final Cors cors;
    private String bodyOrigin;
    private ChannelHandlerContext ctx;
    private Phase phase;
    /** Requests read whose final answer is not written yet: more than one when a client pipelines. */
    private int answersOwed;
    /** Answers written that the socket has not taken all of yet, and since when there has been one. */
    private int answersUnsent;
    private long unsentSinceNanos;
    private long deadlineNanos;
    private long lastReadNanos;
    private ScheduledFuture<?> timer;
    /** When the pending timer fires; a phase with an earlier deadline moves it. */
    private long timerNanos;
    /** The connection closed or became an SSE stream: no more phases, no more timers. */
    private boolean stopped;
    private Http2FrameCodec http2;
    private HeadScan headScan = HeadScan.REQUEST_START;
    /**
     * Stops the timers when the connection closes; taken off again once the connection is a stream, so that the
     * channel no longer holds this handler, nor through its context the HTTP handlers the stream left behind.
     */
    private final ChannelFutureListener stopOnClose = closed -> stop();

    /** Starts the first request's head phase: the client has {@code header} from now to send it. */
    RequestTimeouts(Channel channel, int headerSeconds, int bodySeconds, int idleSeconds, RefusalMeters refusals,
                    Cors cors) {
        this.channel = channel;
        this.cors = cors;
        this.headerNanos = TimeUnit.SECONDS.toNanos(headerSeconds);
        this.bodyNanos = TimeUnit.SECONDS.toNanos(bodySeconds);
        this.idleNanos = TimeUnit.SECONDS.toNanos(idleSeconds);
        this.refusals = refusals;
        enter(Phase.HEAD, headerNanos);
        channel.closeFuture().addListener(stopOnClose); // also when the TLS handshake never ends
    }

    /**
     * Sits before the HTTP codec (after TLS) and reads the bytes of each request head as they come: the first byte
     * after an idle spell starts the head phase, and a header line continued on the next (obsolete line folding,
     * which proxies read in different ways: a request smuggling vector) is answered 400 before the codec sees it.
     * The scan stops at the blank line that ends the head.
     */
    ChannelInboundHandlerAdapter headBytes() {
        return new HeadBytes();
    }

    /** The handler of {@link #headBytes()}. */
    private final class HeadBytes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (bytesRead(msg)) {
                ctx.fireChannelRead(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            stop();
            ctx.fireChannelInactive();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase != Phase.HTTP2) {
            if (msg instanceof HttpRequest request) {
                answersOwed++;
                bodyOrigin = request.headers().get(HttpHeaderNames.ORIGIN);
                enter(Phase.BODY, bodyNanos);
            }
            if (msg instanceof LastHttpContent && phase == Phase.BODY) {
                // answered already (a failed expectation, a body too large): the connection is idle again
                enterAnsweringOrIdle();
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // A complete final answer settles a request (100 Continue does not); an SSE head leaves with the handlers.
        if (!(msg instanceof FullHttpResponse response) || response.status().code() < 200 || phase == Phase.HTTP2) {
            ctx.write(msg, promise);
            return;
        }
        answersOwed = Math.max(0, answersOwed - 1);
        ChannelPromise written = promise.unvoid();
        ctx.write(msg, written);
        boolean unsent = !written.isDone();
        if (unsent && answersUnsent++ == 0) {
            unsentSinceNanos = System.nanoTime();
            armBy(unsentDeadline());
        }
        // the keep-alive wait starts once the client has the answer, not while a slow one still reads it
        written.addListener(done -> {
            if (unsent) {
                answersUnsent--;
            }
            if (phase == Phase.ANSWERING) {
                enterAnsweringOrIdle();
            }
        });
    }

    private void enterAnsweringOrIdle() {
        if (answersOwed > 0 || answersUnsent > 0) {
            enter(Phase.ANSWERING, 0);
        } else {
            enter(Phase.IDLE, idleNanos);
        }
    }

    /** When an answer the client has not taken closes the connection; never when all were taken. */
    private long unsentDeadline() {
        return answersUnsent > 0 ? unsentSinceNanos + idleNanos : Long.MAX_VALUE;
    }

    /** The connection now speaks HTTP/2: it is bounded as a whole, its streams by their own flow control. */
    void http2(Http2FrameCodec codec) {
        http2 = codec;
        lastReadNanos = System.nanoTime();
        enter(Phase.HTTP2, idleNanos);
    }

    /** The answer opened an SSE stream: no more requests on this connection, no more timers. */
    void streamOpened(ChannelPipeline pipeline) {
        stop();
        channel.closeFuture().removeListener(stopOnClose);
        if (pipeline.get(HEAD_BYTES) != null) {
            pipeline.remove(HEAD_BYTES);
        }
        if (pipeline.get(NAME) != null) {
            pipeline.remove(NAME);
        }
    }

    /** False when the bytes broke the head's syntax and were answered here. */
    private boolean bytesRead(Object msg) {
        if (phase == Phase.HTTP2) {
            lastReadNanos = System.nanoTime();
            return true;
        }
        if (headScan == HeadScan.FOLDED) {
            return false; // refused: what follows is not read
        }
        if (!(msg instanceof ByteBuf bytes) || !bytes.isReadable()) {
            return true;
        }
        if (phase == Phase.IDLE) {
            enter(Phase.HEAD, headerNanos);
            headScan = HeadScan.REQUEST_START;
        }
        if (headScan == HeadScan.DONE) {
            return true;
        }
        scanHead(bytes, bytes.readerIndex(), bytes.writerIndex());
        if (headScan == HeadScan.FOLDED) {
            refuse(null, 400, "obsolete line folding in request headers");
            return false;
        }
        return true;
    }

    /**
     * Moves the head scan over the bytes, stopping at the end of the head or at a folded line. Within a line only
     * the line feed that ends it matters: the scan goes straight to it with the buffer's search, which compares
     * several bytes at a time, and steps through the state machine only at the start of each line (a token header
     * of a few hundred bytes is one search, not a few hundred steps).
     */
    private void scanHead(ByteBuf bytes, int from, int to) {
        int at = from;
        while (at < to && headScan != HeadScan.DONE && headScan != HeadScan.FOLDED) {
            if (headScan == HeadScan.FIRST_LINE || headScan == HeadScan.IN_LINE) {
                int lineFeed = bytes.indexOf(at, to, (byte) '\n');
                if (lineFeed < 0) {
                    return; // the line goes on in the next read
                }
                headScan = HeadScan.LINE_START;
                at = lineFeed + 1;
            } else {
                headScan = headScan.next(bytes.getByte(at++));
            }
        }
    }

    /** Where the scan of a request head is: enough to find a header line that starts with a space or a tab. */
    private enum HeadScan {
        REQUEST_START, FIRST_LINE, LINE_START, LINE_START_CR, IN_LINE, FOLDED, DONE;

        HeadScan next(byte b) {
            return switch (this) {
                // the codec skips line ends and other control characters before a request line: so does the scan
                case REQUEST_START -> (b & 0xff) <= ' ' ? REQUEST_START : FIRST_LINE;
                case FIRST_LINE -> b == '\n' ? LINE_START : FIRST_LINE;
                case IN_LINE -> b == '\n' ? LINE_START : IN_LINE;
                case LINE_START -> b == ' ' || b == '\t' ? FOLDED : b == '\r' ? LINE_START_CR : b == '\n' ? DONE : IN_LINE;
                case LINE_START_CR -> b == '\n' ? DONE : IN_LINE;
                case FOLDED, DONE -> this;
            };
        }
    }

    private void enter(Phase next, long allowedNanos) {
        if (stopped) {
            return;
        }
        phase = next;
        // without a deadline of its own, a timer still pending finds none (but an unsent answer's) and lapses
        deadlineNanos = allowedNanos == 0 ? Long.MAX_VALUE : System.nanoTime() + allowedNanos;
        armBy(deadlineNanos);
    }

    /** Makes sure a timer fires by this time (a later one is moved earlier, none is armed for never). */
    private void armBy(long atNanos) {
        if (stopped || atNanos == Long.MAX_VALUE) {
            return;
        }
        if (timer == null || atNanos < timerNanos) {
            if (timer != null) {
                timer.cancel(false);
            }
            arm(atNanos);
        }
    }

    private void arm(long atNanos) {
        timerNanos = atNanos;
        timer = channel.eventLoop().schedule(this::expired, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void stop() {
        stopped = true;
        phase = Phase.ANSWERING;
        deadlineNanos = Long.MAX_VALUE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (stopped || !channel.isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (phase == Phase.HTTP2) {
            if (http2.connection().numActiveStreams() > 0) {
                arm(now + idleNanos);
            } else if (now - lastReadNanos < idleNanos) {
                arm(lastReadNanos + idleNanos);
            } else {
                channel.close();
            }
            return;
        }
        if (now >= unsentDeadline()) {
            abort(); // an answer left unread for the keep-alive timeout
            return;
        }
        long due = Math.min(deadlineNanos, unsentDeadline());
        if (due == Long.MAX_VALUE) {
            return;
        }
        if (now < due) {
            arm(due); // the phase moved on since this timer was set
            return;
        }
        switch (phase) {
            case HEAD -> refuse(RefusalMeters.Reason.HEADER_TIMEOUT, 408,
                    "request headers not received within http.header_timeout");
            case BODY -> refuse(RefusalMeters.Reason.BODY_TIMEOUT, 408, "request body not received within http.body_timeout");
            default -> channel.close();
        }
    }

    /**
     * Closes the connection with a reset rather than an orderly end. Its client has stopped taking what it is sent,
     * and the socket's send buffer holds what it did not take (up to megabytes): closed in order, the kernel would
     * keep that buffer, and the connection, for as long as the client's window stays shut, and the client would learn
     * of the close only once it read all of it. A reset frees both at once and tells the client at once (over TLS
     * once the TLS handler has given up sending its close notification behind what waits).
     */
    private void abort() {
        if (!channel.isActive()) {
            return;
        }
        if (channel instanceof SocketChannel) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        channel.close();
    }

    /** Answers with this status and closes; counted when there is a reason to count. */
    private void refuse(RefusalMeters.Reason reason, int status, String message) {
        // a late body's request has come whole but for it: its page may read why (CORS), as any other answer
        String origin = phase == Phase.BODY ? bodyOrigin : null;
        if (reason != null) {
            refusals.count(reason);
        }
        stop();
        if (answersUnsent > 0) {
            abort(); // an answer before it is still unsent: the refusal would wait behind it
            return;
        }
        if (ctx == null || ctx.isRemoved()) {
            channel.close(); // still in the TLS handshake: there is no HTTP to answer with
            return;
        }
        new Responder(ctx, false, origin, cors, System.nanoTime()).failure(status, message);
        // The refusal closes the connection once the socket has taken it; a client that stopped reading may leave
        // the kernel's buffer full with the answers before it, and the refusal waiting for ever, the timers stopped.
        ScheduledFuture<?> untaken = channel.eventLoop().schedule(this::abort, idleNanos, TimeUnit.NANOSECONDS);
        channel.closeFuture().addListener(closed -> untaken.cancel(false));
    }
}
