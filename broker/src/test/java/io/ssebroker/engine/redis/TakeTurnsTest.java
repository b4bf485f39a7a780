package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** One node's takes of a user's changes are handed on in the order they were sent, whichever is answered first. */
class TakeTurnsTest {
    private final TakeTurns turns = new TakeTurns();
    private final List<String> sent = new ArrayList<>();
    private final List<String> handedOn = new ArrayList<>();

    /** A take of the user sent now; {@code answer} is its answer, {@code turn} completed once it is handed on. */
    private CompletableFuture<String> take(String uid, String name, CompletableFuture<String> answer,
                                           CompletableFuture<Void> turn) {
        CompletableFuture<String> inTurn = turns.inTurn(uid, () -> {
            sent.add(name);
            return answer;
        }, turn);
        return inTurn.whenComplete((taken, error) -> {
            handedOn.add(error == null ? taken : name + " failed");
            turn.complete(null);
        });
    }

    @Test
    void aTakeAnsweredFirstWaitsForTheOneSentBeforeIt() {
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        take("u", "a", first, new CompletableFuture<>());
        take("u", "b", second, new CompletableFuture<>());
        assertThat(sent).containsExactly("a", "b");

        second.complete("online, offline");
        assertThat(handedOn).as("b waits for a, whose answer was lost and is asked again").isEmpty();
        first.complete("an earlier offline");
        assertThat(handedOn).containsExactly("an earlier offline", "online, offline");
    }

    @Test
    void aTakeGivenUpLetsTheNextOneGo() {
        CompletableFuture<String> first = new CompletableFuture<>();
        take("u", "a", first, new CompletableFuture<>());
        take("u", "b", CompletableFuture.completedFuture("b's changes"), new CompletableFuture<>());
        first.completeExceptionally(new IllegalStateException("no answer"));
        assertThat(handedOn).containsExactly("a failed", "b's changes");
    }

    @Test
    void otherUsersDoNotWait() {
        take("u", "a", new CompletableFuture<>(), new CompletableFuture<>());
        take("v", "b", CompletableFuture.completedFuture("v's changes"), new CompletableFuture<>());
        assertThat(handedOn).containsExactly("v's changes");
    }
}
