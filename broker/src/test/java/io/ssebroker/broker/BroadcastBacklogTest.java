package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Publishers wait while more than one broadcast per event loop is queued, and go on once the loops catch up. */
class BroadcastBacklogTest {
    private static final int LOOPS = 2;
    private final BroadcastBacklog backlog = new BroadcastBacklog(() -> LOOPS);

    @Test
    void roomAtOnceWhileAtMostOneBroadcastPerLoopIsQueued() {
        backlog.queued();
        backlog.queued();

        assertThat(backlog.whenRoom()).isDone();
    }

    @Test
    void publishersWaitForTheLoopsAndAllGoOnTogether() {
        for (int i = 0; i < 3 * LOOPS; i++) {
            backlog.queued();
        }
        CompletableFuture<Void> first = backlog.whenRoom();
        CompletableFuture<Void> second = backlog.whenRoom();
        assertThat(first).isNotDone();

        backlog.written();
        backlog.written();
        backlog.written();
        assertThat(first).as("still two per loop queued").isNotDone();

        backlog.written();
        assertThat(first).isDone();
        assertThat(second).isDone();
        assertThat(backlog.whenRoom()).isDone();
    }
}
