package io.ssebroker.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The kicked and extruded connections remembered per user: marked on the event loops, purged by the janitor. */
class RecentlyEndedTest {

    @Test
    void aMarkExpiresAndAnUnmarkForgetsIt() {
        RecentlyEnded ended = new RecentlyEnded(2, 1000);
        ended.mark("u", "a", 0);
        ended.mark("u", "b", 0);
        ended.mark("u", "c", 0);
        assertThat(ended.contains("u", "a", 10)).as("past the bound per user").isFalse();
        assertThat(ended.contains("u", "c", 10)).isTrue();
        ended.unmark("u", "c");
        assertThat(ended.contains("u", "c", 10)).isFalse();
        ended.purge(2000);
        assertThat(ended.contains("u", "b", 2000)).isFalse();
    }

    /** The janitor's purge runs while the event loops mark the same user: neither may see the other's half-done work. */
    /**
     * A kicked connection that a newer one then replaced, which never went live: taking back the replacement's mark
     * leaves the kick's, and the kicked cursor is still refused.
     */
    @Test
    void anUnmarkTakesBackOneMarkOnly() {
        RecentlyEnded ended = new RecentlyEnded(4, 1000);
        ended.mark("u", "kicked", 0); // the kick
        ended.mark("u", "kicked", 1); // the replacement
        ended.unmark("u", "kicked");
        assertThat(ended.contains("u", "kicked", 10)).as("the kick's mark").isTrue();
        ended.unmark("u", "kicked");
        assertThat(ended.contains("u", "kicked", 10)).isFalse();
    }

    @Test
    void purgingWhileMarkingTheSameUserFailsNeither() throws Exception {
        RecentlyEnded ended = new RecentlyEnded(4, 1);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> marking = CompletableFuture.runAsync(() -> {
            for (long n = 0; !stop.get(); n++) {
                ended.mark("u", "n" + n, n);
                ended.contains("u", "n" + n, n);
            }
        });
        CompletableFuture<Void> purging = CompletableFuture.runAsync(() -> {
            for (long n = 0; !stop.get(); n++) {
                ended.purge(n);
            }
        });
        Thread.sleep(1000);
        stop.set(true);
        marking.get(5, TimeUnit.SECONDS);
        purging.get(5, TimeUnit.SECONDS);
    }
}
