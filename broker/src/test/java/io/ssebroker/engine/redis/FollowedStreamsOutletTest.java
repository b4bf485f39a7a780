package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the followers hand on reaches the connections in the order they handed it on, broadcast resets included. */
class FollowedStreamsOutletTest {
    private final Queue<Runnable> redisThread = new ArrayDeque<>();
    private final List<String> received = new ArrayList<>();
    private final FollowedStreamsOutlet outlet = new FollowedStreamsOutlet(new IgnoringEngineListener() {
        @Override
        public void deliver(StreamMessage message) {
            received.add("deliver " + message.data());
        }

        @Override
        public void streamReset(String uid, String reason) {
            received.add("reset " + uid + " " + reason);
        }
    }, redisThread::add);

    @Test
    void aBroadcastResetFollowsTheBroadcastsHandedOnBeforeIt() {
        outlet.deliver(broadcast(7, "old history"));
        outlet.reset(null, Replay.HISTORY_LOST);
        outlet.deliver(broadcast(5, "rewound"));
        assertThat(received).as("the broadcast stream waits for the Redis thread's next task").isEmpty();
        redisThread.forEach(Runnable::run);
        assertThat(received).containsExactly("deliver old history", "reset null " + Replay.HISTORY_LOST, "deliver rewound");
    }

    @Test
    void aUsersStreamIsHandedOnAtOnce() {
        outlet.deliver(new StreamMessage("u", 3, null, "to u", Set.of(), 0));
        outlet.reset("u", Replay.EXPIRED);
        assertThat(received).containsExactly("deliver to u", "reset u " + Replay.EXPIRED);
        assertThat(redisThread).isEmpty();
    }

    private static StreamMessage broadcast(long offset, String data) {
        return new StreamMessage(null, offset, null, data, Set.of(), 0);
    }
}
