package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which kick, if any, ends a connection that was being registered while kicks came. */
class RecentKicksTest {
    private static final long KICKED_AT = 1_764_460_800_000L;

    @Test
    void aKickOfTheUserOrTheDeviceAfterTheConnectionBeganEndsItWithItsData() {
        RecentKicks kicks = new RecentKicks();
        AtomicLong asked = new AtomicLong(4);
        kicks.add(asked, Set.of("u"), Set.of(), "by uid", KICKED_AT);
        kicks.add(asked, Set.of(), Set.of("d2"), "by device", KICKED_AT);
        assertThat(kicks.endingKick(4, "u", "d1", KICKED_AT - 1)).isEqualTo("by uid");
        assertThat(kicks.endingKick(4, "other", "d2", KICKED_AT - 1)).isEqualTo("by device");
        assertThat(kicks.endingKick(4, "other", "d3", KICKED_AT - 1)).as("not its user nor its device").isNull();
    }

    @Test
    void aKickBeforeTheConnectionBeganDoesNotEndIt() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(new AtomicLong(4), Set.of("u"), Set.of(), "old", KICKED_AT);
        assertThat(kicks.endingKick(5, "u", "d", KICKED_AT - 1)).isNull();
    }

    /**
     * A connection that sees the count of asked ends move while kicks are added from other threads finds the kick that
     * moved it: the kick is numbered as it is added, never before.
     */
    @Test
    void aKickIsFoundByWhoeverSawItsNumber() throws Exception {
        RecentKicks kicks = new RecentKicks();
        AtomicLong asked = new AtomicLong();
        int rounds = 20_000;
        Thread kicking = new Thread(() -> {
            for (int i = 0; i < rounds; i++) {
                kicks.add(asked, Set.of("u"), Set.of(), "kick " + i, KICKED_AT);
            }
        });
        kicking.start();
        int missed = 0;
        for (long seen = asked.get(); seen < rounds; ) {
            long now = asked.get();
            if (now != seen && kicks.endingKick(seen, "u", "d", KICKED_AT) == null) {
                missed++;
            }
            seen = now;
        }
        kicking.join();
        assertThat(missed).as("looks that found no kick after the count moved").isZero();
    }

    /** A token issued after the kick was decided is not the kick's to end; one of the same millisecond is. */
    @Test
    void aTokenIssuedAfterTheKickIsNotEnded() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(new AtomicLong(), Set.of("u"), Set.of(), "bye", KICKED_AT);
        assertThat(kicks.endingKick(0, "u", "d", KICKED_AT + 1)).isNull();
        assertThat(kicks.endingKick(0, "u", "d", KICKED_AT)).isEqualTo("bye");
    }

    @Test
    void theLatestMatchingKickGivesTheData() {
        RecentKicks kicks = new RecentKicks();
        AtomicLong asked = new AtomicLong();
        kicks.add(asked, Set.of("u"), Set.of(), "first", KICKED_AT);
        kicks.add(asked, Set.of("u"), Set.of(), "second", KICKED_AT + 5);
        kicks.add(asked, Set.of("x"), Set.of(), "other user", KICKED_AT + 9);
        assertThat(kicks.endingKick(0, "u", "d", KICKED_AT)).isEqualTo("second");
        assertThat(kicks.endingKick(1, "u", "d", KICKED_AT)).isEqualTo("second");
    }

    @Test
    void keepsABoundedNumber() {
        RecentKicks kicks = new RecentKicks();
        AtomicLong asked = new AtomicLong();
        kicks.add(asked, Set.of("first"), Set.of(), "lost", KICKED_AT);
        for (int i = 2; i <= 5000; i++) {
            kicks.add(asked, Set.of("u" + i), Set.of(), "", KICKED_AT);
        }
        assertThat(kicks.endingKick(0, "first", "d", KICKED_AT)).as("the oldest is forgotten").isNull();
        assertThat(kicks.endingKick(0, "u5000", "d", KICKED_AT)).isEmpty();
    }
}
