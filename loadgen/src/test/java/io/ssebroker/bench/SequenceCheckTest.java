package io.ssebroker.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequenceCheckTest {
    private final SequenceCheck check = new SequenceCheck();

    @Test
    void risingSequencesAreFreshEvenWithGaps() {
        assertThat(check.isFresh(1)).isTrue();
        assertThat(check.isFresh(2)).isTrue();
        assertThat(check.isFresh(5)).isTrue();
        assertThat(check.isFresh(1000)).isTrue();
    }

    @Test
    void aSequenceSeenBeforeIsARepeat() {
        check.isFresh(1);
        check.isFresh(2);
        check.isFresh(3);

        assertThat(check.isFresh(3)).isFalse();
        assertThat(check.isFresh(2)).isFalse();
        assertThat(check.isFresh(4)).isTrue();
    }

    @Test
    void sequencesArrivingOutOfOrderAreFreshOnce() {
        assertThat(check.isFresh(2)).isTrue();
        assertThat(check.isFresh(4)).isTrue();
        assertThat(check.isFresh(1)).isTrue();
        assertThat(check.isFresh(3)).isTrue();
        assertThat(check.isFresh(4)).isFalse();
        assertThat(check.isFresh(1)).isFalse();
        assertThat(check.isFresh(5)).isTrue();
    }

    @Test
    void aLateSequenceWithinTheWindowIsStillFresh() {
        for (long sequence = 2; sequence <= SequenceCheck.WINDOW; sequence++) {
            assertThat(check.isFresh(sequence)).isTrue();
        }

        assertThat(check.isFresh(1)).isTrue();
        assertThat(check.isFresh(SequenceCheck.WINDOW)).isFalse();
    }

    @Test
    void aJumpPastTheWindowKeepsRecognisingRepeats() {
        check.isFresh(1);
        check.isFresh(3);

        assertThat(check.isFresh(5000)).isTrue();
        assertThat(check.isFresh(5000)).isFalse();
        assertThat(check.isFresh(4999)).isTrue();
        assertThat(check.isFresh(3)).isFalse();
        assertThat(check.isFresh(5000 + SequenceCheck.WINDOW + 10)).isTrue();
        assertThat(check.isFresh(4999)).isFalse();
        assertThat(check.isFresh(5011)).isTrue();
    }
}
