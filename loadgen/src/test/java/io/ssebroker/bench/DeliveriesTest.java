package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
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
    void theWarmUpIsRecordedForProgressAndLeftOutOfTheWindow() {
        Deliveries deliveries = new Deliveries();
        deliveries.received(new Stamp(1, 1_000_000), true, 3_000_000);
        deliveries.answered(1_000_000, 2_000_000);

        assertThat(deliveries.interval().count()).isEqualTo(1);

        deliveries.measureFrom(4_000_000);
        deliveries.received(new Stamp(2, 4_000_000), true, 5_000_000);

        assertThat(deliveries.measured().count()).isEqualTo(1);
        assertThat(deliveries.measured().maxMs()).isEqualTo(1.0);
        assertThat(deliveries.measuredAnswers().count()).isZero();
    }

    @Test
    void answersCountPublicationsSentSinceMeasuringStarted() {
        Deliveries deliveries = new Deliveries();
        deliveries.answered(1_000_000, 9_000_000);
        deliveries.measureFrom(2_000_000);
        deliveries.answered(1_500_000, 9_000_000);
        deliveries.answered(2_000_000, 2_500_000);
        deliveries.answered(3_000_000, 5_000_000);

        LatencySummary answers = deliveries.measuredAnswers();

        assertThat(answers.count()).isEqualTo(2);
        assertThat(answers.p50Ms()).isEqualTo(0.5);
        assertThat(answers.maxMs()).isEqualTo(2.0);
    }

    @Test
    void aWindowHoldsPublicationsUntilDeliveriesReturnCredits() {
        Deliveries deliveries = new Deliveries();
        deliveries.limitOutstanding(4);

        assertThat(deliveries.tryReserve(3)).isTrue();
        assertThat(deliveries.tryReserve(3)).isFalse();
        deliveries.returnCredits(2);
        assertThat(deliveries.tryReserve(3)).isTrue();
    }

    @Test
    void withoutAWindowEveryReservationPasses() {
        Deliveries deliveries = new Deliveries();

        assertThat(deliveries.tryReserve(1_000_000)).isTrue();
        assertThat(deliveries.whenCredits(1_000_000, () -> { })).isNull();
    }

    @Test
    void aPublisherShortOfCreditsGoesOnOnceEnoughAreBack() {
        Deliveries deliveries = new Deliveries();
        deliveries.limitOutstanding(3);
        assertThat(deliveries.tryReserve(3)).isTrue();
        AtomicInteger woken = new AtomicInteger();

        Deliveries.CreditWait wait = deliveries.whenCredits(2, woken::incrementAndGet);
        assertThat(wait).isNotNull();
        deliveries.returnCredits(1);
        assertThat(woken).hasValue(0);
        deliveries.returnCredits(1);
        assertThat(woken).hasValue(1);
        deliveries.returnCredits(1);
        assertThat(woken).as("a wait runs once").hasValue(1);
        assertThat(deliveries.stopWaiting(wait)).isFalse();
        assertThat(deliveries.tryReserve(3)).isTrue();
    }

    @Test
    void creditsAlreadyBackOrAWaitStoppedRunNothing() {
        Deliveries deliveries = new Deliveries();
        deliveries.limitOutstanding(2);
        AtomicInteger woken = new AtomicInteger();

        assertThat(deliveries.whenCredits(2, woken::incrementAndGet)).as("enough credits: try again at once").isNull();
        assertThat(deliveries.tryReserve(2)).isTrue();
        Deliveries.CreditWait wait = deliveries.whenCredits(1, woken::incrementAndGet);
        assertThat(deliveries.stopWaiting(wait)).isTrue();
        deliveries.returnCredits(2);
        assertThat(woken).hasValue(0);
    }
}
