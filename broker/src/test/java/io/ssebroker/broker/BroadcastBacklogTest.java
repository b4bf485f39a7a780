package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Publishers wait while more than a few broadcasts per event loop are queued, and go on once the loops catch up. */
class BroadcastBacklogTest {
    private static final int LOOPS = 2;
    private static final int ROOM = BroadcastBacklog.QUEUED_PER_LOOP * LOOPS;
    private final BroadcastBacklog backlog = new BroadcastBacklog(() -> LOOPS);

    @Test
    void roomAtOnceWhileTheLoopsHoldAtMostTheirShare() {
        for (int i = 0; i < ROOM; i++) {
            backlog.queued();
        }

        assertThat(backlog.whenRoom()).isDone();
    }

    @Test
    void publishersWaitForTheLoopsAndAllGoOnTogether() {
        for (int i = 0; i < ROOM + 2; i++) {
            backlog.queued();
        }
        CompletableFuture<Void> first = backlog.whenRoom();
        CompletableFuture<Void> second = backlog.whenRoom();
        assertThat(first).isNotDone();

        backlog.written();
        assertThat(first).as("still one over the loops' share").isNotDone();

        backlog.written();
        assertThat(first).isDone();
        assertThat(second).isDone();
        assertThat(backlog.whenRoom()).isDone();
    }
}
