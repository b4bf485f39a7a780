package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeliveriesTest {
    @Test
    void outstandingIsExpectedMinusFreshAndFailedPublicationsAreNotExpected() {
        Deliveries deliveries = new Deliveries();
        deliveries.published(3);
        deliveries.published(3);
        deliveries.published(3);
        deliveries.publishFailed(3);
        deliveries.received(new Stamp(1, 0), true, 1);
        deliveries.received(new Stamp(1, 0), false, 1);
        deliveries.received(new Stamp(2, 0), true, 1);

        assertThat(deliveries.published()).isEqualTo(3);
        assertThat(deliveries.publishErrors()).isEqualTo(1);
        assertThat(deliveries.fresh()).isEqualTo(2);
        assertThat(deliveries.duplicated()).isEqualTo(1);
        assertThat(deliveries.outstanding()).isEqualTo(4);
    }

    @Test
    void latencyCountsMessagesSentSinceMeasuringStarted() {
        Deliveries deliveries = new Deliveries();
        deliveries.received(new Stamp(1, 1_000_000), true, 9_000_000);
        deliveries.measureFrom(2_000_000);
        deliveries.received(new Stamp(2, 1_500_000), true, 9_000_000);
        deliveries.received(new Stamp(3, 2_000_000), true, 3_000_000);
        deliveries.received(new Stamp(4, 2_000_000), true, 5_000_000);

        LatencySummary measured = deliveries.measured();

        assertThat(measured.count()).isEqualTo(2);
        assertThat(measured.p50Ms()).isEqualTo(1.0);
        assertThat(measured.maxMs()).isEqualTo(3.0);
    }

    @Test
    void aWindowHoldsPublicationsUntilDeliveriesReturnCredits() throws InterruptedException {
        Deliveries deliveries = new Deliveries();
        deliveries.limitOutstanding(4);

        assertThat(deliveries.reserve(3, System.nanoTime())).isTrue();
        assertThat(deliveries.reserve(3, System.nanoTime())).isFalse();
        deliveries.returnCredits(2);
        assertThat(deliveries.reserve(3, System.nanoTime())).isTrue();
    }
}
