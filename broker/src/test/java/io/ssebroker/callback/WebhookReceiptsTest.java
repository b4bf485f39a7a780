package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.ChangeReceipt;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.testing.WebhookReceiver;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher finishes a change's receipt once it is done with the change, whatever the outcome, and only then; a
 * change it abandons when it stops stays unfinished, for the engine to leave to a survivor. Posts carry the receipt's
 * delivery id.
 */
class WebhookReceiptsTest {
    private static final StateChange ONLINE =
            new StateChange(StateChange.Kind.USER_ONLINE, "u-r", "d-r", StateChange.DEVICE_CONNECTED, 1_700_000_000_000L);

    @Test
    void aPostedChangeIsFinishedOnceUnderItsDeliveryId() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            WebhookDispatcher dispatcher = dispatcher(receiver.url("/hook"), "", 5, 100);
            Receipt receipt = new Receipt("delivery-1");
            dispatcher.stateChanged(ONLINE, receipt);
            assertThat(receiver.next().header("X-SSE-Delivery")).isEqualTo("delivery-1");
            await().atMost(Duration.ofSeconds(5)).until(() -> receipt.finished.get() == 1);
            dispatcher.close(1_000);
            assertThat(receipt.finished).hasValue(1);
        }
    }

    @Test
    void aChangeGivenUpOrNotPostedAnywhereIsFinished() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answerWith(call -> 400);
            WebhookDispatcher dispatcher = dispatcher(receiver.url("/hook"), "", 5, 100);
            Receipt refused = new Receipt("refused");
            dispatcher.stateChanged(ONLINE, refused);
            receiver.next();
            await().atMost(Duration.ofSeconds(5)).until(() -> refused.finished.get() == 1);
            dispatcher.close(0);

            WebhookDispatcher onlyOfflines = dispatcher("", receiver.url("/offline"), 5, 100);
            Receipt notPosted = new Receipt("not-posted");
            onlyOfflines.stateChanged(ONLINE, notPosted);
            await().atMost(Duration.ofSeconds(5)).until(() -> notPosted.finished.get() == 1);
            onlyOfflines.close(0);
        }
    }

    @Test
    void aChangeDroppedByAFullBacklogIsFinishedAndOneAbandonedAtStopIsNot() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answerWith(call -> 503);
            WebhookDispatcher dispatcher = dispatcher(receiver.url("/hook"), "", 100, 1);
            Receipt retrying = new Receipt("retrying");
            Receipt dropped = new Receipt("dropped");
            dispatcher.stateChanged(ONLINE, retrying);
            dispatcher.stateChanged(ONLINE, dropped);
            assertThat(dropped.finished).as("beyond callback.queue_size").hasValue(1);
            receiver.next();
            dispatcher.close(200);
            assertThat(retrying.finished).as("abandoned at stop: left to the engine").hasValue(0);
            Receipt afterStop = new Receipt("after-stop");
            dispatcher.stateChanged(ONLINE, afterStop);
            assertThat(afterStop.finished).hasValue(0);
        }
    }

    private static WebhookDispatcher dispatcher(String url, String offlineUrl, int maxAttempts, int queueSize) {
        BrokerConfig.Callback config = new BrokerConfig.Callback(url, "", offlineUrl, "", "", "", 0, false, 5,
                maxAttempts, queueSize);
        return new WebhookDispatcher(config, new StateChangeJson("127.0.0.1:8080"), new SimpleMeterRegistry());
    }

    private static final class Receipt implements ChangeReceipt {
        private final String id;
        private final AtomicInteger finished = new AtomicInteger();

        Receipt(String id) {
            this.id = id;
        }

        @Override
        public String deliveryId() {
            return id;
        }

        @Override
        public void finished() {
            finished.incrementAndGet();
        }
    }
}
