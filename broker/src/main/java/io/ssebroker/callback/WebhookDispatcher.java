package io.ssebroker.callback;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigException;
import io.ssebroker.engine.ChangeReceipt;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts state changes to the webhook ({@code callback.url}), signed when {@code callback.secret} is set. A uid's
 * changes are posted one at a time and in order; different uids in parallel, up to a fixed number of requests.
 * Failed posts (no answer, 408, 429, 5xx) are retried with exponential backoff up to {@code callback.max_attempts}.
 * With {@code callback.offline_grace}, an offline is held back for the grace, and an online of the same user or
 * device within it takes the offline back: neither is sent.
 *
 * <p>The engine reports changes while it holds its presence lock, so {@link #stateChanged} only counts and hands
 * the change to the dispatcher's own thread, an event loop, which owns all the state below and runs the HTTP client
 * ({@link WebhookClient}) as well: a post's answer is handled where it is read.
 * The backlog is bounded by {@code callback.queue_size}: beyond it changes are dropped, counted and logged, and
 * the node's SSE traffic never waits for the webhook.
 *
 * <p>Each change comes with its receipt ({@link ChangeReceipt}): its delivery id, and the way to tell the engine the
 * change is done with (posted, given up, taken back, dropped). A change still here when the node stops is not: an
 * engine that records what it handed on (Redis) leaves it to a survivor.
 */
public final class WebhookDispatcher implements StateChangeListener {
    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    /** Posts in flight at once, all uids together: a burst of changes must not open thousands of connections. */
    private static final int MAX_PARALLEL = 32;
    private static final long FIRST_RETRY_MILLIS = 250;
    private static final long MAX_RETRY_MILLIS = 30_000;
    private static final long DROP_REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final WebhookUrls urls;
    private final StateChangeJson json;
    private final WebhookSigner signer;
    private final int maxAttempts;
    private final int queueSize;
    private final long graceNanos;
    /** The dispatcher's thread: its own, so that a slow webhook or its TLS handshakes take nothing from the streams. */
    private final EventLoopGroup thread;
    private final EventLoop dispatcher;
    private final WebhookClient client;
    private final WebhookMeters meters;
    /** Changes accepted and not yet finished (delivered, given up or taken back): the bounded backlog. */
    private final AtomicInteger backlog = new AtomicInteger();
    private final AtomicLong lastDropReport = new AtomicLong(System.nanoTime() - DROP_REPORT_INTERVAL_NANOS);

    // Owned by the dispatcher thread.
    private final Map<String, UidBacklog> backlogs = new HashMap<>();
    private final LinkedHashSet<String> waitingForSlot = new LinkedHashSet<>();
    /**
     * Retries whose pause is over, waiting for a slot: a change pausing between attempts holds none (a receiver that
     * is down would otherwise hold every slot with its pauses, and no other change would go out). Served before new
     * changes, which are younger. Their users stay in flight meanwhile, so each user's order holds.
     */
    private final ArrayDeque<Retry> retriesWaiting = new ArrayDeque<>();
    /** Requests on the wire: at most {@link #MAX_PARALLEL}. */
    private int inFlight;
    private boolean closing;
    /** Set once the drain at {@link #close} is over: what the thread still runs then posts and finishes nothing. */
    private volatile boolean stopped;

    public WebhookDispatcher(BrokerConfig.Callback config, StateChangeJson json, MeterRegistry registry) {
        this.urls = new WebhookUrls(config);
        this.json = json;
        this.signer = config.secret().isEmpty() ? null : new WebhookSigner(config.secret());
        this.maxAttempts = config.maxAttempts();
        this.queueSize = config.queueSize();
        this.graceNanos = TimeUnit.SECONDS.toNanos(config.offlineGraceSeconds());
        WebhookProxies proxies;
        try {
            proxies = WebhookProxies.ofJvmAndEnvironment();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config error: the webhook's proxy: " + e.getMessage());
        }
        this.thread = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("webhook-dispatcher", true),
                NioIoHandler.newFactory());
        this.dispatcher = thread.next();
        this.client = new WebhookClient(dispatcher, TimeUnit.SECONDS.toMillis(config.timeoutSeconds()),
                WebhookClient.IDLE_MILLIS, WebhookClient::jvmTls, proxies);
        this.meters = new WebhookMeters(registry, backlog);
    }

    /** Where the changes go, for the start-up log. */
    public String describe() {
        return urls.describe() + (signer == null ? ", unsigned" : ", signed") + ", offline grace "
                + TimeUnit.NANOSECONDS.toSeconds(graceNanos) + "s";
    }

    @Override
    public void stateChanged(StateChange change) {
        stateChanged(change, ChangeReceipt.unrecorded());
    }

    @Override
    public void stateChanged(StateChange change, ChangeReceipt receipt) {
        if (stopped) { // not finished, so that a survivor may post it
            dropped();
            return;
        }
        // An online may take back an offline held for the grace, which makes room rather than taking it: it is
        // counted at once, past the bound too, and judged against the bound once it is known not to (else a backlog
        // full of held offlines, a crowd that lost its connections at once, would drop the onlines of those coming
        // back, and post their offlines after the grace).
        boolean mayTakeBack = graceNanos > 0 && isOnline(change.kind());
        if (mayTakeBack) {
            backlog.incrementAndGet();
        } else if (backlog.incrementAndGet() > queueSize) {
            backlog.decrementAndGet();
            dropped();
            receipt.finished();
            return;
        }
        try {
            dispatcher.execute(() -> accept(change, receipt, mayTakeBack));
        } catch (RejectedExecutionException closed) { // stopped meanwhile
            backlog.decrementAndGet();
            dropped();
        }
    }

    /**
     * Lets the backlog drain for at most {@code budgetMillis}: held offlines are sent at once, since a later online
     * will be seen by another node, if anywhere. What is left then is abandoned and logged.
     */
    public void close(long budgetMillis) {
        try {
            dispatcher.execute(() -> {
                closing = true;
                new ArrayList<>(backlogs.keySet()).forEach(this::pump);
            });
        } catch (RejectedExecutionException alreadyClosed) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        while (backlog.get() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stopped = true;
        try {
            dispatcher.execute(client::close);
        } catch (RejectedExecutionException alreadyClosed) {
            // nothing left open
        }
        if (!thread.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            log.warn("the webhook's thread had not stopped 5 s after the node stopped posting");
        }
        int abandoned = backlog.get();
        if (abandoned > 0) {
            log.warn("{} webhook state changes were not delivered before shutdown", abandoned);
        }
    }

    /** @param mayTakeBack an online counted past the bound: it stays only if it takes a held offline back or fits */
    private void accept(StateChange change, ChangeReceipt receipt, boolean mayTakeBack) {
        if (stopped) {
            return;
        }
        long now = System.nanoTime();
        UidBacklog uidBacklog = backlogs.get(change.uid());
        PendingChange takenBack = mayTakeBack && uidBacklog != null ? uidBacklog.takeBack(change, now) : null;
        if (takenBack == null && mayTakeBack && backlog.get() > queueSize) {
            backlog.decrementAndGet();
            dropped();
            receipt.finished();
            return;
        }
        if (uidBacklog == null) {
            uidBacklog = backlogs.computeIfAbsent(change.uid(), uid -> new UidBacklog());
        }
        if (takenBack != null) {
            backlog.addAndGet(-2);
            takenBack.receipt().finished();
            receipt.finished();
            meters.suppressed.increment();
            log.debug("{} of uid={} device={} within callback.offline_grace: neither offline nor online is sent",
                    change.kind(), change.uid(), change.device());
            pump(change.uid()); // what waited behind the offline that was taken back may go now
            return;
        }
        boolean hold = graceNanos > 0 && !isOnline(change.kind()) && !closing;
        PendingChange pending = new PendingChange(change, receipt, hold, now + graceNanos);
        if (hold && urls.forKind(change.kind()) == null) {
            uidBacklog.addUnposted(pending); // only to be taken back: the changes after it need not wait for it
        } else {
            uidBacklog.add(pending);
        }
        if (hold) {
            dispatcher.schedule(() -> pump(change.uid()), graceNanos, TimeUnit.NANOSECONDS);
        }
        pump(change.uid());
    }

    /** Starts posting the uid's next change if nothing of that uid is in flight and a slot is free. */
    private void pump(String uid) {
        if (stopped) {
            return;
        }
        UidBacklog uidBacklog = backlogs.get(uid);
        if (uidBacklog == null) {
            return;
        }
        uidBacklog.dropUnposted(System.nanoTime(), closing, dropped -> {
            backlog.decrementAndGet();
            dropped.receipt().finished();
        });
        PendingChange next;
        while ((next = uidBacklog.peekDue(System.nanoTime(), closing)) != null) {
            URI url = urls.forKind(next.change().kind());
            if (url == null) { // this kind is not posted anywhere
                uidBacklog.removeFirst();
                backlog.decrementAndGet();
                next.receipt().finished();
                continue;
            }
            if (inFlight >= MAX_PARALLEL) {
                waitingForSlot.add(uid);
                return;
            }
            uidBacklog.removeFirst();
            uidBacklog.setInFlight(true);
            inFlight++;
            String recorded = next.receipt().recordedJson();
            byte[] body = recorded != null ? recorded.getBytes(StandardCharsets.UTF_8) : json.encode(next.change());
            String signature = signer == null ? null : signer.sign(body);
            attempt(new Delivery(next.change(), next.receipt(), url, body, signature), 1);
            return;
        }
        if (uidBacklog.isIdle()) {
            backlogs.remove(uid);
        }
    }

    private void attempt(Delivery delivery, int attempt) {
        if (stopped) {
            return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("X-SSE-Event", delivery.change().kind().channel());
        headers.put("X-SSE-Delivery", delivery.receipt().deliveryId());
        if (delivery.signature() != null) {
            headers.put(WebhookSigner.HEADER, delivery.signature());
        }
        client.post(new WebhookPost(delivery.url(), headers, delivery.body(),
                (status, error) -> answered(delivery, attempt, status, error)));
    }

    private void answered(Delivery delivery, int attempt, int status, Throwable error) {
        if (stopped) { // not finished: the node stops, and a survivor may post it
            return;
        }
        if (error == null && status / 100 == 2) {
            meters.delivered.increment();
            finish(delivery);
            return;
        }
        Throwable cause = Failures.cause(error);
        String failure = cause != null ? cause.toString() : "HTTP " + status;
        boolean retryable = cause != null || status == 408 || status == 429 || status >= 500;
        if (retryable && attempt < maxAttempts) {
            meters.retried.increment();
            long delay = retryDelayMillis(attempt);
            log.debug("webhook {} of uid={} failed ({}), attempt {} of {}; retrying in {} ms",
                    delivery.change().kind().channel(), delivery.change().uid(), failure, attempt, maxAttempts, delay);
            inFlight--;
            dispatcher.schedule(() -> retry(new Retry(delivery, attempt + 1)), delay, TimeUnit.MILLISECONDS);
            serveWaiting();
            return;
        }
        meters.failed.increment();
        log.warn("webhook {} of uid={} device={} given up after {} attempt(s): {}", delivery.change().kind().channel(),
                delivery.change().uid(), delivery.change().device(), attempt, failure);
        finish(delivery);
    }

    /** A retry whose pause is over: sent when a slot is free, else when one frees. */
    private void retry(Retry retry) {
        if (stopped) {
            return;
        }
        if (inFlight < MAX_PARALLEL) {
            inFlight++;
            attempt(retry.delivery(), retry.attempt());
        } else {
            retriesWaiting.add(retry);
        }
    }

    private void finish(Delivery delivery) {
        delivery.receipt().finished();
        backlog.decrementAndGet();
        inFlight--;
        String uid = delivery.change().uid();
        UidBacklog uidBacklog = backlogs.get(uid);
        if (uidBacklog != null) {
            uidBacklog.setInFlight(false);
        }
        pump(uid);
        serveWaiting();
    }

    /** Hands free slots to the retries waiting for one, then to the users waiting for one. */
    private void serveWaiting() {
        while (inFlight < MAX_PARALLEL && !retriesWaiting.isEmpty()) {
            Retry next = retriesWaiting.poll();
            inFlight++;
            attempt(next.delivery(), next.attempt());
        }
        while (inFlight < MAX_PARALLEL && !waitingForSlot.isEmpty()) {
            String next = waitingForSlot.iterator().next();
            waitingForSlot.remove(next);
            pump(next);
        }
    }

    /** Exponential backoff with jitter (half to all of the step), so that failed uids do not retry in lockstep. */
    private static long retryDelayMillis(int attempt) {
        long step = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempt - 1, 20));
        return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
    }

    /** Counts a dropped change; reports drops in the log at most every ten seconds, from the dispatcher thread. */
    private void dropped() {
        meters.dropped.increment();
        long now = System.nanoTime();
        long last = lastDropReport.get();
        if (now - last >= DROP_REPORT_INTERVAL_NANOS && lastDropReport.compareAndSet(last, now)) {
            try {
                dispatcher.execute(() -> log.warn("webhook backlog full (callback.queue_size = {}): state changes are "
                        + "dropped; {} so far", queueSize, (long) meters.dropped.count()));
            } catch (RejectedExecutionException closed) {
                // shutting down: nothing left to report to
            }
        }
    }

    private static boolean isOnline(StateChange.Kind kind) {
        return kind == StateChange.Kind.USER_ONLINE || kind == StateChange.Kind.DEVICE_ONLINE;
    }

    /** A delivery's next attempt, once its pause is over. */
    private record Retry(Delivery delivery, int attempt) {
    }

    /** One state change on its way: the same body, signature and delivery id for every attempt. */
    private record Delivery(StateChange change, ChangeReceipt receipt, URI url, byte[] body, String signature) {
    }
}
