package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which kick, if any, ends a connection that was being registered while kicks came. */
class RecentKicksTest {
    private static final long KICKED_AT = 1_764_460_800_000L;

    @Test
    void aKickOfTheUserOrTheDeviceAfterTheConnectionBeganEndsItWithItsData() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(5, Set.of("u"), Set.of(), "by uid", KICKED_AT);
        kicks.add(6, Set.of(), Set.of("d2"), "by device", KICKED_AT);
        assertThat(kicks.endingKick(4, "u", "d1", KICKED_AT - 1)).isEqualTo("by uid");
        assertThat(kicks.endingKick(4, "other", "d2", KICKED_AT - 1)).isEqualTo("by device");
        assertThat(kicks.endingKick(4, "other", "d3", KICKED_AT - 1)).as("not its user nor its device").isNull();
    }

    @Test
    void aKickBeforeTheConnectionBeganDoesNotEndIt() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(5, Set.of("u"), Set.of(), "old", KICKED_AT);
        assertThat(kicks.endingKick(5, "u", "d", KICKED_AT - 1)).isNull();
    }

    /**
     * Two kicks asked for at once are numbered in one order and added in the other: a connection that began between
     * the two numbers is still ended by the later one.
     */
    @Test
    void aKickAddedBehindAnOlderOneIsStillFound() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(6, Set.of("u"), Set.of(), "the later kick", KICKED_AT);
        kicks.add(5, Set.of("u"), Set.of(), "the earlier kick", KICKED_AT);
        assertThat(kicks.endingKick(5, "u", "d", KICKED_AT - 1)).isEqualTo("the later kick");
    }

    /** A token issued after the kick was decided is not the kick's to end; one of the same millisecond is. */
    @Test
    void aTokenIssuedAfterTheKickIsNotEnded() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(1, Set.of("u"), Set.of(), "bye", KICKED_AT);
        assertThat(kicks.endingKick(0, "u", "d", KICKED_AT + 1)).isNull();
        assertThat(kicks.endingKick(0, "u", "d", KICKED_AT)).isEqualTo("bye");
    }

    @Test
    void theLatestMatchingKickGivesTheData() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(1, Set.of("u"), Set.of(), "first", KICKED_AT);
        kicks.add(2, Set.of("u"), Set.of(), "second", KICKED_AT + 5);
        kicks.add(3, Set.of("x"), Set.of(), "other user", KICKED_AT + 9);
        assertThat(kicks.endingKick(0, "u", "d", KICKED_AT)).isEqualTo("second");
        assertThat(kicks.endingKick(1, "u", "d", KICKED_AT)).isEqualTo("second");
    }

    @Test
    void keepsABoundedNumber() {
        RecentKicks kicks = new RecentKicks();
        kicks.add(1, Set.of("first"), Set.of(), "lost", KICKED_AT);
        for (int i = 2; i <= 5000; i++) {
            kicks.add(i, Set.of("u" + i), Set.of(), "", KICKED_AT);
        }
        assertThat(kicks.endingKick(0, "first", "d", KICKED_AT)).as("the oldest is forgotten").isNull();
        assertThat(kicks.endingKick(0, "u5000", "d", KICKED_AT)).isEmpty();
    }
}
